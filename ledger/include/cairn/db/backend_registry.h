// The database backends of this program, by URL scheme.
//
// Connection::Open does not know SQLite or PostgreSQL by name: it looks up
// the URL's scheme here (BackendName(url.backend): "sqlite", "postgresql")
// and calls the factory registered for it. Each
// backend registers its schemes itself when its code is loaded, from a
// static initializer:
//
//   - SQLite ("sqlite", "sqlite3", "file"; ledger/src/db/sqlite_connection.cc)
//     in every program that links the database layer;
//   - PostgreSQL ("postgres", "postgresql"; postgres_connection.cc) in every
//     program that links it in (cairn-net, the tests, runner binaries), or,
//     in the `cairn` executable, when the module cairn-pg.so is loaded: the
//     module's initializer calls this registry in the executable.
//
// A program that loads a backend on demand registers a BackendLoader for
// its schemes instead (`cairn`: postgres_loader.cc, which loads
// cairn-pg.so). Open runs the loader the first time the scheme is missing,
// then looks the scheme up again.
//
//   // in NAME_connection.cc, at namespace scope:
//   const bool kRegistered = db::RegisterBackend("name", &OpenName).ok();
//
// All functions are thread-safe. Registrations last for the life of the
// process; there is no unregistering.
#ifndef CAIRN_DB_BACKEND_REGISTRY_H_
#define CAIRN_DB_BACKEND_REGISTRY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"

namespace cairn::db {

// Opens a session on `url` (whose scheme is one the factory was registered
// for) with `options`; what Connection::Open returns.
using BackendFactory = StatusOr<std::unique_ptr<Connection>> (*)(const DatabaseUrl& url,
                                                                 const OpenOptions& options);

// Loads the code of the backend for `scheme`, which registers it. An error
// says why it could not (naming what it tried to load) and is what
// Connection::Open returns.
using BackendLoader = Status (*)(std::string_view scheme);

// Makes `factory` the backend for URL scheme `scheme` (lower case, without
// the ':'). A scheme already
// registered keeps its first factory: kAlreadyExists naming the scheme. An
// empty scheme or a null factory is kInvalidArgument.
Status RegisterBackend(std::string_view scheme, BackendFactory factory);

// Makes `loader` the way to get a backend for `scheme` when none is
// registered. Same errors as RegisterBackend.
Status RegisterBackendLoader(std::string_view scheme, BackendLoader loader);

// The factory for `scheme`. When none is registered and a loader is, runs
// the loader (outside any lock: the loaded code registers itself) and looks
// again. Errors name the scheme:
//   kUnimplemented  no backend and no loader for it in this program (the
//                   message lists the schemes there are)
//   the loader's    the loader failed (kUnavailable for a module that
//                   cannot be loaded, naming its path)
//   kInternal       the loader succeeded but registered nothing for it
StatusOr<BackendFactory> FindBackend(std::string_view scheme);

// The schemes with a registered backend, sorted (loaders not counted).
std::vector<std::string> RegisteredSchemes();

}  // namespace cairn::db

#endif  // CAIRN_DB_BACKEND_REGISTRY_H_

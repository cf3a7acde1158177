// The backend registry (cairn/db/backend_registry.h) and Connection::Open.
// In the `cairn` executable this is also the registry the module
// cairn-pg.so registers into: the executable exports RegisterBackend
// (ledger/src/db/module_exports.list) and the module has no copy of this file.
#include "cairn/db/backend_registry.h"

#include <map>
#include <mutex>

namespace cairn::db {
namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, BackendFactory, std::less<>> factories;
  std::map<std::string, BackendLoader, std::less<>> loaders;
};

// Built on first use: backends register from static initializers, which
// may run before this file's own.
Registry& TheRegistry() {
  static Registry* registry = new Registry;  // never destroyed: used until exit
  return *registry;
}

template <typename Fn>
Status Add(std::map<std::string, Fn, std::less<>>& map, std::string_view scheme, Fn fn,
           std::string_view what) {
  if (scheme.empty() || fn == nullptr)
    return InvalidArgumentError(std::string("registering a database ") + std::string(what) +
                                ": empty scheme or null function");
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (!map.emplace(std::string(scheme), fn).second)
    return AlreadyExistsError("database scheme '" + std::string(scheme) + "' already has a " +
                              std::string(what));
  return Status::Ok();
}

// The factory for `scheme`, or null; and its loader, if it has one.
BackendFactory Lookup(std::string_view scheme, BackendLoader* loader) {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (auto it = r.factories.find(scheme); it != r.factories.end()) return it->second;
  if (loader != nullptr) {
    auto it = r.loaders.find(scheme);
    *loader = it == r.loaders.end() ? nullptr : it->second;
  }
  return nullptr;
}

}  // namespace

Status RegisterBackend(std::string_view scheme, BackendFactory factory) {
  return Add(TheRegistry().factories, scheme, factory, "backend");
}

Status RegisterBackendLoader(std::string_view scheme, BackendLoader loader) {
  return Add(TheRegistry().loaders, scheme, loader, "backend loader");
}

std::vector<std::string> RegisteredSchemes() {
  Registry& r = TheRegistry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> out;
  for (const auto& [scheme, factory] : r.factories) out.push_back(scheme);
  return out;
}

StatusOr<BackendFactory> FindBackend(std::string_view scheme) {
  BackendLoader loader = nullptr;
  if (BackendFactory f = Lookup(scheme, &loader)) return f;
  const std::string quoted = "database scheme '" + std::string(scheme) + "'";
  if (loader == nullptr) {
    std::string known;
    for (const std::string& s : RegisteredSchemes()) known += (known.empty() ? "" : ", ") + s;
    return UnimplementedError("no backend for " + quoted + " in this program (it has " +
                              (known.empty() ? "none" : known) + ")");
  }
  // Not under the lock: the code the loader loads registers itself.
  CAIRN_RETURN_IF_ERROR(loader(scheme).Annotate("no backend for " + quoted));
  if (BackendFactory f = Lookup(scheme, nullptr)) return f;
  return InternalError("no backend for " + quoted + ": its loader ran but registered none");
}

StatusOr<std::unique_ptr<Connection>> Connection::Open(const DatabaseUrl& url,
                                                       const OpenOptions& options) {
  // The URL's backend by its canonical scheme ("sqlite", "postgresql").
  CAIRN_ASSIGN_OR_RETURN(BackendFactory open, FindBackend(BackendName(url.backend)));
  return open(url, options);
}

}  // namespace cairn::db

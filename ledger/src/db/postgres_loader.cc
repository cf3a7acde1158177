// The `cairn` executable's way to PostgreSQL: a SQLite target never loads
// libpq and the twenty libraries it pulls in (GSSAPI, LDAP, GnuTLS, ...),
// which took a sixth of a short command's time (BENCHMARKS.md, "Startup").
// This file registers a backend loader for the postgres and postgresql
// schemes (cairn/db/backend_registry.h). The first postgres:// target runs
// it: it loads the module cairn-pg.so from $CAIRN_PG_MODULE or beside the
// executable, whose initializer registers the PostgreSQL backend in this
// executable's registry; Connection::Open then looks again. Programs that
// link the backend in (every other one) do not link this file
// (cairn_postgres_as_module, ledger/CMakeLists.txt).
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "cairn/base/executable.h"
#include "cairn/db/backend_registry.h"

namespace cairn::db {
namespace {

Status LoadModule() {
  std::string path;
  if (const char* env = std::getenv("CAIRN_PG_MODULE"); env && *env)
    path = env;
  else
    path = ExecutableDir() + "/cairn-pg.so";
  // The module stays loaded for the life of the process.
  if (dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL) == nullptr) {
    const char* why = dlerror();
    return UnavailableError("PostgreSQL support could not be loaded from " + path + ": " +
                            (why ? why : "dlopen failed") +
                            " (install cairn-pg.so beside cairn, or set $CAIRN_PG_MODULE)");
  }
  for (const std::string& scheme : RegisteredSchemes())
    if (scheme == "postgresql") return Status::Ok();
  return UnavailableError("PostgreSQL support could not be loaded from " + path +
                          ": it registered no backend (a cairn-pg.so of another build?)");
}

// Loads the module once, whichever scheme asks first and however many
// threads ask at once; a failure is remembered, as is success.
Status LoadPostgres(std::string_view /*scheme*/) {
  static const Status loaded = LoadModule();
  return loaded;
}

bool RegisterLoader() {
  bool ok = true;
  for (const char* scheme : {"postgres", "postgresql"})
    ok = RegisterBackendLoader(scheme, &LoadPostgres).ok() && ok;
  return ok;
}

[[maybe_unused]] const bool kRegistered = RegisterLoader();

}  // namespace
}  // namespace cairn::db

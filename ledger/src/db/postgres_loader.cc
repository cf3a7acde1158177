// OpenPostgres for the `cairn` executable: a SQLite target never loads
// libpq and the twenty libraries it pulls in (GSSAPI, LDAP, GnuTLS, ...),
// which took a sixth of a short command's time (BENCHMARKS.md, "Startup").
// The first postgres:// target loads the module cairn-pg.so from
// $CAIRN_PG_MODULE or beside the executable; a program that does not link
// this file gets the backend statically instead (backends.h).
#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "backends.h"
#include "cairn/base/executable.h"

namespace cairn::db {
namespace {

StatusOr<OpenPostgresFn> LoadModule() {
  std::string path;
  if (const char* env = std::getenv("CAIRN_PG_MODULE"); env && *env)
    path = env;
  else
    path = ExecutableDir() + "/cairn-pg.so";
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    const char* why = dlerror();
    return UnavailableError(
        "PostgreSQL support could not be loaded: " + std::string(why ? why : path) +
        " (install cairn-pg.so beside cairn, or set $CAIRN_PG_MODULE)");
  }
  using Entry = OpenPostgresFn (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(module, kPostgresModuleEntry));
  if (entry == nullptr) {
    return UnavailableError("PostgreSQL support could not be loaded: " + path + " has no " +
                            kPostgresModuleEntry);
  }
  return entry();  // the module stays loaded for the life of the process
}

}  // namespace

StatusOr<std::unique_ptr<Connection>> OpenPostgres(const DatabaseUrl& url,
                                                   const OpenOptions& options) {
  static const StatusOr<OpenPostgresFn> open = LoadModule();
  if (!open.ok()) return open.status();
  return (*open)(url, options);
}

}  // namespace cairn::db

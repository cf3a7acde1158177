// The PostgreSQL backend as a loadable module, cairn-pg.so: the real
// OpenPostgres (postgres_connection.cc) and what it needs, linked
// statically with their symbols kept private (-Bsymbolic,
// --exclude-libs), behind one extern "C" entry point. postgres_loader.cc
// opens it. libpqxx exceptions stay inside, as everywhere in this layer.
#include "backends.h"

extern "C" __attribute__((visibility("default"))) cairn::db::OpenPostgresFn
cairn_postgres_backend() {
  return &cairn::db::OpenPostgres;
}

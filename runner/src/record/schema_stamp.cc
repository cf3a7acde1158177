#include "record/schema_stamp.h"

#include "cairn/schema/model.h"

namespace cairn::runner {

Status StampSchema(db::Connection& conn, v1::Event* event) {
  if (!event->has_migration_committed() && !event->has_migration_rolled_back() &&
      !event->has_run_finished())
    return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(schema::Model model, schema::Introspect(conn));
  std::string canonical = schema::Canonical(model);
  std::string fp = schema::FingerprintOf(canonical);
  if (event->has_migration_committed())
    event->mutable_migration_committed()->set_schema_fingerprint(fp);
  if (event->has_migration_rolled_back())
    event->mutable_migration_rolled_back()->set_schema_fingerprint(fp);
  if (event->has_run_finished()) {
    event->mutable_run_finished()->set_schema_fingerprint(fp);
    event->mutable_run_finished()->set_schema_snapshot(std::move(canonical));
  }
  return Status::Ok();
}

}  // namespace cairn::runner

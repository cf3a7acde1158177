#include "record/abandoned_run.h"

#include "record/schema_stamp.h"

namespace cairn::runner {

Status CloseAbandonedRun(db::Connection& conn, ledger::LedgerStore& store,
                         const std::string& stream, const v1::Actor& actor,
                         const ledger::StreamState& state) {
  const ledger::RunRecord& run = state.last_run;
  if (run.run_id.empty() || run.finished_at != 0) return Status::Ok();
  v1::Event e;
  e.set_stream(stream);
  e.set_run_id(run.run_id);
  *e.mutable_actor() = actor;
  auto* rf = e.mutable_run_finished();
  rf->set_outcome(v1::RUN_OUTCOME_INTERRUPTED);
  rf->set_error_message(
      "the run ended without recording its end (killed, or its connection was lost); recorded "
      "by a later run that found nothing left to do");
  CAIRN_ASSIGN_OR_RETURN(auto tx, conn.Begin());
  CAIRN_RETURN_IF_ERROR(store.CheckHead(*tx, stream, state.head.position));
  CAIRN_RETURN_IF_ERROR(StampSchema(conn, &e));
  CAIRN_RETURN_IF_ERROR(store.Append(*tx, e).status());
  return tx->Commit();
}

}  // namespace cairn::runner

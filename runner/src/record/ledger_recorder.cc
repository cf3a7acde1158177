#include "record/ledger_recorder.h"

#include "record/schema_stamp.h"

namespace cairn::runner {

LedgerRecorder::LedgerRecorder(db::Connection& conn, ledger::LedgerStore& store, std::string stream,
                               int64_t head)
    : conn_(conn), store_(store), stream_(std::move(stream)), head_(head) {}

StatusOr<std::unique_ptr<db::Transaction>> LedgerRecorder::Begin() {
  CAIRN_ASSIGN_OR_RETURN(auto tx, conn_.Begin());
  CAIRN_RETURN_IF_ERROR(store_.CheckHead(*tx, stream_, head_));
  return tx;
}

void LedgerRecorder::Advance(int64_t position, const std::string& hash) {
  head_ = position;
  head_hash_ = hash;
  head_hash_position_ = position;
}

void LedgerRecorder::ResetHead(int64_t position) {
  head_ = position;
  // The appends after `position` rolled back: their hash is no head's.
  if (head_hash_position_ > position) head_hash_position_ = -1;
}

Status LedgerRecorder::Append(db::Transaction& tx, const v1::Event& e) {
  if (e.has_run_finished()) {
    // Drift detection (docs/schema-model.md): each run records the schema it
    // leaves, once, inside the transaction of its last event.
    v1::Event stamped = e;
    CAIRN_RETURN_IF_ERROR(StampSchema(conn_, &stamped));
    CAIRN_ASSIGN_OR_RETURN(auto r, store_.Append(tx, stamped));
    Advance(r.position, r.hash);
    return Status::Ok();
  }
  CAIRN_ASSIGN_OR_RETURN(auto r, store_.Append(tx, e));
  Advance(r.position, r.hash);
  return Status::Ok();
}

Status LedgerRecorder::AppendStep(db::Transaction& tx, const v1::Event& started,
                                  const v1::Event& done) {
  CAIRN_ASSIGN_OR_RETURN(auto h, store_.AppendAt(tx, {head_, head_hash_}, {started, done}));
  Advance(h.position, h.hash);
  return Status::Ok();
}

}  // namespace cairn::runner

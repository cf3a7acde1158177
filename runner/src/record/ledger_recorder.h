// Internal (record stage): the RunObserver that writes a run into the
// target's ledger. Appends go through the LedgerStore on the run's own
// connection, so they commit or roll back with the migration's SQL; the
// RunFinished event carries the schema fingerprint (docs/schema-model.md).
#ifndef CAIRN_RUNNER_SRC_RECORD_LEDGER_RECORDER_H_
#define CAIRN_RUNNER_SRC_RECORD_LEDGER_RECORDER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "cairn/store/store.h"
#include "execute/run_observer.h"

namespace cairn::runner {

class LedgerRecorder final : public RunObserver {
 public:
  // `head`: the position of the stream's last event when the run was planned.
  LedgerRecorder(db::Connection& conn, ledger::LedgerStore& store, std::string stream,
                 int64_t head);

  StatusOr<std::unique_ptr<db::Transaction>> Begin() override;
  Status Append(db::Transaction& tx, const v1::Event& e) override;
  bool KnowsHead() const override { return head_hash_position_ == head_; }
  Status AppendStep(db::Transaction& tx, const v1::Event& started, const v1::Event& done) override;
  int64_t head() const override { return head_; }
  int64_t* mutable_head() override { return &head_; }
  void ResetHead(int64_t position) override;
  void SetNotify(bool on) override { store_.set_notify(on); }

 private:
  void Advance(int64_t position, const std::string& hash);

  db::Connection& conn_;
  ledger::LedgerStore& store_;
  std::string stream_;
  int64_t head_;
  // The hash at position head_hash_position_, learnt from this run's own
  // appends. When it is the hash of head_, AppendStep appends a migration's
  // two events with one LedgerStore::AppendAt after its SQL (fewer round
  // trips); otherwise the executor checks the head first (Begin).
  std::string head_hash_;
  int64_t head_hash_position_ = -1;
};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SRC_RECORD_LEDGER_RECORDER_H_

// Internal (execute stage): where the executor reports what it does. The
// executor runs the SQL and decides the transactions; every event of the run
// goes to a RunObserver, which the record stage implements
// (record/ledger_recorder.h: the ledger append, and the schema fingerprint
// on RunFinished). The executor never reaches the ledger store or the schema
// model itself, and record never calls back into execute.
#ifndef CAIRN_RUNNER_SRC_EXECUTE_RUN_OBSERVER_H_
#define CAIRN_RUNNER_SRC_EXECUTE_RUN_OBSERVER_H_

#include <cstdint>
#include <memory>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/v1/events.pb.h"

namespace cairn::runner {

class RunObserver {
 public:
  virtual ~RunObserver() = default;

  // Begins a transaction on the target in which appends are checked against
  // the head this run last saw: kAborted when another writer appended since.
  virtual StatusOr<std::unique_ptr<db::Transaction>> Begin() = 0;
  // Records `e` inside `tx`, the transaction the executor holds (from Begin,
  // or begun on the connection itself for AppendStep).
  virtual Status Append(db::Transaction& tx, const v1::Event& e) = 0;
  // Whether AppendStep may be used: the observer knows the hash of the head
  // (this run made the last append), so a migration's two events can follow
  // its SQL in a transaction begun without checking the head.
  virtual bool KnowsHead() const = 0;
  // Records a migration's MigrationStarted and its outcome event at once,
  // inside `tx`, a transaction the executor began on the connection itself:
  // kAborted when another writer appended since this run last did.
  virtual Status AppendStep(db::Transaction& tx, const v1::Event& started,
                            const v1::Event& done) = 0;

  // The ledger position after this run's last append, and the way back to
  // an earlier one when a transaction holding appends rolled back.
  virtual int64_t head() const = 0;
  virtual int64_t* mutable_head() = 0;
  virtual void ResetHead(int64_t position) = 0;

  // A transaction to be PREPAREd must not notify listeners (ledger/store.h).
  virtual void SetNotify(bool on) = 0;
};

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_SRC_EXECUTE_RUN_OBSERVER_H_

// Replay: the state of a target derived from its ledger stream. There is no
// mutable version table; the current version is whatever replay says.
//
//   CAIRN_ASSIGN_OR_RETURN(StreamState state, ReplayStream(store, "campus"));
//   if (state.IsApplied("0003")) ...
#ifndef CAIRN_STORE_STATE_H_
#define CAIRN_STORE_STATE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/store/store.h"
#include "cairn/v1/events.pb.h"

namespace cairn::ledger {

// Orders migration ids by number when both are all digits ("9" < "0010"),
// component by component when both are dotted numbers ("1.9" < "1.10",
// "1" = "1.0"; Flyway's versions, docs/formats.md), otherwise as byte strings.
int CompareMigrationIds(std::string_view a, std::string_view b);
// Flyway's repeatable scripts have ids "R__<description>" (docs/formats.md):
// they may be applied many times and never count as the current version.
bool IsRepeatableMigrationId(std::string_view id);
struct MigrationIdLess {
  bool operator()(const std::string& a, const std::string& b) const {
    return CompareMigrationIds(a, b) < 0;
  }
};

enum class MigrationStatus { kApplied, kRolledBack, kFailed };
std::string_view MigrationStatusName(MigrationStatus s);  // "applied", "rolled_back", "failed"

// The committed batches of a batched data migration that has not finished
// (docs/data-migrations.md, "Resuming"). Empty (active = false) otherwise.
struct BatchProgress {
  bool active = false;  // at least one BatchApplied since the attempt began
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  std::string checksum;                   // of the version whose batches these are
  std::map<int32_t, std::string> cursor;  // loop -> last key committed
  int64_t rows = 0;
  int64_t batches = 0;  // the last batch_number
  // A section run outside one transaction (StatementsCommitted events,
  // docs/transactions.md): statements completed so far, and a statement that
  // cannot run in a transaction announced but not known to have completed
  // (its text, cut, and file line; empty when none).
  int64_t statements = 0;
  std::string intent;
  int32_t intent_line = 0;
};

struct MigrationRecord {
  std::string id;
  std::string description;
  std::string checksum;  // of the version that was last applied (set by a commit)
  std::string file;
  v1::StorageType storage_type = v1::STORAGE_TYPE_TABLE;
  MigrationStatus status = MigrationStatus::kFailed;
  int64_t applied_at = 0;      // micros; 0 if never applied
  int64_t rolled_back_at = 0;  // micros; 0 if never rolled back
  std::string applied_by;      // "user@host"
  std::string applied_run_id;
  int64_t applied_position = 0;  // position of the event that made it applied
  int64_t duration_micros = 0;
  int32_t times_applied = 0;
  // The last failure, if any (also kept when a later attempt succeeded).
  std::string last_error;
  int32_t last_error_line = 0;
  int64_t failed_at = 0;
  // Applied by a MigrationBaselined event (its SQL never ran here); cleared
  // when the migration is later committed by a run.
  bool baselined = false;
  BatchProgress progress;
};

struct RunRecord {
  std::string run_id;
  v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
  int64_t started_at = 0;
  int64_t finished_at = 0;  // 0 while open (or if the process died)
  v1::RunOutcome outcome = v1::RUN_OUTCOME_UNSPECIFIED;
  std::string actor;  // "user@host"
  v1::TransactionMode mode = v1::TRANSACTION_MODE_UNSPECIFIED;
  std::vector<std::string> planned;  // planned migration ids, in run order
  int32_t steps_done = 0;  // outcomes (committed, rolled back, failed) recorded by this run
  // The migration this run started and has recorded no outcome for yet (it
  // runs outside one transaction, or batch by batch); empty otherwise.
  std::string current;
  v1::Direction current_direction = v1::DIRECTION_UNSPECIFIED;
};

struct StreamState {
  std::string stream;
  Head head;
  std::map<std::string, MigrationRecord, MigrationIdLess> migrations;
  // Ids currently applied, in the order they were applied (oldest first).
  std::vector<std::string> applied_order;
  int64_t runs = 0;
  RunRecord last_run;

  bool IsApplied(const std::string& id) const;
  // The highest applied migration id, repeatable scripts aside; empty when
  // none is applied.
  std::string CurrentVersion() const;
};

// Version of the replay rules: bump it whenever StateBuilder::Apply changes
// what it derives from events, so that state snapshots built by older rules
// are ignored (docs/caches.md).
inline constexpr int64_t kReplayVersion = 4;

// Folds events, in position order, into a StreamState.
class StateBuilder {
 public:
  explicit StateBuilder(std::string stream);
  void Apply(const v1::Event& event);
  const StreamState& state() const { return state_; }
  StreamState Take() { return std::move(state_); }

  // The builder's whole state, in-flight bookkeeping included, as a
  // serialized cairn.v1.StateSnapshot (proto/cairn/v1/snapshot.proto).
  // Deterministic: equal states give equal bytes.
  std::string SerializeSnapshot() const;
  // The inverse. kDataLoss if `bytes` do not decode or were built by other
  // replay rules (kReplayVersion).
  static StatusOr<StateBuilder> RestoreSnapshot(std::string_view bytes);

 private:
  // r.progress, marked active for an attempt in `direction` if it was not.
  BatchProgress& StartProgress(MigrationRecord& r, v1::Direction direction);

  StreamState state_;
  // Checksums of up migrations started but not yet committed or failed.
  std::map<std::string, std::string> pending_checksum_;
  // Checksum and direction of the latest attempt per migration, for progress.
  std::map<std::string, std::pair<std::string, v1::Direction>> attempt_;
};

// Folds the stream. Starts from the stream's state snapshot when one is
// stored and still describes a prefix of this chain (docs/caches.md), and
// folds only the events after it; otherwise reads the whole stream. The
// result is the same either way.
StatusOr<StreamState> ReplayStream(LedgerStore& store, std::string_view stream);
// The same, returning the builder so that more events can be folded in.
StatusOr<StateBuilder> ReplayBuilder(LedgerStore& store, std::string_view stream);

// Stores the stream's current state as its snapshot, replacing an older one,
// in a transaction of its own (the connection must have none open). Cheap
// when the stored snapshot is recent: only the newer events are folded.
Status SaveSnapshot(LedgerStore& store, std::string_view stream);

// How a stored snapshot disagrees with the chain (docs/ledger-format.md,
// "The state snapshot").
struct SnapshotFault {
  std::string name;      // "snapshot ahead" or "snapshot mismatch"
  int64_t position = 0;  // the position verification reports
};

// Compares the stored snapshot, if any, with a full replay of the stream up
// to the snapshot's position. Returns an empty string when they agree (or
// there is no snapshot built by these replay rules), else what is wrong, and
// then also fills `*fault` when given.
StatusOr<std::string> CheckSnapshot(LedgerStore& store, std::string_view stream,
                                    SnapshotFault* fault = nullptr);

}  // namespace cairn::ledger

#endif  // CAIRN_STORE_STATE_H_

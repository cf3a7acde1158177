// State snapshots: a cached fold of a stream, checked against the chain
// before use (docs/caches.md).
#include <algorithm>
#include <optional>

#include "cairn/db/database.h"
#include "cairn/ledger/hash.h"
#include "cairn/ledger/state.h"
#include "cairn/v1/snapshot.pb.h"

namespace cairn::ledger {

// Tripwire: a field added to the replay state must also be added to
// snapshot.proto and to the two functions below (and kReplayVersion bumped),
// or snapshots would silently drop it. The sizes are those of x86-64 libstdc++.
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(MigrationRecord) == 400,
              "MigrationRecord changed: update snapshot.proto, ledger/src/snapshot.cc and "
              "kReplayVersion");
static_assert(sizeof(RunRecord) == 96,
              "RunRecord changed: update snapshot.proto, ledger/src/snapshot.cc and "
              "kReplayVersion");
static_assert(sizeof(StateBuilder) == 344,
              "StateBuilder changed: update snapshot.proto, ledger/src/snapshot.cc and "
              "kReplayVersion");
static_assert(sizeof(StreamState) == 248,
              "StreamState changed: update snapshot.proto, ledger/src/snapshot.cc and "
              "kReplayVersion");
#endif

std::string StateBuilder::SerializeSnapshot() const {
  v1::StateSnapshot snap;
  snap.set_replay_version(kReplayVersion);
  snap.set_stream(state_.stream);
  snap.set_position(state_.head.position);
  snap.set_head_hash(state_.head.hash);
  for (const auto& [id, r] : state_.migrations) {
    v1::MigrationStateSnapshot* m = snap.add_migrations();
    m->set_id(r.id);
    m->set_description(r.description);
    m->set_checksum(r.checksum);
    m->set_file(r.file);
    m->set_storage_type(r.storage_type);
    m->set_status(static_cast<int32_t>(r.status));
    m->set_applied_at(r.applied_at);
    m->set_rolled_back_at(r.rolled_back_at);
    m->set_applied_by(r.applied_by);
    m->set_applied_run_id(r.applied_run_id);
    m->set_applied_position(r.applied_position);
    m->set_duration_micros(r.duration_micros);
    m->set_times_applied(r.times_applied);
    m->set_last_error(r.last_error);
    m->set_last_error_line(r.last_error_line);
    m->set_failed_at(r.failed_at);
    m->set_baselined(r.baselined);
    v1::BatchProgressSnapshot* bp = m->mutable_progress();
    bp->set_active(r.progress.active);
    bp->set_direction(r.progress.direction);
    bp->set_checksum(r.progress.checksum);
    for (const auto& [loop, cursor] : r.progress.cursor) {
      v1::LoopCursor* c = bp->add_cursors();
      c->set_loop(loop);
      c->set_cursor(cursor);
    }
    bp->set_rows(r.progress.rows);
    bp->set_batches(r.progress.batches);
  }
  for (const auto& id : state_.applied_order) snap.add_applied_order(id);
  snap.set_runs(state_.runs);
  v1::RunStateSnapshot* run = snap.mutable_last_run();
  run->set_run_id(state_.last_run.run_id);
  run->set_direction(state_.last_run.direction);
  run->set_started_at(state_.last_run.started_at);
  run->set_finished_at(state_.last_run.finished_at);
  run->set_outcome(state_.last_run.outcome);
  run->set_actor(state_.last_run.actor);
  for (const auto& [id, checksum] : pending_checksum_) {
    v1::PendingChecksum* p = snap.add_pending_checksums();
    p->set_migration_id(id);
    p->set_checksum(checksum);
  }
  for (const auto& [id, attempt] : attempt_) {
    v1::AttemptSnapshot* a = snap.add_attempts();
    a->set_migration_id(id);
    a->set_checksum(attempt.first);
    a->set_direction(attempt.second);
  }
  return snap.SerializeAsString();
}

StatusOr<StateBuilder> StateBuilder::RestoreSnapshot(std::string_view bytes) {
  v1::StateSnapshot snap;
  if (!snap.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return DataLossError("state snapshot does not decode");
  if (snap.replay_version() != kReplayVersion)
    return DataLossError("state snapshot was built by replay rules version " +
                         std::to_string(snap.replay_version()) + ", this cairn uses " +
                         std::to_string(kReplayVersion));
  StateBuilder b(snap.stream());
  StreamState& st = b.state_;
  st.head = Head{snap.position(), snap.head_hash()};
  for (const auto& m : snap.migrations()) {
    if (m.status() < 0 || m.status() > static_cast<int32_t>(MigrationStatus::kFailed))
      return DataLossError("state snapshot has an unknown migration status");
    MigrationRecord r;
    r.id = m.id();
    r.description = m.description();
    r.checksum = m.checksum();
    r.file = m.file();
    r.storage_type = m.storage_type();
    r.status = static_cast<MigrationStatus>(m.status());
    r.applied_at = m.applied_at();
    r.rolled_back_at = m.rolled_back_at();
    r.applied_by = m.applied_by();
    r.applied_run_id = m.applied_run_id();
    r.applied_position = m.applied_position();
    r.duration_micros = m.duration_micros();
    r.times_applied = m.times_applied();
    r.last_error = m.last_error();
    r.last_error_line = m.last_error_line();
    r.failed_at = m.failed_at();
    r.baselined = m.baselined();
    r.progress.active = m.progress().active();
    r.progress.direction = m.progress().direction();
    r.progress.checksum = m.progress().checksum();
    for (const auto& c : m.progress().cursors()) r.progress.cursor[c.loop()] = c.cursor();
    r.progress.rows = m.progress().rows();
    r.progress.batches = m.progress().batches();
    st.migrations.emplace_hint(st.migrations.end(), r.id, std::move(r));
  }
  st.applied_order.assign(snap.applied_order().begin(), snap.applied_order().end());
  st.runs = snap.runs();
  const auto& run = snap.last_run();
  st.last_run.run_id = run.run_id();
  st.last_run.direction = run.direction();
  st.last_run.started_at = run.started_at();
  st.last_run.finished_at = run.finished_at();
  st.last_run.outcome = run.outcome();
  st.last_run.actor = run.actor();
  for (const auto& p : snap.pending_checksums())
    b.pending_checksum_[p.migration_id()] = p.checksum();
  for (const auto& a : snap.attempts())
    b.attempt_[a.migration_id()] = {a.checksum(), a.direction()};
  return b;
}

namespace {

constexpr std::string_view kTable = "cairn_state_snapshot";

struct StoredSnapshot {
  int64_t position = 0;
  std::string head_hash;
  int64_t replay = 0;
  std::string state;
};

StatusOr<bool> SnapshotTableExists(db::Connection& conn) {
  const char* sql =
      conn.backend() == db::Backend::kSqlite
          ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
          : "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
            "n.oid = c.relnamespace WHERE c.relname = $1 AND n.nspname = current_schema()";
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(sql, {db::Value(kTable)}));
  return !rows.empty() && rows[0][0].AsInt() > 0;
}

StatusOr<std::optional<StoredSnapshot>> LoadStored(LedgerStore& store, std::string_view stream) {
  db::Connection& conn = store.connection();
  CAIRN_ASSIGN_OR_RETURN(bool exists, SnapshotTableExists(conn));
  if (!exists) return std::optional<StoredSnapshot>();
  CAIRN_ASSIGN_OR_RETURN(
      auto rows, conn.Query("SELECT position, head_hash, replay, state FROM cairn_state_snapshot "
                            "WHERE stream = $1",
                            {db::Value(stream)}));
  if (rows.empty()) return std::optional<StoredSnapshot>();
  StoredSnapshot s;
  s.position = rows[0][0].AsInt();
  s.head_hash = rows[0][1].AsBytes();
  s.replay = rows[0][2].AsInt();
  s.state = rows[0][3].AsBytes();
  return std::optional<StoredSnapshot>(std::move(s));
}

// The snapshot as a builder, if it is usable for this chain: built by these
// replay rules, and the record at its position still has its head hash.
StatusOr<std::optional<StateBuilder>> UsableSnapshot(LedgerStore& store, std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(auto stored, LoadStored(store, stream));
  if (!stored || stored->replay != kReplayVersion || stored->position <= 0)
    return std::optional<StateBuilder>();
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      store.connection().Query("SELECT hash FROM cairn_ledger WHERE stream = $1 AND position = $2",
                               {db::Value(stream), db::Value(stored->position)}));
  if (rows.empty() || rows[0][0].AsBytes() != stored->head_hash)
    return std::optional<StateBuilder>();
  auto builder = StateBuilder::RestoreSnapshot(stored->state);
  if (!builder.ok()) return std::optional<StateBuilder>();
  const Head& head = builder->state().head;
  if (builder->state().stream != stream || head.position != stored->position ||
      head.hash != stored->head_hash)
    return std::optional<StateBuilder>();
  return std::optional<StateBuilder>(std::move(*builder));
}

Status Fold(LedgerStore& store, std::string_view stream, int64_t from, int64_t limit,
            StateBuilder& builder) {
  return store.Read(stream, from, limit, [&](const v1::Event& e) {
    builder.Apply(e);
    return true;
  });
}

}  // namespace

StatusOr<StateBuilder> ReplayBuilder(LedgerStore& store, std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(bool ledger_exists, store.Exists());
  if (!ledger_exists) return StateBuilder{std::string(stream)};
  CAIRN_ASSIGN_OR_RETURN(auto snapshot, UsableSnapshot(store, stream));
  StateBuilder builder = snapshot ? std::move(*snapshot) : StateBuilder{std::string(stream)};
  CAIRN_RETURN_IF_ERROR(Fold(store, stream, builder.state().head.position + 1, 0, builder));
  return builder;
}

StatusOr<StreamState> ReplayStream(LedgerStore& store, std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(StateBuilder builder, ReplayBuilder(store, stream));
  return builder.Take();
}

Status SaveSnapshot(LedgerStore& store, std::string_view stream) {
  db::Connection& conn = store.connection();
  CAIRN_ASSIGN_OR_RETURN(StateBuilder builder, ReplayBuilder(store, stream));
  const Head head = builder.state().head;
  if (head.position == 0) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(auto tx, conn.Begin());
  const bool sqlite = conn.backend() == db::Backend::kSqlite;
  CAIRN_ASSIGN_OR_RETURN(bool exists, SnapshotTableExists(conn));
  if (!exists) {
    // The ledger's schema lock (docs/ledger-format.md) keeps two creators
    // from colliding; SQLite's write lock does the same there.
    if (!sqlite) {
      CAIRN_RETURN_IF_ERROR(conn.Execute("SELECT pg_advisory_xact_lock(1667328370, 0)").status());
    }
    CAIRN_RETURN_IF_ERROR(
        conn.Execute(
                sqlite
                    ? "CREATE TABLE IF NOT EXISTS cairn_state_snapshot (stream TEXT PRIMARY KEY, "
                      "position INTEGER NOT NULL, head_hash BLOB NOT NULL, replay INTEGER NOT "
                      "NULL, "
                      "state BLOB NOT NULL)"
                    : "CREATE TABLE IF NOT EXISTS cairn_state_snapshot (stream TEXT PRIMARY KEY, "
                      "position BIGINT NOT NULL, head_hash BYTEA NOT NULL, replay BIGINT NOT NULL, "
                      "state BYTEA NOT NULL)")
            .status());
  }
  CAIRN_RETURN_IF_ERROR(
      conn.Execute("INSERT INTO cairn_state_snapshot (stream, position, head_hash, replay, state) "
                   "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream) DO UPDATE SET position = "
                   "excluded.position, head_hash = excluded.head_hash, replay = excluded.replay, "
                   "state = "
                   "excluded.state WHERE cairn_state_snapshot.position < excluded.position OR "
                   "cairn_state_snapshot.replay <> excluded.replay",
                   {db::Value(stream), db::Value(head.position), db::Value(db::Bytes{head.hash}),
                    db::Value(kReplayVersion), db::Value(db::Bytes{builder.SerializeSnapshot()})})
          .status());
  return tx->Commit();
}

StatusOr<std::string> CheckSnapshot(LedgerStore& store, std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(bool ledger_exists, store.Exists());
  if (!ledger_exists) return std::string();
  CAIRN_ASSIGN_OR_RETURN(auto stored, LoadStored(store, stream));
  if (!stored || stored->replay != kReplayVersion) return std::string();
  StateBuilder full{std::string(stream)};
  CAIRN_RETURN_IF_ERROR(Fold(store, stream, 1, stored->position, full));
  if (full.state().head.position != stored->position)
    return "state snapshot at position " + std::to_string(stored->position) +
           " is ahead of the ledger (head " + std::to_string(full.state().head.position) + ")";
  if (full.SerializeSnapshot() != stored->state)
    return "state snapshot at position " + std::to_string(stored->position) +
           " does not match the ledger";
  return std::string();
}

}  // namespace cairn::ledger

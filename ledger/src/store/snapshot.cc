// State snapshots: a cached fold of a stream, checked against the chain
// before use (docs/caches.md).
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <type_traits>

#include "cairn/base/hash.h"
#include "cairn/db/database.h"
#include "cairn/store/state.h"
#include "cairn/v1/snapshot.pb.h"

namespace cairn::ledger {

// Tripwire: a field added to the replay state must also be added to
// snapshot.proto and to the two functions below (and kReplayVersion bumped),
// or snapshots would silently drop it. The sizes are those of x86-64 libstdc++.
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(MigrationRecord) == 448,
              "MigrationRecord changed: update snapshot.proto, ledger/src/store/snapshot.cc and "
              "kReplayVersion");
static_assert(sizeof(RunRecord) == 176,
              "RunRecord changed: update snapshot.proto, ledger/src/store/snapshot.cc and "
              "kReplayVersion");
static_assert(sizeof(StateBuilder) == 424,
              "StateBuilder changed: update snapshot.proto, ledger/src/store/snapshot.cc and "
              "kReplayVersion");
static_assert(sizeof(StreamState) == 328,
              "StreamState changed: update snapshot.proto, ledger/src/store/snapshot.cc and "
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
    bp->set_statements(r.progress.statements);
    bp->set_intent(r.progress.intent);
    bp->set_intent_line(r.progress.intent_line);
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
  run->set_mode(state_.last_run.mode);
  for (const auto& id : state_.last_run.planned) run->add_planned(id);
  run->set_steps_done(state_.last_run.steps_done);
  run->set_current(state_.last_run.current);
  run->set_current_direction(state_.last_run.current_direction);
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

// Decoding reads the wire format straight into the builder's records. Going
// through the generated StateSnapshot message would allocate every string
// twice, which at 10,000 migrations was a fifth of `cairn status`
// (BENCHMARKS.md). The rules are protobuf's: fields in any order, a singular
// field seen twice keeps its last value, embedded messages merge, unknown
// fields and fields of an unexpected wire type are skipped, and a field left
// out has proto3's default. SerializeSnapshot above stays on the generated
// code; tests/ledger/snapshot_codec_test.cc holds the two to each other.
namespace {

using google::protobuf::io::CodedInputStream;
using WireFormat = google::protobuf::internal::WireFormatLite;

bool Skip(CodedInputStream& in, uint32_t tag) { return WireFormat::SkipField(&in, tag); }

bool ReadText(CodedInputStream& in, uint32_t tag, std::string* out) {
  if (WireFormat::GetTagWireType(tag) != WireFormat::WIRETYPE_LENGTH_DELIMITED)
    return Skip(in, tag);
  uint32_t size = 0;
  return in.ReadVarint32(&size) && in.ReadString(out, static_cast<int>(size));
}

// int32, int64, bool and enum fields: varints, truncated like protobuf does.
template <typename T>
bool ReadNumber(CodedInputStream& in, uint32_t tag, T* out) {
  if (WireFormat::GetTagWireType(tag) != WireFormat::WIRETYPE_VARINT) return Skip(in, tag);
  uint64_t v = 0;
  if (!in.ReadVarint64(&v)) return false;
  if constexpr (std::is_same_v<T, bool>) {
    *out = v != 0;
  } else if constexpr (std::is_enum_v<T>) {
    *out = static_cast<T>(static_cast<int32_t>(v));
  } else {
    *out = static_cast<T>(v);
  }
  return true;
}

// Reads an embedded message, calling field(tag) for each of its fields.
template <typename F>
bool ReadMessage(CodedInputStream& in, uint32_t tag, F&& field) {
  if (WireFormat::GetTagWireType(tag) != WireFormat::WIRETYPE_LENGTH_DELIMITED)
    return Skip(in, tag);
  uint32_t size = 0;
  if (!in.ReadVarint32(&size)) return false;
  const CodedInputStream::Limit limit = in.PushLimit(static_cast<int>(size));
  bool ok = true;
  while (ok) {
    const uint32_t t = in.ReadTag();
    if (t == 0) break;
    ok = field(t);
  }
  ok = ok && in.BytesUntilLimit() == 0;
  in.PopLimit(limit);
  return ok;
}

int FieldOf(uint32_t tag) { return WireFormat::GetTagFieldNumber(tag); }

bool ReadProgress(CodedInputStream& in, uint32_t tag, BatchProgress* p) {
  return ReadMessage(in, tag, [&](uint32_t t) {
    switch (FieldOf(t)) {
      case 1:
        return ReadNumber(in, t, &p->active);
      case 2:
        return ReadNumber(in, t, &p->direction);
      case 3:
        return ReadText(in, t, &p->checksum);
      case 4: {
        int32_t loop = 0;
        std::string cursor;
        if (!ReadMessage(in, t, [&](uint32_t c) {
              switch (FieldOf(c)) {
                case 1:
                  return ReadNumber(in, c, &loop);
                case 2:
                  return ReadText(in, c, &cursor);
                default:
                  return Skip(in, c);
              }
            }))
          return false;
        if (WireFormat::GetTagWireType(t) == WireFormat::WIRETYPE_LENGTH_DELIMITED)
          p->cursor[loop] = std::move(cursor);
        return true;
      }
      case 5:
        return ReadNumber(in, t, &p->rows);
      case 6:
        return ReadNumber(in, t, &p->batches);
      case 7:
        return ReadNumber(in, t, &p->statements);
      case 8:
        return ReadText(in, t, &p->intent);
      case 9:
        return ReadNumber(in, t, &p->intent_line);
      default:
        return Skip(in, t);
    }
  });
}

bool ReadMigration(CodedInputStream& in, uint32_t tag, MigrationRecord* r, int32_t* status) {
  return ReadMessage(in, tag, [&](uint32_t t) {
    switch (FieldOf(t)) {
      case 1:
        return ReadText(in, t, &r->id);
      case 2:
        return ReadText(in, t, &r->description);
      case 3:
        return ReadText(in, t, &r->checksum);
      case 4:
        return ReadText(in, t, &r->file);
      case 5:
        return ReadNumber(in, t, &r->storage_type);
      case 6:
        return ReadNumber(in, t, status);
      case 7:
        return ReadNumber(in, t, &r->applied_at);
      case 8:
        return ReadNumber(in, t, &r->rolled_back_at);
      case 9:
        return ReadText(in, t, &r->applied_by);
      case 10:
        return ReadText(in, t, &r->applied_run_id);
      case 11:
        return ReadNumber(in, t, &r->applied_position);
      case 12:
        return ReadNumber(in, t, &r->duration_micros);
      case 13:
        return ReadNumber(in, t, &r->times_applied);
      case 14:
        return ReadText(in, t, &r->last_error);
      case 15:
        return ReadNumber(in, t, &r->last_error_line);
      case 16:
        return ReadNumber(in, t, &r->failed_at);
      case 17:
        return ReadNumber(in, t, &r->baselined);
      case 18:
        return ReadProgress(in, t, &r->progress);
      default:
        return Skip(in, t);
    }
  });
}

}  // namespace

StatusOr<StateBuilder> StateBuilder::RestoreSnapshot(std::string_view bytes) {
  const Status undecodable = DataLossError("state snapshot does not decode");
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) return undecodable;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  int64_t replay_version = 0;
  bool bad_status = false;
  StateBuilder b("");
  StreamState& st = b.state_;
  st.head = Head{};  // a field the bytes leave out is proto3's default, not genesis
  RunRecord& run = st.last_run;
  bool ok = true;
  while (ok) {
    const uint32_t t = in.ReadTag();
    if (t == 0) break;
    switch (FieldOf(t)) {
      case 1:
        ok = ReadNumber(in, t, &replay_version);
        break;
      case 2:
        ok = ReadText(in, t, &st.stream);
        break;
      case 3:
        ok = ReadNumber(in, t, &st.head.position);
        break;
      case 4:
        ok = ReadText(in, t, &st.head.hash);
        break;
      case 5: {
        MigrationRecord r;
        r.storage_type = v1::STORAGE_TYPE_UNSPECIFIED;  // proto3's default, not the struct's
        int32_t status = 0;
        ok = ReadMigration(in, t, &r, &status);
        if (ok && WireFormat::GetTagWireType(t) == WireFormat::WIRETYPE_LENGTH_DELIMITED) {
          if (status < 0 || status > static_cast<int32_t>(MigrationStatus::kFailed))
            bad_status = true;
          r.status = static_cast<MigrationStatus>(status);
          std::string id = r.id;
          st.migrations.emplace_hint(st.migrations.end(), std::move(id), std::move(r));
        }
        break;
      }
      case 6:
        if (WireFormat::GetTagWireType(t) == WireFormat::WIRETYPE_LENGTH_DELIMITED) {
          ok = ReadText(in, t, &st.applied_order.emplace_back());
        } else {
          ok = Skip(in, t);
        }
        break;
      case 7:
        ok = ReadNumber(in, t, &st.runs);
        break;
      case 8:
        ok = ReadMessage(in, t, [&](uint32_t f) {
          switch (FieldOf(f)) {
            case 1:
              return ReadText(in, f, &run.run_id);
            case 2:
              return ReadNumber(in, f, &run.direction);
            case 3:
              return ReadNumber(in, f, &run.started_at);
            case 4:
              return ReadNumber(in, f, &run.finished_at);
            case 5:
              return ReadNumber(in, f, &run.outcome);
            case 6:
              return ReadText(in, f, &run.actor);
            case 7:
              return ReadNumber(in, f, &run.mode);
            case 8:
              if (WireFormat::GetTagWireType(f) != WireFormat::WIRETYPE_LENGTH_DELIMITED)
                return Skip(in, f);
              return ReadText(in, f, &run.planned.emplace_back());
            case 9:
              return ReadNumber(in, f, &run.steps_done);
            case 10:
              return ReadText(in, f, &run.current);
            case 11:
              return ReadNumber(in, f, &run.current_direction);
            default:
              return Skip(in, f);
          }
        });
        break;
      case 9:
      case 10: {
        const bool pending = FieldOf(t) == 9;
        std::string id, checksum;
        v1::Direction direction = v1::DIRECTION_UNSPECIFIED;
        ok = ReadMessage(in, t, [&](uint32_t f) {
          switch (FieldOf(f)) {
            case 1:
              return ReadText(in, f, &id);
            case 2:
              return ReadText(in, f, &checksum);
            case 3:
              if (!pending) return ReadNumber(in, f, &direction);
              return Skip(in, f);
            default:
              return Skip(in, f);
          }
        });
        if (!ok || WireFormat::GetTagWireType(t) != WireFormat::WIRETYPE_LENGTH_DELIMITED) break;
        if (pending) {
          b.pending_checksum_.insert_or_assign(b.pending_checksum_.end(), std::move(id),
                                               std::move(checksum));
        } else {
          b.attempt_.insert_or_assign(b.attempt_.end(), std::move(id),
                                      std::make_pair(std::move(checksum), direction));
        }
        break;
      }
      default:
        ok = Skip(in, t);
        break;
    }
  }
  if (!ok || in.CurrentPosition() != static_cast<int>(bytes.size())) return undecodable;
  if (replay_version != kReplayVersion)
    return DataLossError("state snapshot was built by replay rules version " +
                         std::to_string(replay_version) + ", this cairn uses " +
                         std::to_string(kReplayVersion));
  if (bad_status) return DataLossError("state snapshot has an unknown migration status");
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
  s.state = rows[0][3].ReleaseBytes();
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

StatusOr<std::string> CheckSnapshot(LedgerStore& store, std::string_view stream,
                                    SnapshotFault* fault) {
  CAIRN_ASSIGN_OR_RETURN(bool ledger_exists, store.Exists());
  if (!ledger_exists) return std::string();
  CAIRN_ASSIGN_OR_RETURN(auto stored, LoadStored(store, stream));
  if (!stored || stored->replay != kReplayVersion) return std::string();
  const std::string at = "state snapshot at position " + std::to_string(stored->position);
  auto found = [&](std::string name, int64_t position, std::string problem) {
    if (fault != nullptr) *fault = SnapshotFault{std::move(name), position};
    return problem;
  };
  // cairn never saves a snapshot of an empty stream; and a limit of 0 would
  // fold the whole stream.
  if (stored->position < 1) return found("snapshot mismatch", 1, at + " does not match the ledger");
  StateBuilder full{std::string(stream)};
  CAIRN_RETURN_IF_ERROR(Fold(store, stream, 1, stored->position, full));
  const int64_t head = full.state().head.position;
  if (head != stored->position) {
    // Reported at the first position the snapshot has seen and the ledger
    // lacks, as a truncation caught by an anchor is.
    return found("snapshot ahead", head + 1,
                 at + " is ahead of the ledger (head " + std::to_string(head) + ")");
  }
  if (full.SerializeSnapshot() != stored->state)
    return found("snapshot mismatch", stored->position, at + " does not match the ledger");
  return std::string();
}

}  // namespace cairn::ledger

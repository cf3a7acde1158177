// Replay: the state of a target folded from its ledger stream (state.h), and
// the ordering of migration ids.
#include "cairn/store/state.h"

#include <set>
#include <string>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ledger::MigrationStatus;

int Sign(int x) { return (x > 0) - (x < 0); }

TEST(CompareMigrationIdsTest, AllDigitIdsCompareAsNumbers) {
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("9", "0010")), -1);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("0010", "9")), 1);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("0001", "0002")), -1);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("0099", "100")), -1);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("20260101120000", "20251231235959")), 1);
  // Longer than any integer type.
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("123456789012345678901234567890", "99")), 1);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("99", "123456789012345678901234567890")), -1);
}

TEST(CompareMigrationIdsTest, LeadingZerosDoNotMatter) {
  EXPECT_EQ(ledger::CompareMigrationIds("0010", "10"), 0);
  EXPECT_EQ(ledger::CompareMigrationIds("10", "0010"), 0);
  EXPECT_EQ(ledger::CompareMigrationIds("0", "000"), 0);
  EXPECT_EQ(ledger::CompareMigrationIds("0007", "0007"), 0);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("0", "0001")), -1);
}

TEST(CompareMigrationIdsTest, OtherIdsCompareAsByteStrings) {
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("abc", "abd")), -1);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("abd", "abc")), 1);
  EXPECT_EQ(ledger::CompareMigrationIds("v1_init", "v1_init"), 0);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("9", "9a")), -1);
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("10a", "9a")), -1);  // bytes, not numbers
  EXPECT_EQ(Sign(ledger::CompareMigrationIds("", "1")), -1);
  EXPECT_EQ(ledger::CompareMigrationIds("", ""), 0);
}

TEST(CompareMigrationIdsTest, MigrationIdLessOrdersASet) {
  std::set<std::string, ledger::MigrationIdLess> ids = {"0010", "9", "0002", "11", "100"};
  EXPECT_EQ(std::vector<std::string>(ids.begin(), ids.end()),
            (std::vector<std::string>{"0002", "9", "0010", "11", "100"}));
}

TEST(MigrationStatusNameTest, NamesEveryStatus) {
  EXPECT_EQ(ledger::MigrationStatusName(MigrationStatus::kApplied), "applied");
  EXPECT_EQ(ledger::MigrationStatusName(MigrationStatus::kRolledBack), "rolled_back");
  EXPECT_EQ(ledger::MigrationStatusName(MigrationStatus::kFailed), "failed");
}

// Writes hand-made events of one stream through a LedgerStore.
class StreamWriter {
 public:
  StreamWriter(ledger::LedgerStore& store, std::string stream)
      : store_(store), stream_(std::move(stream)) {}

  void StartRun(uint32_t run, const std::string& user, const std::string& host,
                v1::Direction direction) {
    run_id_ = TestUuid(run, 0);
    user_ = user;
    host_ = host;
    v1::Event e = Next();
    e.mutable_run_started()->set_direction(direction);
    e.mutable_run_started()->set_mode(v1::TRANSACTION_MODE_PER_MIGRATION);
    Append(e);
  }
  void Started(const std::string& id, v1::Direction direction, const std::string& checksum) {
    v1::Event e = Next();
    auto* b = e.mutable_migration_started();
    b->set_migration_id(id);
    b->set_description("migration " + id);
    b->set_checksum(checksum);
    b->set_direction(direction);
    b->set_storage_type(v1::STORAGE_TYPE_TABLE);
    b->set_file(id + "_migration.sql");
    Append(e);
  }
  void Committed(const std::string& id, int64_t duration) {
    v1::Event e = Next();
    e.mutable_migration_committed()->set_migration_id(id);
    e.mutable_migration_committed()->set_duration_micros(duration);
    e.mutable_migration_committed()->set_direction(v1::DIRECTION_UP);
    Append(e);
  }
  void RolledBack(const std::string& id) {
    v1::Event e = Next();
    e.mutable_migration_rolled_back()->set_migration_id(id);
    e.mutable_migration_rolled_back()->set_reason("rollback requested");
    Append(e);
  }
  void Failed(const std::string& id, v1::Direction direction, const std::string& error, int line) {
    v1::Event e = Next();
    auto* b = e.mutable_migration_failed();
    b->set_migration_id(id);
    b->set_direction(direction);
    b->set_error_message(error);
    b->set_line(line);
    Append(e);
  }
  void FinishRun(v1::RunOutcome outcome) {
    v1::Event e = Next();
    e.mutable_run_finished()->set_outcome(outcome);
    Append(e);
  }

  // The recorded_at (micros) of the event at `position`.
  static int64_t At(int64_t position) { return TestMicros(static_cast<uint64_t>(position)); }
  int64_t position() const { return position_; }

 private:
  v1::Event Next() {
    v1::Event e;
    e.set_stream(stream_);
    e.set_event_id(TestUuid(9, position_ + 1));
    e.set_run_id(run_id_);
    SetMicros(&e, At(position_ + 1));
    e.mutable_actor()->set_user(user_);
    e.mutable_actor()->set_host(host_);
    return e;
  }
  void Append(const v1::Event& e) {
    auto tx = store_.connection().Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    auto r = store_.Append(**tx, e);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->position, position_ + 1);
    CAIRN_ASSERT_OK((*tx)->Commit());
    ++position_;
  }

  ledger::LedgerStore& store_;
  std::string stream_;
  std::string run_id_, user_, host_;
  int64_t position_ = 0;
};

class ReplayTest : public ::testing::TestWithParam<db::Backend> {};

TEST_P(ReplayTest, ReplayStreamFoldsRunsIntoMigrationStates) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  auto conn = tdb->Connect();
  auto store = ledger::LedgerStore::For(*conn);
  CAIRN_ASSERT_OK(store->EnsureSchema());
  StreamWriter w(*store, "campus");

  // Run 1 (alice@db1, up): 9 applies; 0010 fails once, then applies with a
  // fixed file; 0011 applies.
  ASSERT_NO_FATAL_FAILURE(w.StartRun(1, "alice", "db1", v1::DIRECTION_UP));        // 1
  ASSERT_NO_FATAL_FAILURE(w.Started("9", v1::DIRECTION_UP, "sha256:nine"));        // 2
  ASSERT_NO_FATAL_FAILURE(w.Committed("9", 1500));                                 // 3
  ASSERT_NO_FATAL_FAILURE(w.Started("0010", v1::DIRECTION_UP, "sha256:ten-1"));    // 4
  ASSERT_NO_FATAL_FAILURE(w.Failed("0010", v1::DIRECTION_UP, "syntax error", 4));  // 5
  ASSERT_NO_FATAL_FAILURE(w.Started("0010", v1::DIRECTION_UP, "sha256:ten-2"));    // 6
  ASSERT_NO_FATAL_FAILURE(w.Committed("0010", 2500));                              // 7
  ASSERT_NO_FATAL_FAILURE(w.Started("0011", v1::DIRECTION_UP, "sha256:eleven"));   // 8
  ASSERT_NO_FATAL_FAILURE(w.Committed("0011", 3500));                              // 9
  ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_SUCCEEDED));                 // 10
  // Run 2 (bob@laptop, down): 0011 rolls back; 0010's down fails.
  ASSERT_NO_FATAL_FAILURE(w.StartRun(2, "bob", "laptop", v1::DIRECTION_DOWN));        // 11
  ASSERT_NO_FATAL_FAILURE(w.Started("0011", v1::DIRECTION_DOWN, "sha256:eleven-x"));  // 12
  ASSERT_NO_FATAL_FAILURE(w.RolledBack("0011"));                                      // 13
  ASSERT_NO_FATAL_FAILURE(w.Started("0010", v1::DIRECTION_DOWN, "sha256:ten-x"));     // 14
  ASSERT_NO_FATAL_FAILURE(w.Failed("0010", v1::DIRECTION_DOWN, "cannot drop", 7));    // 15
  ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_FAILED));                       // 16
  // Run 3 (carol@ci, up): 0012 fails.
  ASSERT_NO_FATAL_FAILURE(w.StartRun(3, "carol", "ci", v1::DIRECTION_UP));          // 17
  ASSERT_NO_FATAL_FAILURE(w.Started("0012", v1::DIRECTION_UP, "sha256:twelve"));    // 18
  ASSERT_NO_FATAL_FAILURE(w.Failed("0012", v1::DIRECTION_UP, "no such table", 3));  // 19
  ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_FAILED));                     // 20

  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState s, ledger::ReplayStream(*store, "campus"));
  EXPECT_EQ(s.stream, "campus");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store->GetHead("campus"));
  EXPECT_EQ(s.head.position, 20);
  EXPECT_EQ(s.head.hash, head.hash);

  ASSERT_EQ(s.migrations.size(), 4u);
  std::vector<std::string> ids;
  for (const auto& [id, rec] : s.migrations) ids.push_back(id);
  EXPECT_EQ(ids, (std::vector<std::string>{"9", "0010", "0011", "0012"}));

  const ledger::MigrationRecord& nine = s.migrations.at("9");
  EXPECT_EQ(nine.status, MigrationStatus::kApplied);
  EXPECT_EQ(nine.checksum, "sha256:nine");
  EXPECT_EQ(nine.applied_by, "alice@db1");
  EXPECT_EQ(nine.applied_run_id, TestUuid(1, 0));
  EXPECT_EQ(nine.applied_at, StreamWriter::At(3));
  EXPECT_EQ(nine.applied_position, 3);
  EXPECT_EQ(nine.duration_micros, 1500);
  EXPECT_EQ(nine.times_applied, 1);
  EXPECT_EQ(nine.file, "9_migration.sql");
  EXPECT_EQ(nine.description, "migration 9");

  const ledger::MigrationRecord& ten = s.migrations.at("0010");
  EXPECT_EQ(ten.status, MigrationStatus::kApplied) << "a failed down leaves the migration applied";
  EXPECT_EQ(ten.checksum, "sha256:ten-2") << "the checksum of the attempt that committed";
  EXPECT_EQ(ten.applied_at, StreamWriter::At(7));
  EXPECT_EQ(ten.applied_position, 7);
  EXPECT_EQ(ten.times_applied, 1);
  EXPECT_EQ(ten.applied_by, "alice@db1");
  EXPECT_EQ(ten.last_error, "cannot drop");
  EXPECT_EQ(ten.last_error_line, 7);
  EXPECT_EQ(ten.failed_at, StreamWriter::At(15));
  EXPECT_EQ(ten.rolled_back_at, 0);

  const ledger::MigrationRecord& eleven = s.migrations.at("0011");
  EXPECT_EQ(eleven.status, MigrationStatus::kRolledBack);
  EXPECT_EQ(eleven.checksum, "sha256:eleven") << "a down attempt does not change the checksum";
  EXPECT_EQ(eleven.applied_at, StreamWriter::At(9));
  EXPECT_EQ(eleven.rolled_back_at, StreamWriter::At(13));

  const ledger::MigrationRecord& twelve = s.migrations.at("0012");
  EXPECT_EQ(twelve.status, MigrationStatus::kFailed);
  EXPECT_EQ(twelve.last_error, "no such table");
  EXPECT_EQ(twelve.last_error_line, 3);
  EXPECT_EQ(twelve.applied_at, 0);
  EXPECT_EQ(twelve.times_applied, 0);

  EXPECT_EQ(s.applied_order, (std::vector<std::string>{"9", "0010"}));
  EXPECT_EQ(s.CurrentVersion(), "0010") << "numeric order: 9 < 0010";
  EXPECT_TRUE(s.IsApplied("9"));
  EXPECT_TRUE(s.IsApplied("0010"));
  EXPECT_FALSE(s.IsApplied("0011"));
  EXPECT_FALSE(s.IsApplied("0012"));
  EXPECT_FALSE(s.IsApplied("0013"));

  EXPECT_EQ(s.runs, 3);
  EXPECT_EQ(s.last_run.run_id, TestUuid(3, 0));
  EXPECT_EQ(s.last_run.direction, v1::DIRECTION_UP);
  EXPECT_EQ(s.last_run.actor, "carol@ci");
  EXPECT_EQ(s.last_run.started_at, StreamWriter::At(17));
  EXPECT_EQ(s.last_run.finished_at, StreamWriter::At(20));
  EXPECT_EQ(s.last_run.outcome, v1::RUN_OUTCOME_FAILED);

  // Run 4 (dave@db1, up): 0011 is applied again from a changed file.
  ASSERT_NO_FATAL_FAILURE(w.StartRun(4, "dave", "db1", v1::DIRECTION_UP));          // 21
  ASSERT_NO_FATAL_FAILURE(w.Started("0011", v1::DIRECTION_UP, "sha256:eleven-2"));  // 22
  // A run that is open: no RunFinished yet.
  ASSERT_NO_FATAL_FAILURE(w.Committed("0011", 4500));  // 23

  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState s2, ledger::ReplayStream(*store, "campus"));
  EXPECT_EQ(s2.head.position, 23);
  const ledger::MigrationRecord& again = s2.migrations.at("0011");
  EXPECT_EQ(again.status, MigrationStatus::kApplied);
  EXPECT_EQ(again.checksum, "sha256:eleven-2");
  EXPECT_EQ(again.times_applied, 2);
  EXPECT_EQ(again.applied_by, "dave@db1");
  EXPECT_EQ(again.applied_position, 23);
  EXPECT_EQ(s2.applied_order, (std::vector<std::string>{"9", "0010", "0011"}));
  EXPECT_EQ(s2.CurrentVersion(), "0011");
  EXPECT_EQ(s2.runs, 4);
  EXPECT_EQ(s2.last_run.actor, "dave@db1");
  EXPECT_EQ(s2.last_run.finished_at, 0) << "the run has not finished";
  EXPECT_EQ(s2.last_run.outcome, v1::RUN_OUTCOME_UNSPECIFIED);
}

TEST_P(ReplayTest, StateBuilderOverAPrefixGivesTheStateAtThatPoint) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  auto conn = tdb->Connect();
  auto store = ledger::LedgerStore::For(*conn);
  CAIRN_ASSERT_OK(store->EnsureSchema());
  StreamWriter w(*store, "campus");
  ASSERT_NO_FATAL_FAILURE(w.StartRun(1, "alice", "db1", v1::DIRECTION_UP));      // 1
  ASSERT_NO_FATAL_FAILURE(w.Started("9", v1::DIRECTION_UP, "sha256:nine"));      // 2
  ASSERT_NO_FATAL_FAILURE(w.Committed("9", 1));                                  // 3
  ASSERT_NO_FATAL_FAILURE(w.Started("0010", v1::DIRECTION_UP, "sha256:ten"));    // 4
  ASSERT_NO_FATAL_FAILURE(w.Committed("0010", 1));                               // 5
  ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_SUCCEEDED));               // 6
  ASSERT_NO_FATAL_FAILURE(w.StartRun(2, "alice", "db1", v1::DIRECTION_DOWN));    // 7
  ASSERT_NO_FATAL_FAILURE(w.Started("0010", v1::DIRECTION_DOWN, "sha256:ten"));  // 8
  ASSERT_NO_FATAL_FAILURE(w.RolledBack("0010"));                                 // 9
  ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_SUCCEEDED));               // 10

  auto state_at = [&](int64_t last) {
    ledger::StateBuilder b("campus");
    Status st = store->Read("campus", 1, last, [&](const v1::Event& e) {
      b.Apply(e);
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return b.Take();
  };
  ledger::StreamState all = state_at(0 /* no limit */);
  EXPECT_EQ(all.head.position, 10);
  EXPECT_EQ(all.runs, 2);

  ledger::StreamState at2 = state_at(2);  // 9 started, not yet committed
  EXPECT_EQ(at2.head.position, 2);
  EXPECT_FALSE(at2.IsApplied("9"));
  EXPECT_EQ(at2.CurrentVersion(), "");
  EXPECT_TRUE(at2.applied_order.empty());

  ledger::StreamState at5 = state_at(5);
  EXPECT_EQ(at5.CurrentVersion(), "0010");
  EXPECT_EQ(at5.applied_order, (std::vector<std::string>{"9", "0010"}));
  EXPECT_EQ(at5.last_run.finished_at, 0);

  ledger::StreamState at9 = state_at(9);
  EXPECT_EQ(at9.CurrentVersion(), "9");
  EXPECT_EQ(at9.applied_order, (std::vector<std::string>{"9"}));
  EXPECT_EQ(at9.migrations.at("0010").status, MigrationStatus::kRolledBack);
  EXPECT_EQ(at9.runs, 2);
}

TEST_P(ReplayTest, CommittingAnAppliedMigrationAgainMovesItToTheEndOnce) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  auto conn = tdb->Connect();
  auto store = ledger::LedgerStore::For(*conn);
  CAIRN_ASSERT_OK(store->EnsureSchema());
  StreamWriter w(*store, "campus");
  ASSERT_NO_FATAL_FAILURE(w.StartRun(1, "alice", "db1", v1::DIRECTION_UP));
  for (const char* id : {"1", "2", "3"}) {
    ASSERT_NO_FATAL_FAILURE(w.Started(id, v1::DIRECTION_UP, std::string("sha256:") + id));
    ASSERT_NO_FATAL_FAILURE(w.Committed(id, 1));
  }
  // 2 is committed again without being rolled back first, from a new file.
  ASSERT_NO_FATAL_FAILURE(w.Started("2", v1::DIRECTION_UP, "sha256:2b"));
  ASSERT_NO_FATAL_FAILURE(w.Committed("2", 1));
  // A rollback of 3, and a rollback of 3 again, which finds nothing to remove.
  ASSERT_NO_FATAL_FAILURE(w.RolledBack("3"));
  ASSERT_NO_FATAL_FAILURE(w.RolledBack("3"));

  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState s, ledger::ReplayStream(*store, "campus"));
  EXPECT_EQ(s.applied_order, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(s.migrations.at("2").times_applied, 2);
  EXPECT_EQ(s.migrations.at("2").checksum, "sha256:2b");
  EXPECT_EQ(s.migrations.at("3").status, MigrationStatus::kRolledBack);
  EXPECT_EQ(s.CurrentVersion(), "2");

  // Re-committing 1 puts it last in applied order, still once.
  ASSERT_NO_FATAL_FAILURE(w.Started("1", v1::DIRECTION_UP, "sha256:1"));
  ASSERT_NO_FATAL_FAILURE(w.Committed("1", 1));
  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState s2, ledger::ReplayStream(*store, "campus"));
  EXPECT_EQ(s2.applied_order, (std::vector<std::string>{"2", "1"}));
  EXPECT_EQ(s2.CurrentVersion(), "2") << "the highest id, not the latest applied";
}

TEST_P(ReplayTest, ReplayOfEmptyOrMissingStreamIsEmpty) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  auto conn = tdb->Connect();
  auto store = ledger::LedgerStore::For(*conn);
  // No ledger tables at all.
  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState none, ledger::ReplayStream(*store, "campus"));
  EXPECT_EQ(none.head.position, 0);
  EXPECT_EQ(none.head.hash, std::string(32, '\0'));
  EXPECT_TRUE(none.migrations.empty());
  EXPECT_EQ(none.CurrentVersion(), "");
  EXPECT_EQ(none.runs, 0);
  CAIRN_ASSERT_OK_AND_ASSIGN(bool exists, store->Exists());
  EXPECT_FALSE(exists);
  // Another stream has events; this one has none.
  CAIRN_ASSERT_OK(store->EnsureSchema());
  StreamWriter other(*store, "other");
  ASSERT_NO_FATAL_FAILURE(other.StartRun(1, "alice", "db1", v1::DIRECTION_UP));
  ASSERT_NO_FATAL_FAILURE(other.Started("1", v1::DIRECTION_UP, "sha256:one"));
  ASSERT_NO_FATAL_FAILURE(other.Committed("1", 1));
  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState empty, ledger::ReplayStream(*store, "campus"));
  EXPECT_TRUE(empty.migrations.empty());
  EXPECT_EQ(empty.head.position, 0);
  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState full, ledger::ReplayStream(*store, "other"));
  EXPECT_EQ(full.CurrentVersion(), "1");
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplayTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// State snapshots (docs/caches.md): a cached fold that replay starts from
// only while it still describes a prefix of the chain, and that verification
// compares with a full replay.
class SnapshotTest : public ConnectedBackendTest {
 protected:
  // Two runs with a failure and a rollback, then a migration started and not
  // finished (in-flight bookkeeping that a snapshot must carry).
  void WriteHistory(StreamWriter& w) {
    ASSERT_NO_FATAL_FAILURE(w.StartRun(1, "alice", "db1", v1::DIRECTION_UP));
    ASSERT_NO_FATAL_FAILURE(w.Started("1", v1::DIRECTION_UP, "sha256:one"));
    ASSERT_NO_FATAL_FAILURE(w.Committed("1", 10));
    ASSERT_NO_FATAL_FAILURE(w.Started("2", v1::DIRECTION_UP, "sha256:two-a"));
    ASSERT_NO_FATAL_FAILURE(w.Failed("2", v1::DIRECTION_UP, "syntax error", 3));
    ASSERT_NO_FATAL_FAILURE(w.Started("2", v1::DIRECTION_UP, "sha256:two-b"));
    ASSERT_NO_FATAL_FAILURE(w.Committed("2", 20));
    ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_SUCCEEDED));
    ASSERT_NO_FATAL_FAILURE(w.StartRun(2, "bob", "laptop", v1::DIRECTION_DOWN));
    ASSERT_NO_FATAL_FAILURE(w.Started("2", v1::DIRECTION_DOWN, "sha256:two-b"));
    ASSERT_NO_FATAL_FAILURE(w.RolledBack("2"));
    ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_SUCCEEDED));
    ASSERT_NO_FATAL_FAILURE(w.StartRun(3, "carol", "ci", v1::DIRECTION_UP));
    ASSERT_NO_FATAL_FAILURE(w.Started("2", v1::DIRECTION_UP, "sha256:two-c"));
  }

  // The state of events 1..upto (0: all), folded from position 1 without a
  // snapshot, optionally skipping one position.
  std::string FullFold(int64_t upto = 0, int64_t skip = 0) {
    ledger::StateBuilder b("campus");
    Status s = store_->Read("campus", 1, upto, [&](const v1::Event& e) {
      if (e.position() != skip) b.Apply(e);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return b.SerializeSnapshot();
  }

  std::string Replayed() {
    auto b = ledger::ReplayBuilder(*store_, "campus");
    EXPECT_TRUE(b.ok()) << b.status().ToString();
    return b.ok() ? b->SerializeSnapshot() : "";
  }

  void SetSnapshotColumn(const std::string& column, db::Value value) {
    CAIRN_ASSERT_OK(conn_->Execute("UPDATE cairn_state_snapshot SET " +
                                       db::QuoteIdentifier(column) + " = $1 WHERE stream = $2",
                                   {std::move(value), db::Value("campus")}));
  }
};

TEST_P(SnapshotTest, RestoredSnapshotFoldsOnExactlyLikeTheFullReplay) {
  if (!tdb_) return;
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  StreamWriter w(*store_, "campus");
  ASSERT_NO_FATAL_FAILURE(WriteHistory(w));
  const std::string at_prefix = FullFold();
  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StateBuilder restored,
                             ledger::StateBuilder::RestoreSnapshot(at_prefix));
  EXPECT_EQ(restored.SerializeSnapshot(), at_prefix);
  EXPECT_EQ(restored.state().head.position, w.position());
  EXPECT_EQ(restored.state().runs, 3);
  EXPECT_EQ(restored.state().CurrentVersion(), "1");
  // The in-flight start of 0002 travels in the snapshot: committing it now
  // takes the checksum of that start.
  ASSERT_NO_FATAL_FAILURE(w.Committed("2", 30));
  ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_SUCCEEDED));
  CAIRN_ASSERT_OK(
      store_->Read("campus", restored.state().head.position + 1, 0, [&](const v1::Event& e) {
        restored.Apply(e);
        return true;
      }));
  EXPECT_EQ(restored.SerializeSnapshot(), FullFold());
  EXPECT_EQ(restored.state().migrations.at("2").checksum, "sha256:two-c");
  EXPECT_EQ(ledger::StateBuilder::RestoreSnapshot("not a snapshot").status().code(),
            StatusCode::kDataLoss);
}

TEST_P(SnapshotTest, ReplayStartsFromASavedSnapshotAndFoldsTheTail) {
  if (!tdb_) return;
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  StreamWriter w(*store_, "campus");
  ASSERT_NO_FATAL_FAILURE(WriteHistory(w));
  CAIRN_ASSERT_OK(ledger::SaveSnapshot(*store_, "campus"));
  const int64_t saved_at = w.position();
  ASSERT_NO_FATAL_FAILURE(w.Committed("2", 30));
  ASSERT_NO_FATAL_FAILURE(w.FinishRun(v1::RUN_OUTCOME_SUCCEEDED));
  EXPECT_EQ(Replayed(), FullFold());
  CAIRN_ASSERT_OK_AND_ASSIGN(std::string problem, ledger::CheckSnapshot(*store_, "campus"));
  EXPECT_EQ(problem, "");

  // Proof that replay really starts from the snapshot: a forged one (the
  // fold of the same prefix with 0001's commit left out) shows through...
  const std::string forged = FullFold(saved_at, /*skip=*/3);
  ASSERT_NE(forged, FullFold(saved_at));
  ASSERT_NO_FATAL_FAILURE(SetSnapshotColumn("state", db::Bytes{forged}));
  CAIRN_ASSERT_OK_AND_ASSIGN(ledger::StreamState shown, ledger::ReplayStream(*store_, "campus"));
  EXPECT_FALSE(shown.IsApplied("1"));
  // ...and verification catches it.
  CAIRN_ASSERT_OK_AND_ASSIGN(problem, ledger::CheckSnapshot(*store_, "campus"));
  EXPECT_EQ(problem, "state snapshot at position " + std::to_string(saved_at) +
                         " does not match the ledger");
  // Saving after more events carries the forgery forward (the snapshot is
  // trusted while it matches the chain), and verification keeps catching it.
  ASSERT_NO_FATAL_FAILURE(w.StartRun(4, "dave", "ci", v1::DIRECTION_UP));
  CAIRN_ASSERT_OK(ledger::SaveSnapshot(*store_, "campus"));
  CAIRN_ASSERT_OK_AND_ASSIGN(problem, ledger::CheckSnapshot(*store_, "campus"));
  EXPECT_EQ(problem, "state snapshot at position " + std::to_string(w.position()) +
                         " does not match the ledger");
  // Deleting the snapshot is always safe: the next save is the true state.
  CAIRN_ASSERT_OK(conn_->Execute("DELETE FROM cairn_state_snapshot"));
  EXPECT_EQ(Replayed(), FullFold());
  CAIRN_ASSERT_OK(ledger::SaveSnapshot(*store_, "campus"));
  CAIRN_ASSERT_OK_AND_ASSIGN(problem, ledger::CheckSnapshot(*store_, "campus"));
  EXPECT_EQ(problem, "");
  EXPECT_EQ(Replayed(), FullFold());
}

TEST_P(SnapshotTest, SnapshotOfAnotherChainOrOtherReplayRulesIsIgnored) {
  if (!tdb_) return;
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  StreamWriter w(*store_, "campus");
  ASSERT_NO_FATAL_FAILURE(WriteHistory(w));
  CAIRN_ASSERT_OK(ledger::SaveSnapshot(*store_, "campus"));
  const std::string forged = FullFold(w.position(), /*skip=*/3);
  ASSERT_NO_FATAL_FAILURE(SetSnapshotColumn("state", db::Bytes{forged}));
  ASSERT_NE(Replayed(), FullFold());  // used while it matches the chain

  // Its head hash no longer matches the record at its position: ignored.
  ASSERT_NO_FATAL_FAILURE(SetSnapshotColumn("head_hash", db::Bytes{std::string(32, 'x')}));
  EXPECT_EQ(Replayed(), FullFold());
  CAIRN_ASSERT_OK(conn_->Execute("DELETE FROM cairn_state_snapshot"));
  CAIRN_ASSERT_OK(ledger::SaveSnapshot(*store_, "campus"));
  ASSERT_NO_FATAL_FAILURE(SetSnapshotColumn("state", db::Bytes{forged}));
  ASSERT_NE(Replayed(), FullFold());
  // Built by other replay rules: ignored, and not a verification failure.
  ASSERT_NO_FATAL_FAILURE(SetSnapshotColumn("replay", db::Value(ledger::kReplayVersion + 1)));
  EXPECT_EQ(Replayed(), FullFold());
  CAIRN_ASSERT_OK_AND_ASSIGN(std::string problem, ledger::CheckSnapshot(*store_, "campus"));
  EXPECT_EQ(problem, "");
  // A missing snapshot table is no snapshot.
  CAIRN_ASSERT_OK(conn_->Execute("DROP TABLE cairn_state_snapshot"));
  EXPECT_EQ(Replayed(), FullFold());
}

INSTANTIATE_TEST_SUITE_P(Backends, SnapshotTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

namespace cairn::testing {
namespace {

// StatementsCommitted (docs/transactions.md, "Progress outside a
// transaction") and the open run's bookkeeping: folded, and carried by a
// snapshot field for field.
TEST(StatementProgressTest, FoldsIntoProgressAndTheOpenRunAndSurvivesASnapshot) {
  ledger::StateBuilder b("campus");
  int64_t position = 0;
  auto apply = [&](v1::Event e) {
    e.set_position(++position);
    e.set_run_id("run-1");
    b.Apply(e);
  };
  v1::Event rs;
  rs.mutable_run_started()->set_mode(v1::TRANSACTION_MODE_NONE);
  rs.mutable_run_started()->add_planned_migration_ids("1");
  rs.mutable_run_started()->add_planned_migration_ids("2");
  apply(rs);
  v1::Event ms;
  ms.mutable_migration_started()->set_migration_id("1");
  ms.mutable_migration_started()->set_direction(v1::DIRECTION_UP);
  ms.mutable_migration_started()->set_checksum("sha256:one");
  apply(ms);
  auto progress = [&](int64_t done, v1::StatementPhase phase) {
    v1::Event e;
    auto* sc = e.mutable_statements_committed();
    sc->set_migration_id("1");
    sc->set_direction(v1::DIRECTION_UP);
    sc->set_statements_done(done);
    sc->set_phase(phase);
    sc->set_line(7);
    if (phase == v1::STATEMENT_PHASE_INTENT)
      sc->set_statement("CREATE INDEX CONCURRENTLY i ON t (a)");
    apply(e);
  };
  progress(1, v1::STATEMENT_PHASE_COMMITTED);
  progress(1, v1::STATEMENT_PHASE_INTENT);
  const ledger::MigrationRecord& r = b.state().migrations.at("1");
  EXPECT_TRUE(r.progress.active);
  EXPECT_EQ(r.progress.statements, 1);
  EXPECT_EQ(r.progress.checksum, "sha256:one");
  EXPECT_EQ(r.progress.intent, "CREATE INDEX CONCURRENTLY i ON t (a)");
  EXPECT_EQ(r.progress.intent_line, 7);
  EXPECT_EQ(b.state().last_run.current, "1");
  EXPECT_EQ(b.state().last_run.planned, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(b.state().last_run.mode, v1::TRANSACTION_MODE_NONE);

  const std::string bytes = b.SerializeSnapshot();
  auto restored = ledger::StateBuilder::RestoreSnapshot(bytes);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->SerializeSnapshot(), bytes);
  EXPECT_EQ(restored->state().migrations.at("1").progress.intent_line, 7);

  // DONE closes the announced statement; a resumed start keeps the count;
  // the commit clears it and ends the open step.
  progress(2, v1::STATEMENT_PHASE_DONE);
  EXPECT_TRUE(b.state().migrations.at("1").progress.intent.empty());
  ms.mutable_migration_started()->set_resumed(true);
  apply(ms);
  EXPECT_EQ(b.state().migrations.at("1").progress.statements, 2);
  v1::Event mc;
  mc.mutable_migration_committed()->set_migration_id("1");
  apply(mc);
  EXPECT_FALSE(b.state().migrations.at("1").progress.active);
  EXPECT_TRUE(b.state().last_run.current.empty());
  EXPECT_EQ(b.state().last_run.steps_done, 1);
}

}  // namespace
}  // namespace cairn::testing

// The Yapper bridge against Yapper's own schema (issue 22): the tables as
// Yapper creates them, with its foreign keys, on SQLite and PostgreSQL, and
// Yapper clients subscribed to exact labels, to "*", to both, and to one
// label only. A batched data migration runs while the bridge follows; the
// bridge is SIGKILLed in the middle of its batches (up, then down) and
// restarted. Afterwards each client's unread rows hold every event it
// subscribed to exactly once, in ledger order, with the promised JSON
// fields (direction, migration_id and description also after the restart),
// created_at is the ledger's recorded_at in UTC, and Yapper's foreign keys
// hold. Run reading the target's database and through `cairn serve`.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <tuple>

#include "tests/clients/yapper_test_util.h"
#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

// "Sqlite" or "Postgres", as the other tests name their cases.
std::string BackendOf(const ::testing::TestParamInfo<std::tuple<db::Backend, bool>>& info) {
  return BackendParamName(::testing::TestParamInfo<db::Backend>(std::get<0>(info.param), 0));
}

// Parameters: the backend of both databases, and whether the bridge reads
// through `cairn serve` (true) or the target's database (false).
class YapperSchemaTest : public ::testing::TestWithParam<std::tuple<db::Backend, bool>>,
                         protected YapperTestBase {
 protected:
  void SetUp() override {
    if (!CreateDatabases(std::get<0>(GetParam()))) return;
    CreateYapperTables(prelude_, unread_extra_);
    if (HasFatalFailure()) return;
    WriteFile(dir_.File("0001_items.sql"),
              "-- cairn:up\n"
              "CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER NOT NULL);\n"
              "INSERT INTO items (id, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
              "SELECT i + 1 FROM n WHERE i < 200) SELECT i, 0 FROM n;\n"
              "-- cairn:down\nDROP TABLE items;\n");
    // 50 batches of 4 rows, each in its own transaction with its own event.
    WriteFile(dir_.File("0002_backfill_items.sql"),
              "-- cairn:up\n-- cairn:batch table=items key=id size=4\n"
              "UPDATE items SET v = 1 WHERE id > :after AND id <= :upto;\n"
              "-- cairn:down\n-- cairn:batch table=items key=id size=4\n"
              "UPDATE items SET v = 0 WHERE id > :after AND id <= :upto;\n");
    WriteFile(dir_.File("0003_plain.sql"),
              "-- cairn:up\nCREATE TABLE plain (id INTEGER);\n-- cairn:down\nDROP TABLE plain;\n");
  }

  // The bridge's argv: through the server when there is one.
  std::vector<std::string> BridgeArgv(std::vector<std::string> extra) {
    std::vector<std::string> a{CairnBinary()};
    if (server_) {
      auto url = db::ParseDatabaseUrl(target_->url());
      EXPECT_TRUE(url.ok());
      a.insert(a.end(),
               {"--stream", "campus", "yapper-bridge", "--yapper", yapper_->url(), "--server",
                server_->address(), "--token", kReaderToken, "--target", url->database_name});
    } else {
      a.insert(a.end(), {"--database", target_->url(), "--stream", "campus", "yapper-bridge",
                         "--yapper", yapper_->url(), "--poll-ms", "5"});
    }
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  // A bridge process. Its PostgreSQL sessions run in a time zone far from
  // UTC (libpq's PGTZ): created_at must not depend on it.
  std::unique_ptr<Child> StartBridge(std::vector<std::string> extra) {
    return std::make_unique<Child>(BridgeArgv(std::move(extra)), kBridgeEnv);
  }

  // Waits for the runner to record the start of migration 0002 in
  // `direction`, then for the bridge to have handled three of its batches,
  // and SIGKILLs it there: the position it stored must be one of that
  // migration's batch_applied events, with more to come. Starts a bridge
  // with `restart` in its place.
  void KillMidBatch(std::unique_ptr<Child>* bridge, v1::Direction direction,
                    const std::vector<std::string>& restart) {
    int64_t start = 0;
    ASSERT_TRUE(WaitFor([&] {
      for (const auto& e : LedgerEvents()) {
        if (e.body_case() == v1::Event::kMigrationStarted &&
            e.migration_started().migration_id() == "0002" &&
            e.migration_started().direction() == direction)
          start = e.position();
      }
      return start > 0 && BridgePosition() >= start + 3;
    }));
    (*bridge)->Kill(SIGKILL);
    EXPECT_EQ((*bridge)->Wait().signal, SIGKILL);
    const int64_t at_kill = BridgePosition();
    const auto ledger = LedgerEvents();
    ASSERT_LE(at_kill, static_cast<int64_t>(ledger.size()));
    const v1::Event& last = ledger[at_kill - 1];
    EXPECT_EQ(last.body_case(), v1::Event::kBatchApplied)
        << "the bridge was not killed in the middle of the batches (position " << at_kill << ")";
    EXPECT_EQ(ledger::BodyMigrationId(last), "0002");
    *bridge = StartBridge(restart);
  }

  std::string prelude_, unread_extra_;  // more DDL before Yapper's and in unread
  std::unique_ptr<ServerProcess> server_;
  const std::map<std::string, std::string> kBridgeEnv{{"PGTZ", "Pacific/Chatham"}};
};

TEST_P(YapperSchemaTest, EveryClientGetsEveryEventOnceAcrossKillsMidBatch) {
  if (!yapper_) return;
  const auto clients = Clients();
  Subscribe(clients);
  if (std::get<1>(GetParam())) {
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--database", target_->url(), "--tokens-file", WriteTokens(dir_)});
    ASSERT_TRUE(server_->Start());
  }
  // The runner pauses between batches, so that the bridge, following it one
  // event per transaction, is killed while the migration is half done.
  auto migrate =
      std::make_unique<Child>(RunnerArgv({"migrate", "--batch-size", "4", "--pause-ms", "20"}));
  auto bridge = StartBridge({"--batch", "1"});
  KillMidBatch(&bridge, v1::DIRECTION_UP, {"--batch", "3"});
  ProcessResult m = migrate->Wait();
  ASSERT_EQ(m.exit_code, 0) << m.err;

  // The rollback walks the batches down; the bridge is killed among them.
  auto rollback = std::make_unique<Child>(
      RunnerArgv({"rollback", "--steps", "2", "--batch-size", "4", "--pause-ms", "20"}));
  KillMidBatch(&bridge, v1::DIRECTION_DOWN, {"--batch", "7"});
  ProcessResult r = rollback->Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Applied again, then a migration that fails.
  WriteFile(dir_.File("0004_bad.sql"), "-- cairn:up\nCREATE TABLE nope (;\n");
  EXPECT_EQ(Runner({"migrate", "--batch-size", "4"}), 1);
  StopWhenCaughtUp(*bridge);
  DeliveredCounts counts;
  ExpectDelivered(clients, &counts);
  // The up run, the rollback, the re-run before the failure: 50 each.
  EXPECT_EQ(counts.batches, 150);
  EXPECT_EQ(counts.down_batches, 50);
  auto y = yapper_->Connect();
  CAIRN_ASSERT_OK_AND_ASSIGN(auto alerts,
                             y->Query("SELECT count(*) FROM unread WHERE client_id = 'alerts'"));
  EXPECT_EQ(alerts[0][0].AsInt(), 1);
}

INSTANTIATE_TEST_SUITE_P(Sources, YapperSchemaTest,
                         ::testing::Combine(::testing::Values(db::Backend::kSqlite,
                                                              db::Backend::kPostgres),
                                            ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<db::Backend, bool>>& info) {
                           return BackendOf(info) +
                                  (std::get<1>(info.param) ? "_Server" : "_Database");
                         });

// Yapper's tables refuse what the bridge writes (here: an extra foreign key
// to a clients table that lacks the subscribed client): the bridge stops at
// once with one error line naming the table and the constraint, exit 13,
// and writes nothing, however often it is started; once the data is fixed,
// it delivers.
class YapperMismatchTest : public YapperSchemaTest {
 protected:
  void SetUp() override {
    prelude_ = "CREATE TABLE clients (client_id TEXT PRIMARY KEY);\n";
    unread_extra_ =
        ", CONSTRAINT unread_client_known FOREIGN KEY (client_id) REFERENCES clients (client_id)";
    YapperSchemaTest::SetUp();
  }
};

TEST_P(YapperMismatchTest, ConstraintErrorIsReportedOnceWithTableAndConstraint) {
  if (!yapper_) return;
  ASSERT_EQ(std::get<1>(GetParam()), false);
  Subscribe({{"ghost", {"*"}}});
  ASSERT_EQ(Runner({"migrate", "--to", "0001"}), 0);
  for (int attempt = 0; attempt < 2; ++attempt) {
    ProcessResult r = RunProcess(BridgeArgv({"--once"}), kBridgeEnv);
    EXPECT_EQ(r.exit_code, 13) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("cairn: error: Yapper schema mismatch: table unread refused", 0), 0u)
        << r.err;
    const std::string constraint = std::get<0>(GetParam()) == db::Backend::kPostgres
                                       ? "\"unread_client_known\""
                                       : "foreign key unread (client_id) REFERENCES clients "
                                         "(client_id)";
    EXPECT_NE(r.err.find(constraint), std::string::npos) << r.err;
    EXPECT_EQ(BridgePosition(), 0);
    auto y = yapper_->Connect();
    CAIRN_ASSERT_OK_AND_ASSIGN(auto n, y->Query("SELECT count(*) FROM events"));
    EXPECT_EQ(n[0][0].AsInt(), 0);
  }
  {
    auto y = yapper_->Connect();
    CAIRN_ASSERT_OK(y->Execute("INSERT INTO clients (client_id) VALUES ('ghost')"));
  }
  ProcessResult ok = RunProcess(BridgeArgv({"--once"}), kBridgeEnv);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto y = yapper_->Connect();
  CAIRN_ASSERT_OK_AND_ASSIGN(
      auto rows, y->Query("SELECT count(*) FROM unread WHERE client_id = 'ghost' AND label = '*'"));
  EXPECT_EQ(rows[0][0].AsInt(), 2);  // migration.started and migration.applied of 0001
}

INSTANTIATE_TEST_SUITE_P(Backends, YapperMismatchTest,
                         ::testing::Combine(::testing::Values(db::Backend::kSqlite,
                                                              db::Backend::kPostgres),
                                            ::testing::Values(false)),
                         BackendOf);

}  // namespace
}  // namespace cairn::testing

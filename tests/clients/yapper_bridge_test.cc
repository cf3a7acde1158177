// The Yapper bridge as a separate process: while `cairn migrate` (and then a
// rollback) runs in another process, the bridge is SIGKILLed mid-stream and
// restarted; afterwards every mappable ledger event is in Yapper's events
// table exactly once, and fanned out to each subscribed client's unread rows.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "tests/clients/yapper_test_util.h"
#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

constexpr int kMigrations = 40;

class YapperBridgeTest : public ::testing::TestWithParam<db::Backend>, protected YapperTestBase {
 protected:
  void SetUp() override {
    if (!CreateDatabases(GetParam())) return;
    for (int i = 1; i <= kMigrations; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "%04d_table_%d.sql", i, i);
      WriteFile(dir_.File(name), "-- cairn:up\nCREATE TABLE t" + std::to_string(i) +
                                     " (id INTEGER);\n-- cairn:down\nDROP TABLE t" +
                                     std::to_string(i) + ";\n");
    }
    // A first pass on the empty ledger creates Yapper's tables.
    ProcessResult r = Bridge({"--once"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto y = yapper_->Connect();
    for (const char* sub : {"('all', '*')", "('ops', 'migration.applied')",
                            "('ops', 'migration.failed')", "('dba', 'migration.rolled_back')"}) {
      CAIRN_ASSERT_OK(
          y->Execute(std::string("INSERT INTO subscriptions (client_id, label) VALUES ") + sub));
    }
  }

  std::vector<std::string> BridgeArgv(std::vector<std::string> extra) {
    std::vector<std::string> argv{CairnBinary(), "--database",    target_->url(), "--stream",
                                  "campus",      "yapper-bridge", "--yapper",     yapper_->url()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  ProcessResult Bridge(std::vector<std::string> extra) { return RunProcess(BridgeArgv(extra)); }

  // A migration that fails, run while the bridge follows.
  void FailingMigration() {
    WriteFile(dir_.File("0041_bad.sql"), "-- cairn:up\nCREATE TABLE nope (;\n");
    EXPECT_EQ(Runner({"migrate"}), 1);
  }
  // Once the bridge reached position 9: SIGKILLs it (checking, with
  // check_mid_stream, that the ledger was ahead of it), starts `restart` in its
  // place, waits for the runner `migrate` to succeed. Returns the bridge's
  // position at the kill.
  int64_t KillAndRestart(std::unique_ptr<Child>* bridge, const std::vector<std::string>& restart,
                         Child& migrate, bool check_mid_stream = false) {
    EXPECT_TRUE(WaitFor([&] { return BridgePosition() >= 9; }));
    (*bridge)->Kill(SIGKILL);
    EXPECT_EQ((*bridge)->Wait().signal, SIGKILL);
    const int64_t at_kill = BridgePosition();
    if (check_mid_stream)
      EXPECT_LT(at_kill, LedgerHead()) << "the bridge was not killed mid-stream";
    *bridge = std::make_unique<Child>(restart);
    ProcessResult m = migrate.Wait();
    EXPECT_EQ(m.exit_code, 0) << m.err;
    return at_kill;
  }

  // Every mappable ledger event is in Yapper's events table exactly once, in
  // ledger order, with its description, and fanned out to the subscribers.
  void ExpectExactlyOnce() {
    auto tc = target_->Connect();
    auto store = ledger::LedgerStore::For(*tc);
    // What the ledger says Yapper must have: one event per mappable position.
    std::map<int64_t, std::string> expected;
    CAIRN_ASSERT_OK(store->Read("campus", 1, 0, [&](const v1::Event& e) {
      switch (e.body_case()) {
        case v1::Event::kMigrationStarted:
          expected[e.position()] = "migration.started";
          break;
        case v1::Event::kMigrationCommitted:
          expected[e.position()] = "migration.applied";
          break;
        case v1::Event::kMigrationRolledBack:
          expected[e.position()] = "migration.rolled_back";
          break;
        case v1::Event::kMigrationFailed:
          expected[e.position()] = "migration.failed";
          break;
        default:
          break;
      }
      return true;
    }));
    auto y = yapper_->Connect();
    CAIRN_ASSERT_OK_AND_ASSIGN(auto events,
                               y->Query("SELECT id, label, data FROM events ORDER BY id"));
    std::map<int64_t, std::string> got;
    std::map<std::string, int> per_label;
    int64_t previous = 0;
    for (const auto& row : events) {
      json data = json::parse(row[2].AsText(), nullptr, false);
      ASSERT_TRUE(data.is_object()) << row[2].AsText();
      const int64_t position = data["position"].get<int64_t>();
      EXPECT_GT(position, previous) << "out of ledger order";  // ids follow positions
      previous = position;
      EXPECT_TRUE(got.emplace(position, row[1].AsText()).second)
          << "duplicate position " << position;
      ++per_label[row[1].AsText()];
      EXPECT_EQ(data["stream"], "campus");
      EXPECT_FALSE(data["revision"].get<std::string>().empty());
      EXPECT_TRUE(data["actor"]["user"].is_string());
      if (row[1].AsText() != "migration.started") {
        // The description comes from the migration_started before it, also
        // when the bridge restarted between the two.
        EXPECT_TRUE(data["description"].is_string()) << data.dump();
        EXPECT_EQ(data["storage_type"], "table") << data.dump();
      }
      if (row[1].AsText() == "migration.failed") {
        EXPECT_NE(data["error"].get<std::string>(), "");
      } else {
        EXPECT_TRUE(data["error"].is_null());
      }
    }
    EXPECT_EQ(got, expected);
    // Every migration, and again the two rolled back before the failing run.
    EXPECT_EQ(per_label["migration.applied"], kMigrations + 2);
    EXPECT_EQ(per_label["migration.rolled_back"], 2);
    EXPECT_EQ(per_label["migration.failed"], 1);

    // Fan-out: "all" has every event, "ops" applied + failed, "dba" rollbacks;
    // each row carries the subscription that matched ("*" for "all").
    auto unread_count = [&](const std::string& client) {
      auto rows = y->Query(
          "SELECT count(*), count(DISTINCT event_id) FROM unread u JOIN events e ON e.id = "
          "u.event_id AND u.label = CASE WHEN u.client_id = 'all' THEN '*' ELSE e.label END "
          "WHERE u.client_id = $1",
          {db::Value(client)});
      EXPECT_TRUE(rows.ok());
      EXPECT_EQ((*rows)[0][0].AsInt(), (*rows)[0][1].AsInt());
      return (*rows)[0][0].AsInt();
    };
    EXPECT_EQ(unread_count("all"), static_cast<int64_t>(expected.size()));
    EXPECT_EQ(unread_count("ops"), kMigrations + 2 + 1);
    EXPECT_EQ(unread_count("dba"), 2);
  }
};

TEST_P(YapperBridgeTest, KilledAndRestartedMidStreamDeliversEveryEventExactlyOnce) {
  if (!yapper_) return;
  auto migrate = std::make_unique<Child>(RunnerArgv({"migrate"}));
  auto bridge = std::make_unique<Child>(BridgeArgv({"--batch", "1", "--poll-ms", "5"}));
  const int64_t at_kill =
      KillAndRestart(&bridge, BridgeArgv({"--batch", "3", "--poll-ms", "5"}), *migrate);
  // A rollback, and a migration that fails, while the bridge follows.
  ASSERT_EQ(Runner({"rollback", "--steps", "2"}), 0);
  FailingMigration();
  EXPECT_LT(at_kill, LedgerHead());
  StopWhenCaughtUp(*bridge);
  ExpectExactlyOnce();
}

// The same through `cairn serve`: the bridge subscribes over gRPC (a real
// server process on a free loopback port) while a runner commits in another
// process. The bridge is SIGKILLed mid-stream and restarted, then the server
// is SIGKILLed and restarted on the same port while the bridge keeps
// running; Yapper still holds every event exactly once, in order.
TEST_P(YapperBridgeTest, ThroughServerSurvivesBridgeAndServerKills) {
  if (!yapper_) return;
  const std::string tokens = WriteTokens(dir_);
  ServerProcess server({"--database", target_->url(), "--tokens-file", tokens});
  ASSERT_TRUE(server.Start());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto url, db::ParseDatabaseUrl(target_->url()));
  // The served target is named after the database (--target is optional
  // here: the stream exists; it is needed to follow one before its first event).
  auto argv = [&](std::vector<std::string> extra) {
    std::vector<std::string> a{CairnBinary(), "--stream",     "campus",   "yapper-bridge",
                               "--yapper",    yapper_->url(), "--server", server.address(),
                               "--token",     kReaderToken,   "--target", url.database_name};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  // Half the migrations before the bridge starts, so that it has a history
  // to work through when it is killed, the other half by a runner in
  // another process while it runs. 300 more subscribers make each Yapper
  // transaction (an event and its fan-out) take long enough for the kill to
  // land mid-stream.
  ASSERT_EQ(Runner({"migrate", "--to", "0020"}), 0);
  {
    auto y = yapper_->Connect();
    // SQLite: WAL, so that polling the position never waits behind the
    // bridge's back-to-back write transactions (it would see only the end).
    if (y->backend() == db::Backend::kSqlite)
      CAIRN_ASSERT_OK(y->Query("PRAGMA journal_mode=WAL").status());
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, y->Begin());
    for (int i = 0; i < 300; ++i) {
      CAIRN_ASSERT_OK(y->Execute("INSERT INTO subscriptions (client_id, label) VALUES ($1, '*')",
                                 {db::Value("load-" + std::to_string(i))}));
    }
    CAIRN_ASSERT_OK(tx->Commit());
  }
  auto bridge = std::make_unique<Child>(argv({"--batch", "1"}));
  auto migrate = std::make_unique<Child>(RunnerArgv({"migrate"}));
  const int64_t at_kill = KillAndRestart(&bridge, argv({"--batch", "3"}), *migrate, true);
  // A rollback while the restarted bridge follows; it catches up.
  ASSERT_EQ(Runner({"rollback", "--steps", "1"}), 0);
  const int64_t before_restart = LedgerHead();
  ASSERT_TRUE(WaitFor([&] { return BridgePosition() == before_restart; }))
      << BridgePosition() << " of " << before_restart;

  // The server dies; a rollback commits meanwhile; the server comes back on
  // the same port and the running bridge resumes; then a failing migration.
  const int port = server.port();
  server.Kill(SIGKILL);
  ASSERT_EQ(Runner({"rollback", "--steps", "1"}), 0);
  ASSERT_TRUE(server.Start(port));
  FailingMigration();
  const int64_t head = LedgerHead();
  EXPECT_LT(at_kill, head);
  StopWhenCaughtUp(*bridge);
  ExpectExactlyOnce();

  // A wrong token and an unreachable server: one error line, the
  // documented exit code, nothing written.
  auto one_error_line = [](const ProcessResult& r) {
    return std::count(r.err.begin(), r.err.end(), '\n') == 1 &&
           r.err.rfind("cairn: error: ", 0) == 0;
  };
  std::vector<std::string> bad = argv({"--once"});
  bad[std::find(bad.begin(), bad.end(), kReaderToken) - bad.begin()] = "not-a-token";
  ProcessResult denied = RunProcess(bad);
  EXPECT_EQ(denied.exit_code, 19) << denied.err;
  EXPECT_TRUE(one_error_line(denied)) << denied.err;
  server.Kill(SIGKILL);
  ProcessResult unreachable = RunProcess(argv({"--once"}));
  EXPECT_EQ(unreachable.exit_code, 4) << unreachable.err;
  EXPECT_TRUE(one_error_line(unreachable)) << unreachable.err;
  EXPECT_NE(unreachable.err.find(server.address()), std::string::npos) << unreachable.err;
  EXPECT_EQ(BridgePosition(), head);
}

INSTANTIATE_TEST_SUITE_P(Backends, YapperBridgeTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

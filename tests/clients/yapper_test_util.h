// Shared by the Yapper bridge tests (and the kill loop of
// tests/faults/recovery_kill_test.cc): a target database whose ledger the
// bridge follows, a Yapper database with Yapper's own tables it writes into,
// the runner and the bridge as separate `cairn` processes, and the check
// that every client received every event it subscribed to exactly once.
#ifndef CAIRN_TESTS_CLIENTS_YAPPER_TEST_UTIL_H_
#define CAIRN_TESTS_CLIENTS_YAPPER_TEST_UTIL_H_

#include <signal.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cairn/export/export.h"
#include "tests/ledger/ledger_test_util.h"

namespace cairn::testing {

// Yapper's tables, written from what Yapper's code does (issue 22): events
// with a server-side default time and no time zone, subscriptions keyed by
// (client_id, label), unread keyed (client_id, label, event_id) on
// PostgreSQL and (client_id, event_id) on SQLite, with foreign keys to
// events and to subscriptions. `unread_extra` is appended to unread's
// definition (a constraint the bridge cannot satisfy, for the mismatch test).
inline std::string YapperDdl(db::Backend backend, const std::string& unread_extra = "") {
  if (backend == db::Backend::kPostgres) {
    return "CREATE TABLE events (id SERIAL PRIMARY KEY, label TEXT NOT NULL, data TEXT NOT NULL,"
           " created_at TIMESTAMP DEFAULT now());\n"
           "CREATE TABLE subscriptions (client_id TEXT NOT NULL, label TEXT NOT NULL,"
           " created_at TIMESTAMP DEFAULT now(), PRIMARY KEY (client_id, label));\n"
           "CREATE TABLE unread (client_id TEXT NOT NULL, label TEXT NOT NULL,"
           " event_id INTEGER NOT NULL REFERENCES events (id),"
           " PRIMARY KEY (client_id, label, event_id),"
           " FOREIGN KEY (client_id, label) REFERENCES subscriptions (client_id, label)" +
           unread_extra + ");\n";
  }
  return "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, label TEXT NOT NULL,"
         " data TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);\n"
         "CREATE TABLE subscriptions (client_id TEXT NOT NULL, label TEXT NOT NULL,"
         " created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (client_id, label));\n"
         "CREATE TABLE unread (client_id TEXT NOT NULL, label TEXT NOT NULL,"
         " event_id INTEGER NOT NULL, PRIMARY KEY (client_id, event_id),"
         " FOREIGN KEY (event_id) REFERENCES events (id),"
         " FOREIGN KEY (client_id, label) REFERENCES subscriptions (client_id, label)" +
         unread_extra + ");\n";
}

inline const std::vector<std::string> kMigrationLabels = {
    "migration.started", "migration.batch_applied", "migration.applied", "migration.rolled_back",
    "migration.failed"};

// The clients of issue 22 (and one that hears nothing), and their labels.
inline std::map<std::string, std::set<std::string>> Clients() {
  std::set<std::string> every(kMigrationLabels.begin(), kMigrationLabels.end());
  std::set<std::string> both = every;
  both.insert("*");
  return {{"handlers", every},
          {"everything", both},
          {"firehose", {"*"}},
          {"alerts", {"migration.failed"}},
          {"bystander", {"chat.message"}}};
}

// What the docs promise for one ledger event (docs/yapper-bridge.md).
struct Expected {
  std::string label, migration_id, direction, description, started_at, created_at;
};

inline std::string DirectionName(v1::Direction d) {
  return d == v1::DIRECTION_DOWN ? "down" : "up";
}

// "2026-11-21T10:15:30.123456Z" -> "2026-11-21 10:15:30.123456": the UTC
// wall time as both backends' created_at is read back below.
inline std::string WallTime(const google::protobuf::Timestamp& ts) {
  std::string t = ledger::FormatMicros(ledger::TimestampToMicros(ts));
  t[10] = ' ';
  t.pop_back();
  return t;
}

// Every mappable event of `ledger` by position, derived from the ledger
// alone: the label, and the fields the bridge must carry.
inline std::map<int64_t, Expected> ExpectedEvents(const std::vector<v1::Event>& ledger) {
  std::map<int64_t, Expected> out;
  std::map<std::string, const v1::Event*> started;  // run_id/migration_id
  for (const auto& e : ledger) {
    Expected x;
    const std::string id = ledger::BodyMigrationId(e);
    switch (e.body_case()) {
      case v1::Event::kMigrationStarted:
        started[e.run_id() + "/" + id] = &e;
        x.label = "migration.started";
        x.direction = DirectionName(e.migration_started().direction());
        break;
      case v1::Event::kBatchApplied:
        x.label = "migration.batch_applied";
        x.direction = DirectionName(e.batch_applied().direction());
        break;
      case v1::Event::kMigrationCommitted:
        x.direction = DirectionName(e.migration_committed().direction());
        x.label = x.direction == "down" ? "migration.rolled_back" : "migration.applied";
        break;
      case v1::Event::kMigrationRolledBack:
        x.label = "migration.rolled_back";
        x.direction = "down";
        break;
      case v1::Event::kMigrationFailed:
        x.label = "migration.failed";
        x.direction = DirectionName(e.migration_failed().direction());
        break;
      default:
        continue;
    }
    const v1::Event* s = started.at(e.run_id() + "/" + id);
    x.migration_id = id;
    x.description = s->migration_started().description();
    x.started_at = ledger::FormatMicros(ledger::TimestampToMicros(s->recorded_at()));
    x.created_at = WallTime(e.recorded_at());
    out[e.position()] = x;
  }
  return out;
}

// What ExpectDelivered counted.
struct DeliveredCounts {
  int batches = 0, down_batches = 0;
};

class YapperTestBase {
 protected:
  // Creates the target and the Yapper database on `backend`; false when the
  // backend is unavailable (TestDatabase recorded the skip or the failure).
  bool CreateDatabases(db::Backend backend) {
    target_ = TestDatabase::Create(backend);
    if (!target_) return false;
    yapper_ = TestDatabase::Create(backend);
    EXPECT_TRUE(yapper_);
    return yapper_ != nullptr;
  }

  // The bridge's stored position for stream "campus" (-1: none yet).
  int64_t BridgePosition() {
    auto y = yapper_->Connect();
    auto rows = y->Query("SELECT position FROM cairn_yapper_bridge WHERE source = 'campus'");
    return rows.ok() && !rows->empty() ? (*rows)[0][0].AsInt() : -1;
  }

  // `cairn --stream campus ARGS` on the target; its exit code.
  int Runner(std::vector<std::string> args) {
    args.insert(args.begin(), {"--stream", "campus"});
    return RunCairn(target_->url(), dir_.path(), args).exit_code;
  }

  // The argv of `cairn --database TARGET --dir DIR --stream campus ARGS`.
  std::vector<std::string> RunnerArgv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{CairnBinary(), "--database", target_->url(), "--dir",
                                  dir_.path(),   "--stream",   "campus"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // The target's ledger head.
  int64_t LedgerHead() {
    auto tc = target_->Connect();
    auto head = ledger::LedgerStore::For(*tc)->GetHead("campus");
    return head.ok() ? head->position : -1;
  }

  // Waits for `bridge` to reach the ledger's head, then stops it (SIGTERM),
  // which it must survive with exit 0.
  void StopWhenCaughtUp(Child& bridge) {
    const int64_t head = LedgerHead();
    const bool caught_up = WaitFor([&] { return BridgePosition() == head; });
    const int64_t reached = BridgePosition();
    bridge.Kill(SIGTERM);
    ProcessResult stopped = bridge.Wait();
    ASSERT_TRUE(caught_up) << reached << " of " << head << "; bridge: " << stopped.err;
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  }

  // Creates Yapper's tables (YapperDdl, after `prelude`) in the Yapper
  // database; on SQLite in WAL mode, so that polling the bridge's position
  // never waits behind its back-to-back write transactions.
  void CreateYapperTables(const std::string& prelude = "", const std::string& unread_extra = "") {
    auto y = yapper_->Connect();
    ASSERT_TRUE(y);
    if (y->backend() == db::Backend::kSqlite)
      CAIRN_ASSERT_OK(y->Query("PRAGMA journal_mode=WAL").status());
    CAIRN_ASSERT_OK(
        y->ExecuteScript(prelude + YapperDdl(y->backend(), unread_extra), nullptr, nullptr));
  }

  // Subscribes each client to its labels in Yapper's subscriptions table.
  void Subscribe(const std::map<std::string, std::set<std::string>>& clients) {
    auto y = yapper_->Connect();
    for (const auto& [client, labels] : clients) {
      for (const auto& label : labels) {
        CAIRN_ASSERT_OK(y->Execute("INSERT INTO subscriptions (client_id, label) VALUES ($1, $2)",
                                   {db::Value(client), db::Value(label)}));
      }
    }
  }

  // Every event of the target's stream "campus", in position order.
  std::vector<v1::Event> LedgerEvents() {
    auto tc = target_->Connect();
    std::vector<v1::Event> out;
    Status s = ledger::LedgerStore::For(*tc)->Read("campus", 1, 0, [&](const v1::Event& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  // Every mappable ledger event is in Yapper's events table once, in ledger
  // order (by events.id), with the promised data; each client's unread rows
  // (what Yapper's listen() returns) hold the events it subscribed to once,
  // labelled with the subscription that matched; the foreign keys hold.
  // `counts`, when given, receives how many batch events Yapper holds.
  void ExpectDelivered(const std::map<std::string, std::set<std::string>>& clients,
                       DeliveredCounts* counts = nullptr) {
    const auto expected = ExpectedEvents(LedgerEvents());
    auto y = yapper_->Connect();
    const bool pg = y->backend() == db::Backend::kPostgres;
    CAIRN_ASSERT_OK_AND_ASSIGN(
        auto events,
        y->Query(pg ? "SELECT id, label, data, to_char(created_at, 'YYYY-MM-DD HH24:MI:SS.US') "
                      "FROM events ORDER BY id"
                    : "SELECT id, label, data, created_at FROM events ORDER BY id"));
    std::vector<int64_t> positions;
    std::map<int64_t, int64_t> position_of_id;
    int batches = 0, down_batches = 0;
    for (const auto& row : events) {
      nlohmann::json data = nlohmann::json::parse(row[2].AsText(), nullptr, false);
      ASSERT_TRUE(data.is_object()) << row[2].AsText();
      const int64_t position = data["position"].get<int64_t>();
      positions.push_back(position);
      position_of_id[row[0].AsInt()] = position;
      ASSERT_TRUE(expected.count(position)) << "not a mappable ledger event: " << data.dump();
      const Expected& x = expected.at(position);
      EXPECT_EQ(row[1].AsText(), x.label) << data.dump();
      EXPECT_EQ(data["revision"], x.migration_id) << data.dump();
      EXPECT_EQ(data["migration_id"], x.migration_id) << data.dump();
      EXPECT_EQ(data["direction"], x.direction) << data.dump();
      EXPECT_EQ(data["description"], x.description) << data.dump();
      EXPECT_EQ(data["started_at"], x.started_at) << data.dump();
      EXPECT_EQ(data["storage_type"], "table") << data.dump();
      EXPECT_EQ(data["stream"], "campus");
      EXPECT_TRUE(data["actor"]["user"].is_string());
      EXPECT_EQ(data["error"].is_string(), x.label == "migration.failed") << data.dump();
      EXPECT_EQ(row[3].AsText(), x.created_at) << "created_at is not recorded_at in UTC";
      if (x.label == "migration.batch_applied") {
        ++batches;
        if (x.direction == "down") ++down_batches;
        EXPECT_TRUE(data["batch_number"].is_number()) << data.dump();
      }
    }
    // Once each, in ledger order.
    std::vector<int64_t> want;
    for (const auto& [position, x] : expected) want.push_back(position);
    EXPECT_EQ(positions, want);
    if (counts != nullptr) *counts = {batches, down_batches};

    for (const auto& [client, labels] : clients) {
      std::vector<int64_t> want_ids;
      std::vector<std::string> want_labels;
      for (const auto& [id, position] : position_of_id) {
        const std::string& label = expected.at(position).label;
        if (labels.count(label)) {
          want_ids.push_back(id);
          want_labels.push_back(label);
        } else if (labels.count("*")) {
          want_ids.push_back(id);
          want_labels.push_back("*");
        }
      }
      CAIRN_ASSERT_OK_AND_ASSIGN(
          auto rows, y->Query("SELECT u.event_id, u.label FROM unread u JOIN events e ON "
                              "e.id = u.event_id WHERE u.client_id = $1 ORDER BY e.id",
                              {db::Value(client)}));
      std::vector<int64_t> got_ids;
      std::vector<std::string> got_labels;
      for (const auto& r : rows) {
        got_ids.push_back(r[0].AsInt());
        got_labels.push_back(r[1].AsText());
      }
      EXPECT_EQ(got_ids, want_ids) << client;
      EXPECT_EQ(got_labels, want_labels) << client;
    }
    // Yapper's foreign keys hold.
    if (pg) {
      CAIRN_ASSERT_OK_AND_ASSIGN(auto fks,
                                 y->Query("SELECT count(*) FROM pg_constraint WHERE conrelid = "
                                          "'unread'::regclass AND contype = 'f' AND convalidated"));
      EXPECT_EQ(fks[0][0].AsInt(), 2);
      CAIRN_ASSERT_OK_AND_ASSIGN(auto off,
                                 y->Query("SELECT count(*) FROM pg_trigger WHERE tgrelid = "
                                          "'unread'::regclass AND tgenabled = 'D'"));
      EXPECT_EQ(off[0][0].AsInt(), 0);
    } else {
      CAIRN_ASSERT_OK_AND_ASSIGN(auto violations, y->Query("PRAGMA foreign_key_check"));
      EXPECT_TRUE(violations.empty()) << violations.size() << " foreign key violation(s)";
    }
    CAIRN_ASSERT_OK_AND_ASSIGN(
        auto orphans,
        y->Query("SELECT (SELECT count(*) FROM unread u LEFT JOIN subscriptions s ON "
                 "s.client_id = u.client_id AND s.label = u.label WHERE s.client_id IS NULL), "
                 "(SELECT count(*) FROM unread u LEFT JOIN events e ON e.id = u.event_id "
                 "WHERE e.id IS NULL)"));
    EXPECT_EQ(orphans[0][0].AsInt(), 0);
    EXPECT_EQ(orphans[0][1].AsInt(), 0);
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> target_, yapper_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_CLIENTS_YAPPER_TEST_UTIL_H_

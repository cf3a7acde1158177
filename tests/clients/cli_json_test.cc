// `--json` on every command (docs/json.md): the real `cairn` binary runs as a
// child process; each document must parse, carry the schema version and the
// envelope, and have the fields docs/json.md lists for its command. Also the
// parsing edges issue 19 names: a UTF-8 byte-order mark, the changed-checksum
// refusal's way forward, and C++ data steps seen by the stock `cairn`.
#include <gmock/gmock.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cairn/base/hash.h"
#include "cairn/runner/lock.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr const char* kBom = "\xEF\xBB\xBF";

std::string WriteMigrations(const TempDir& dir, int count) {
  const std::string migrations = dir.File("migrations");
  fs::create_directories(migrations);
  for (int i = 1; i <= count; ++i)
    WriteFile(migrations + "/000" + std::to_string(i) + "_t" + std::to_string(i) + ".sql",
              "-- cairn:up\nCREATE TABLE t" + std::to_string(i) +
                  " (id INTEGER PRIMARY KEY);\nINSERT INTO t" + std::to_string(i) +
                  " (id) VALUES (1);\n-- cairn:down\nDROP TABLE t" + std::to_string(i) + ";\n");
  return migrations;
}

// Runs `cairn --database URL --dir DIR ARGS...` and checks the envelope of
// the one document on stdout; returns the document.
json RunJson(const std::string& url, const std::string& dir, const std::vector<std::string>& args,
             const std::string& command, int expected_exit = 0) {
  ProcessResult r = RunCairn(url, dir, args);
  const std::string what = command + " (" + r.err + ")";
  EXPECT_EQ(r.exit_code, expected_exit) << what << "\n" << r.out;
  json doc = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_object()) << what << ": stdout is not one JSON object:\n" << r.out;
  if (!doc.is_object()) return json::object();
  EXPECT_EQ(doc.value("cairn_json", 0), 1) << what;
  EXPECT_EQ(doc.value("command", ""), command) << what;
  EXPECT_EQ(doc.value("exit_code", -1), r.exit_code) << what;
  EXPECT_EQ(doc.value("ok", r.exit_code != 0), r.exit_code == 0) << what;
  EXPECT_TRUE(doc.contains("warnings") && doc["warnings"].is_array()) << what;
  EXPECT_EQ(doc.contains("error"), r.exit_code != 0) << what << "\n" << r.out;
  if (doc.contains("error")) {
    EXPECT_TRUE(doc["error"].contains("kind")) << r.out;
    EXPECT_TRUE(doc["error"].contains("message")) << r.out;
  }
  return doc;
}

void ExpectFields(const json& doc, const std::vector<std::string>& fields) {
  for (const std::string& f : fields)
    EXPECT_TRUE(doc.contains(f)) << doc.value("command", "") << " lacks '" << f << "':\n"
                                 << doc.dump(2);
}

class ClientsCliJsonTest : public ::testing::TestWithParam<db::Backend> {};

// migrate and rollback: what ran, with durations and counts from the
// ledger, and why the run stopped.
TEST_P(ClientsCliJsonTest, MigrateAndRollbackSayWhatRanAndWhyTheyStopped) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 3);
  const std::string& url = tdb->url();

  json up = RunJson(url, migrations, {"migrate", "--to", "0002", "--json"}, "migrate");
  ExpectFields(up,
               {"direction", "run_id", "version_before", "version_after", "stopped", "migrations"});
  EXPECT_EQ(up["direction"], "up");
  EXPECT_EQ(up["version_before"], "");
  EXPECT_EQ(up["version_after"], "0002");
  EXPECT_EQ(up["stopped"]["reason"], "target_reached");
  ASSERT_EQ(up["migrations"].size(), 2u) << up.dump(2);
  for (const json& m : up["migrations"]) {
    ExpectFields(
        m, {"id", "description", "file", "checksum", "duration_micros", "statements", "batches"});
    EXPECT_EQ(m.value("statements", 0), 2) << m.dump();
    EXPECT_GE(m.value("duration_micros", -1), 0) << m.dump();
  }
  EXPECT_EQ(up["migrations"][0]["id"], "0001");
  EXPECT_EQ(up["migrations"][1]["description"], "t2");

  json rest = RunJson(url, migrations, {"migrate", "--json"}, "migrate");
  EXPECT_EQ(rest["stopped"]["reason"], "finished");
  ASSERT_EQ(rest["migrations"].size(), 1u);
  EXPECT_EQ(rest["migrations"][0]["id"], "0003");

  json none = RunJson(url, migrations, {"migrate", "--json"}, "migrate");
  EXPECT_EQ(none["stopped"]["reason"], "nothing_to_do");
  EXPECT_TRUE(none["migrations"].empty());

  json down = RunJson(url, migrations, {"rollback", "--steps", "2", "--json"}, "rollback");
  EXPECT_EQ(down["direction"], "down");
  EXPECT_EQ(down["stopped"]["reason"], "finished");
  ASSERT_EQ(down["migrations"].size(), 2u) << down.dump(2);
  EXPECT_EQ(down["migrations"][0]["id"], "0003");
  EXPECT_EQ(down["migrations"][0].value("statements", 0), 1);
  EXPECT_EQ(down["version_after"], "0001");
  json to = RunJson(url, migrations, {"rollback", "--to", "0", "--json"}, "rollback");
  EXPECT_EQ(to["stopped"]["reason"], "target_reached");
}

// A failing migration: exit 1, and the failure as JSON with its place.
TEST_P(ClientsCliJsonTest, FailingMigrateReportsTheFailureAsJson) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 1);
  WriteFile(migrations + "/0002_bad.sql",
            "-- cairn:up\nCREATE TABLE ok2 (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n");
  ProcessResult r = RunCairn(tdb->url(), migrations, {"migrate", "--json"});
  json doc = RunJson(tdb->url(), migrations, {"migrate", "--json"}, "migrate", 1);
  EXPECT_EQ(doc["ok"], false);
  EXPECT_EQ(doc["error"]["kind"], "migration_failed");
  EXPECT_EQ(doc["error"]["migration_id"], "0002");
  EXPECT_EQ(doc["error"]["line"], 3);
  EXPECT_THAT(doc["error"].value("file", ""), HasSubstr("0002_bad.sql"));
  EXPECT_THAT(doc["error"].value("message", ""), HasSubstr("no_such_table"));
  EXPECT_EQ(doc["stopped"]["reason"], "failed");
  EXPECT_EQ(doc["stopped"]["line"], 3);
  EXPECT_EQ(doc["failure"]["migration_id"], "0002");
  EXPECT_THAT(doc["failure"].value("statement", ""), HasSubstr("INSERT INTO no_such_table"));
  // The first run applied 0001 before failing; the second had only 0002.
  json first = json::parse(r.out);
  ASSERT_EQ(first["migrations"].size(), 1u) << r.out;
  EXPECT_EQ(first["migrations"][0]["id"], "0001");
  // The human lines stay on stderr.
  EXPECT_THAT(r.err, HasSubstr("cairn: error: "));
}

// Another runner holds the lock past --lock-timeout: exit 7, and the
// document says the run stopped on the lock.
TEST_P(ClientsCliJsonTest, LockTimeoutIsTheReasonTheRunStopped) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 1);
  auto conn = tdb->Connect();
  auto lock =
      runner::RunnerLock::Acquire(*conn, conn->url().database_name, std::chrono::milliseconds(0));
  ASSERT_TRUE(lock.ok()) << lock.status().ToString();
  for (const char* command : {"migrate", "rollback"}) {
    json doc =
        RunJson(tdb->url(), migrations, {command, "--lock-timeout", "0", "--json"}, command, 7);
    EXPECT_EQ(doc["stopped"]["reason"], "lock_timeout") << doc.dump(2);
    EXPECT_EQ(doc["error"]["kind"], "lock_timeout");
    EXPECT_EQ(doc["error"]["code"], "DEADLINE_EXCEEDED");
    EXPECT_THAT(doc["error"].value("message", ""), HasSubstr("runner lock"));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ClientsCliJsonTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// Every other command that reports something, on SQLite.
TEST(ClientsCliJsonCommandsTest, EveryCommandPrintsOneVersionedDocument) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir, 3);
  const std::string url = "sqlite:" + dir.File("a.db");
  auto run = [&](std::vector<std::string> args, const std::string& command, int exit_code = 0) {
    args.push_back("--json");
    return RunJson(url, migrations, args, command, exit_code);
  };

  json plan = run({"plan"}, "plan");
  ExpectFields(plan, {"stream", "direction", "version_before", "migrations", "plan_hash"});
  ASSERT_EQ(plan["migrations"].size(), 3u);
  EXPECT_EQ(plan["migrations"][0]["statements"].size(), 2u);
  EXPECT_EQ(plan["plan_hash"].get<std::string>().size(), 64u);
  json dry = run({"migrate", "--dry-run"}, "migrate");
  EXPECT_EQ(dry["dry_run"], true);
  EXPECT_EQ(dry["plan_hash"], plan["plan_hash"]);

  ASSERT_EQ(RunCairn(url, migrations, {"migrate", "--to", "2"}).exit_code, 0);
  json status = run({"status"}, "status");
  ExpectFields(status, {"stream", "version", "head", "pending", "problems", "migrations"});
  EXPECT_EQ(status["version"], "0002");
  EXPECT_EQ(status["pending"], 1);

  json history = run({"history"}, "history");
  ExpectFields(history, {"stream", "events", "unfinished"});
  ASSERT_GE(history["events"].size(), 6u);
  EXPECT_EQ(history["events"][0]["type"], "run_started");
  EXPECT_EQ(history["events"][0]["position"], 1);
  json limited = run({"history", "--limit", "2"}, "history");
  EXPECT_EQ(limited["events"].size(), 2u);

  json verify = run({"verify"}, "verify");
  ExpectFields(verify, {"stream", "events_checked", "head"});
  EXPECT_EQ(verify["events_checked"], history["events"].size());

  json drift = run({"drift"}, "drift");
  ExpectFields(drift,
               {"stream", "state", "live_fingerprint", "recorded_fingerprint", "differences"});
  EXPECT_EQ(drift["state"], "no_drift");

  json rehearse = run({"rehearse"}, "rehearse");
  ExpectFields(rehearse, {"copy", "rehearsed", "problems"});
  EXPECT_EQ(rehearse["rehearsed"], json::array({"0003"}));

  WriteFile(dir.File("schema.sql"),
            "CREATE TABLE t1 (id INTEGER PRIMARY KEY);\nCREATE TABLE t2 (id INTEGER PRIMARY KEY);\n"
            "CREATE TABLE extra (id INTEGER PRIMARY KEY);\n");
  json diff = run({"diff", "--schema", dir.File("schema.sql")}, "diff");
  ExpectFields(diff, {"schema", "differs", "up"});
  EXPECT_EQ(diff["differs"], true);
  EXPECT_THAT(diff.value("up", ""), HasSubstr("extra"));

  json config = run({"config"}, "config");
  ExpectFields(config, {"config_file", "settings", "protected_environments", "protected"});
  EXPECT_EQ(config["settings"]["dir"]["value"], migrations);

  json lint = run({"lint"}, "lint");
  ExpectFields(lint, {"files", "silenced", "findings"});
  EXPECT_EQ(lint["files"], 3);

  json made = run({"new", "add_x"}, "new");
  ASSERT_TRUE(made.contains("path"));
  EXPECT_TRUE(fs::exists(made.value("path", ""))) << made.dump();
  fs::remove(made.value("path", ""));

  // A changed applied file: refused (exit 3), naming accept-checksum; then accepted.
  WriteFile(migrations + "/0001_t1.sql",
            "-- cairn:up\n-- a comment\nCREATE TABLE t1 (id INTEGER PRIMARY KEY);\nINSERT INTO t1 "
            "(id) VALUES (1);\n-- cairn:down\nDROP TABLE t1;\n");
  json refused = run({"migrate"}, "migrate", 3);
  EXPECT_EQ(refused["error"]["kind"], "invalid_migrations");
  EXPECT_THAT(refused["error"].value("message", ""), HasSubstr("cairn accept-checksum 0001"));
  EXPECT_EQ(refused["stopped"]["reason"], "refused");
  json accepted = run({"accept-checksum", "0001", "--reason", "a comment"}, "accept-checksum");
  ExpectFields(accepted, {"migration_id", "accepted", "old_checksum", "new_checksum"});
  EXPECT_EQ(accepted["accepted"], true);

  json exported = run({"export", "--format", "jsonl", "--out", dir.File("e.jsonl")}, "export");
  ExpectFields(exported, {"format", "out", "streams", "records"});
  EXPECT_GT(exported.value("records", 0), 0);
  json no_out = run({"export", "--format", "jsonl"}, "export", 2);
  EXPECT_EQ(no_out["error"]["kind"], "usage");

  json report = run({"report", "--out", dir.File("r.html")}, "report");
  ExpectFields(report, {"out", "migrations", "events", "targets", "bytes"});

  json forward = run({"forward", "--to", "sqlite:" + dir.File("central.db")}, "forward");
  ExpectFields(forward, {"central", "streams"});
  ASSERT_EQ(forward["streams"].size(), 1u) << forward.dump(2);
  EXPECT_EQ(forward["streams"][0]["forwarded"], history["events"].size() + 1)  // + the acceptance
      << forward.dump(2);
  EXPECT_EQ(forward["streams"][0]["central_head"]["position"], forward["streams"][0]["forwarded"]);

  json key = run({"keygen", "--out", dir.File("k.pem")}, "keygen");
  ExpectFields(key, {"private_key_file", "public_key_file", "public_key"});

  // baseline on a database with the schema and no ledger.
  const std::string other = "sqlite:" + dir.File("b.db");
  json baseline = RunJson(other, migrations, {"baseline", "--to", "0001", "--json"}, "baseline");
  ExpectFields(baseline, {"baselined", "version_after"});
  EXPECT_EQ(baseline["baselined"], json::array({"0001"}));

  // A usage error is a document too, naming the command.
  json usage = run({"rollback", "--stpes", "1"}, "rollback", 2);
  EXPECT_EQ(usage["error"]["kind"], "usage");
  EXPECT_THAT(usage["error"].value("message", ""), HasSubstr("--steps"));
  // So is an error opening the target (exit 4).
  json missing =
      RunJson("sqlite:" + dir.File("nope.db"), migrations, {"status", "--json"}, "status", 4);
  EXPECT_EQ(missing["error"]["kind"], "database");
}

// golang-migrate's table adopted: the imported ids as JSON.
TEST(ClientsCliJsonCommandsTest, AdoptReportsWhatItImported) {
  TempDir dir;
  const std::string migrations = dir.File("gm");
  fs::create_directories(migrations);
  WriteFile(migrations + "/1_a.up.sql", "CREATE TABLE a (id INTEGER);\n");
  WriteFile(migrations + "/1_a.down.sql", "DROP TABLE a;\n");
  const std::string url = "sqlite:" + dir.File("g.db");
  {
    auto conn = db::Connection::Open(*db::ParseDatabaseUrl(url));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    for (const char* sql : {"CREATE TABLE a (id INTEGER)",
                            "CREATE TABLE schema_migrations (version bigint not null primary key, "
                            "dirty boolean not null)",
                            "INSERT INTO schema_migrations VALUES (1, false)"})
      ASSERT_TRUE((*conn)->Execute(sql).ok()) << sql;
  }
  json adopt = RunJson(url, migrations, {"--format", "golang-migrate", "adopt", "--json"}, "adopt");
  ExpectFields(adopt, {"source", "adopted", "skipped", "changed_repeatables"});
  EXPECT_EQ(adopt["adopted"].size(), 1u) << adopt.dump(2);
}

// A UTF-8 byte-order mark before '-- cairn:up' is accepted; it stays in the
// checksum (the file's bytes as they are).
TEST(ClientsCliParseTest, ByteOrderMarkIsAcceptedAndKeptInTheChecksum) {
  TempDir dir;
  const std::string with_bom = dir.File("with");
  const std::string without = dir.File("without");
  fs::create_directories(with_bom);
  fs::create_directories(without);
  const std::string text =
      "-- cairn:up\nCREATE TABLE b (id INTEGER);\n-- cairn:down\nDROP TABLE b;\n";
  WriteFile(with_bom + "/0001_b.sql", std::string(kBom) + text);
  WriteFile(without + "/0001_b.sql", text);
  const std::string url = "sqlite:" + dir.File("bom.db");
  ProcessResult r = RunCairn(url, with_bom, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("SQL before")));
  json status = json::parse(RunCairn(url, with_bom, {"status", "--json"}).out);
  ASSERT_EQ(status["migrations"].size(), 1u);
  EXPECT_EQ(status["migrations"][0]["state"], "applied");
  // The checksum is of the canonical text with the mark: the same text
  // without it has another checksum.
  const std::string expected = "sha256:" + ledger::ToHex(ledger::Sha256(std::string(kBom) + text));
  EXPECT_EQ(status["migrations"][0]["file_checksum"], expected);
  json plain =
      json::parse(RunCairn("sqlite:" + dir.File("plain.db"), without, {"plan", "--json"}).out);
  EXPECT_NE(plain["migrations"][0]["checksum"], expected);
  // Applied with the mark, the file without it is a changed file.
  ProcessResult changed = RunCairn(url, without, {"migrate"});
  EXPECT_EQ(changed.exit_code, 3) << changed.err;
}

// The stock cairn shows a C++ data step applied by a runner binary as what
// it is, not as a missing file.
TEST(ClientsCliParseTest, StockCairnNamesCxxDataStepsOfARunnerBinary) {
  TempDir dir;
  const std::string migrations = dir.File("migrations");
  fs::create_directories(migrations);
  WriteFile(migrations + "/0001_create_items.sql",
            "-- cairn:up\nCREATE TABLE items (id INTEGER PRIMARY KEY);\n-- cairn:down\nDROP TABLE "
            "items;\n");
  const std::string url = "sqlite:" + dir.File("steps.db");
  ProcessResult r = RunProcess(
      {CAIRN_TEST_STEPS_BIN, "--database", url, "--dir", migrations, "migrate", "--to", "0002"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  json status = json::parse(RunCairn(url, migrations, {"status", "--json"}).out);
  std::string state;
  for (const json& m : status["migrations"])
    if (m["id"] == "0002") state = m.value("state", "");
  EXPECT_EQ(state, "in_binary") << status.dump(2);
  for (const json& p : status["problems"])
    EXPECT_THAT(p.get<std::string>(), Not(HasSubstr("missing")));
  ProcessResult text = RunCairn(url, migrations, {"status"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("c++ step"));
  EXPECT_THAT(text.out, HasSubstr("note: 0002 (c++:0002_create_notes) is a C++ data step"));
  EXPECT_THAT(text.out, Not(HasSubstr("missing")));
  // migrate says what it is too (a warning: the stock cairn cannot hold it).
  ProcessResult migrate = RunCairn(url, migrations, {"migrate"});
  EXPECT_EQ(migrate.exit_code, 0) << migrate.err;
  EXPECT_THAT(migrate.err, HasSubstr("migration 0002 (c++:0002_create_notes) is a C++ data step"));
  EXPECT_THAT(migrate.err, Not(HasSubstr("has no file")));
  ProcessResult history = RunCairn(url, migrations, {"history"});
  EXPECT_THAT(history.out, HasSubstr("[C++ step c++:0002_create_notes, in a runner binary]"));
}

}  // namespace
}  // namespace cairn::testing

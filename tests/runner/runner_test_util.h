// Helpers shared by the end-to-end runner tests (cli_test, crash_test,
// bad_input_test): reading the ledger and the schema of a real target
// database, and running the `cairn` binary.
#ifndef CAIRN_TESTS_RUNNER_RUNNER_TEST_UTIL_H_
#define CAIRN_TESTS_RUNNER_RUNNER_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/db/database.h"
#include "tests/support/test_support.h"

namespace cairn::testing {

using nlohmann::json;

// Whether `table` exists in `conn`'s database (its default schema on PostgreSQL).
inline bool TableExists(db::Connection& conn, const std::string& table) {
  const char* sql = conn.backend() == db::Backend::kSqlite
                        ? "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = $1"
                        : "SELECT count(*) FROM information_schema.tables "
                          "WHERE table_schema = current_schema() AND table_name = $1";
  auto rows = conn.Query(sql, {db::Value(table)});
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() && !rows->empty() && (*rows)[0][0].AsInt() > 0;
}

inline bool TableExists(const TestDatabase& tdb, const std::string& table) {
  auto conn = tdb.Connect();
  return conn != nullptr && TableExists(*conn, table);
}

// Every user table in the database (SQLite: not sqlite_*; PostgreSQL: the
// default schema).
inline std::vector<std::string> AllTables(const TestDatabase& tdb) {
  auto conn = tdb.Connect();
  if (!conn) return {};
  const char* sql =
      conn->backend() == db::Backend::kSqlite
          ? "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
          : "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema() ORDER BY table_name";
  auto rows = conn->Query(sql);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  std::vector<std::string> out;
  if (rows.ok())
    for (const auto& r : *rows) out.push_back(r[0].AsText());
  return out;
}

#ifdef CAIRN_SOURCE_DIR
// The dbmate binary from its npm package (scripts/install-deps.sh), or
// $CAIRN_DBMATE; empty when neither exists.
inline std::string DbmateBinary() {
  if (const char* env = std::getenv("CAIRN_DBMATE"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path scoped =
      std::filesystem::path(CAIRN_SOURCE_DIR) / "build-deps/npm/node_modules/@dbmate";
  for (const auto& e : std::filesystem::directory_iterator(scoped, ec)) {
    auto bin = e.path() / "bin/dbmate";
    if (std::filesystem::exists(bin)) return bin.string();
  }
  return "";
}
#endif

// Runs `sql` (any number of statements) on `tdb`; a failure fails the test.
inline void ExecScript(const TestDatabase& tdb, const std::string& sql) {
  auto conn = tdb.Connect();
  ASSERT_TRUE(conn != nullptr);
  int64_t n = 0;
  db::ScriptFailure failure;
  Status s = conn->ExecuteScript(sql, &n, &failure);
  ASSERT_TRUE(s.ok()) << s.ToString() << " in " << sql;
}

// Rows in cairn_ledger, counted directly (0 when the table does not exist).
inline int64_t LedgerRows(const TestDatabase& tdb) {
  auto conn = tdb.Connect();
  if (!conn || !TableExists(*conn, "cairn_ledger")) return 0;
  auto rows = conn->Query("SELECT count(*) FROM cairn_ledger");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? (*rows)[0][0].AsInt() : -1;
}

// The events of `cairn history --json` (docs/json.md), one object per event.
inline std::vector<json> History(const TestDatabase& tdb, const std::string& dir) {
  ProcessResult r = RunCairn(tdb.url(), dir, {"history", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json doc = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(doc.is_object()) << "history --json printed: " << r.out.substr(0, 2000);
  if (!doc.is_object() || !doc.contains("events")) return {};
  return doc["events"].get<std::vector<json>>();
}

// Events of `type` (optionally only those for `migration_id`).
inline std::vector<json> EventsOf(const std::vector<json>& events, const std::string& type,
                                  const std::string& migration_id = "") {
  std::vector<json> out;
  for (const json& e : events) {
    if (e.value("type", "") != type) continue;
    if (!migration_id.empty() && e.value("migration_id", "") != migration_id) continue;
    out.push_back(e);
  }
  return out;
}

// `cairn status --json`.
inline json StatusJson(const TestDatabase& tdb, const std::string& dir) {
  ProcessResult r = RunCairn(tdb.url(), dir, {"status", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "status --json printed: " << r.out;
  return j.is_discarded() ? json::object() : j;
}

// The state status --json reports for migration `id` ("" when not listed).
inline std::string StateOf(const json& status, const std::string& id) {
  if (!status.contains("migrations")) return "";
  for (const json& m : status["migrations"])
    if (m.value("id", "") == id) return m.value("state", "");
  return "";
}

// The lines of `text` that start with `prefix`.
inline std::vector<std::string> LinesStartingWith(const std::string& text,
                                                  const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  return out;
}

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_RUNNER_RUNNER_TEST_UTIL_H_

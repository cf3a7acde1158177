// Helpers for the interrupted-run tests (docs/transactions.md, "Interrupted
// runs"): a slow statement whose duration the test controls, a check that
// cairn is inside it, and a row count read from another connection.
#ifndef CAIRN_TESTS_RUNNER_RECOVERY_UTIL_H_
#define CAIRN_TESTS_RUNNER_RECOVERY_UTIL_H_

#include <string>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing::recovery {

// The first value of `sql` read on a fresh connection with a short busy
// timeout, or -1 when it cannot be read now (the table is missing, or
// SQLite's write lock is held past the timeout).
inline int64_t ReadInt(const TestDatabase& tdb, const std::string& sql) {
  auto parsed = db::ParseDatabaseUrl(tdb.url());
  if (!parsed.ok()) return -1;
  auto conn = db::Connection::Open(*parsed, db::OpenOptions{std::chrono::milliseconds(200)});
  if (!conn.ok()) return -1;
  auto rows = (*conn)->Query(sql);
  if (!rows.ok() || rows->empty() || (*rows)[0][0].is_null()) return -1;
  return (*rows)[0][0].AsInt();
}

inline int64_t LedgerCount(const TestDatabase& tdb, const std::string& event_type) {
  return ReadInt(tdb, "SELECT count(*) FROM cairn_ledger WHERE event_type = '" + event_type + "'");
}

// A statement that runs for as long as ctl.n says (SQLite: a recursive count
// to n; PostgreSQL: pg_sleep(n)).
inline std::string SlowStatement(db::Backend b) {
  if (b == db::Backend::kSqlite)
    return "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT n "
           "FROM ctl)) SELECT count(*) FROM c;";
  return "SELECT pg_sleep((SELECT n FROM ctl));";
}

// Creates or resets ctl(n): `slow` makes SlowStatement outlast any test,
// otherwise it is instant. On PostgreSQL also makes the server notice a
// killed client during a statement (client_connection_check_interval).
inline void SetSlow(const TestDatabase& tdb, bool slow) {
  auto conn = tdb.Connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->Execute("CREATE TABLE IF NOT EXISTS ctl (n BIGINT)").ok());
  ASSERT_TRUE(conn->Execute("DELETE FROM ctl").ok());
  const int64_t n = !slow ? 0 : tdb.backend() == db::Backend::kSqlite ? 1'000'000'000'000 : 3600;
  ASSERT_TRUE(conn->Execute("INSERT INTO ctl (n) VALUES ($1)", {db::Value(n)}).ok());
  if (tdb.backend() == db::Backend::kPostgres) {
    auto a = conn->Execute("ALTER DATABASE " + conn->url().database_name +
                           " SET client_connection_check_interval = '100ms'");
    ASSERT_TRUE(a.ok()) << a.status().ToString();
  }
}

// True while another session runs SlowStatement (PostgreSQL: seen in
// pg_stat_activity; SQLite: a ledger event of `after_type` exists and the
// write lock is held, which a slow statement inside cairn's transaction does).
inline bool InsideSlowStatement(const TestDatabase& tdb, const std::string& after_type,
                                int64_t after_count) {
  if (tdb.backend() == db::Backend::kPostgres) {
    if (LedgerCount(tdb, after_type) < after_count) return false;
    return ReadInt(tdb,
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                   "pid <> pg_backend_pid() AND state = 'active' AND query LIKE "
                   "'%pg_sleep((SELECT%'") > 0;
  }
  if (LedgerCount(tdb, after_type) < after_count) return false;
  auto parsed = db::ParseDatabaseUrl(tdb.url());
  auto conn = db::Connection::Open(*parsed, db::OpenOptions{std::chrono::milliseconds(50)});
  if (!conn.ok()) return false;
  auto tx = (*conn)->Begin();
  return !tx.ok() && tx.status().code() == StatusCode::kAborted;  // busy: cairn holds it
}

// Once a killed client's session has left the server (at once on SQLite).
inline bool SessionsGone(const TestDatabase& tdb) {
  if (tdb.backend() != db::Backend::kPostgres) return true;
  return ReadInt(tdb,
                 "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                 "pid <> pg_backend_pid() AND backend_type = 'client backend'") == 0;
}

}  // namespace cairn::testing::recovery

#endif  // CAIRN_TESTS_RUNNER_RECOVERY_UTIL_H_

// Migration file header directives (docs/migration-files.md) and the
// detection of statements that cannot run inside a transaction.
#include "runner/src/source/directives.h"

#include <gmock/gmock.h>

#include "cairn/runner/migration.h"

namespace cairn::runner {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

StatusOr<Migration> Parse(const std::string& text) {
  return ParseMigration("migrations/0007_x.sql", "0007_x.sql", text);
}

TEST(RunnerDirectivesTest, HeaderDirectivesAreParsed) {
  auto m = Parse(
      "-- adds a column\n-- cairn:no-transaction\n-- cairn:lock-timeout 5s\n"
      "-- cairn:statement-timeout 250ms\n-- cairn:lock-retries 7\n-- cairn:up\nSELECT 1;\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE(m->no_transaction);
  EXPECT_EQ(m->lock_timeout, milliseconds(5000));
  EXPECT_EQ(m->statement_timeout, milliseconds(250));
  EXPECT_EQ(m->lock_retries, 7);

  auto plain = Parse("-- cairn:up\nSELECT 1;\n");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->no_transaction);
  EXPECT_FALSE(plain->lock_timeout.has_value());
  EXPECT_EQ(plain->lock_retries, 3);
}

TEST(RunnerDirectivesTest, BadDirectivesNameFileAndLine) {
  struct Case {
    std::string text, message;
  };
  for (const Case& c : std::vector<Case>{
           {"-- cairn:lock-timeout soon\n-- cairn:up\nSELECT 1;\n",
            "migrations/0007_x.sql:1: '-- cairn:lock-timeout': invalid duration 'soon'"},
           {"-- cairn:up\n-- cairn:no-transaction\nSELECT 1;\n",
            "migrations/0007_x.sql:2: '-- cairn:no-transaction' must come before '-- cairn:up'"},
           {"-- cairn:no-transaction please\n-- cairn:up\nSELECT 1;\n",
            "migrations/0007_x.sql:1: '-- cairn:no-transaction' takes no argument"},
           {"-- cairn:lock-retries 1000\n-- cairn:up\nSELECT 1;\n",
            "migrations/0007_x.sql:1: '-- cairn:lock-retries' needs a count from 0 to 100"},
           {"\n-- cairn:statement-timeout 0s\n-- cairn:up\nSELECT 1;\n",
            "migrations/0007_x.sql:2: '-- cairn:statement-timeout' must be longer than 0"},
           {"-- cairn:lock-timeuot 5s\n-- cairn:up\nSELECT 1;\n",
            "migrations/0007_x.sql:1: unknown directive 'cairn:lock-timeuot'"},
       }) {
    auto m = Parse(c.text);
    ASSERT_FALSE(m.ok()) << c.text;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(m.status().message(), HasSubstr(c.message));
  }
}

TEST(RunnerDirectivesTest, Durations) {
  EXPECT_EQ(*ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(*ParseDuration("5s"), milliseconds(5000));
  EXPECT_EQ(*ParseDuration("30"), milliseconds(30000));
  EXPECT_EQ(*ParseDuration("2m"), milliseconds(120000));
  EXPECT_EQ(*ParseDuration("1h"), milliseconds(3600000));
  EXPECT_EQ(*ParseDuration("0"), milliseconds(0));
  for (const char* bad : {"", "s", "-1s", "5 parsecs", "1.5s", "99999999999999999h"})
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
}

std::string Reason(const std::string& up, db::Backend b = db::Backend::kPostgres,
                   int version = 150000) {
  auto m = Parse("-- cairn:up\n" + up);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? NoTransactionReason(*m, m->up, b, version) : "";
}

TEST(RunnerDirectivesTest, DetectsStatementsThatRefuseTransactions) {
  EXPECT_EQ(Reason("CREATE TABLE a (x INT);\nCREATE INDEX CONCURRENTLY a_x ON a (x);\n"),
            "CREATE INDEX CONCURRENTLY at line 3");
  EXPECT_EQ(Reason("create unique index concurrently if not exists a_x on a (x);\n"),
            "CREATE INDEX CONCURRENTLY at line 2");
  EXPECT_EQ(Reason("DROP INDEX CONCURRENTLY a_x;\n"), "DROP INDEX CONCURRENTLY at line 2");
  EXPECT_EQ(Reason("REINDEX INDEX CONCURRENTLY a_x;\n"), "REINDEX CONCURRENTLY at line 2");
  EXPECT_EQ(Reason("ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY;\n"),
            "ALTER TABLE ... DETACH PARTITION CONCURRENTLY at line 2");
  EXPECT_EQ(Reason("ALTER TABLE p DETACH PARTITION p1;\n"), "");
  EXPECT_EQ(Reason("VACUUM ANALYZE a;\n"), "VACUUM at line 2");
  EXPECT_EQ(Reason("VACUUM;\n", db::Backend::kSqlite, 0), "VACUUM at line 2");
  EXPECT_EQ(Reason("CREATE DATABASE other;\n"), "CREATE DATABASE at line 2");
  EXPECT_EQ(Reason("ALTER SYSTEM SET work_mem = '64MB';\n"), "ALTER SYSTEM at line 2");
  EXPECT_EQ(Reason("ALTER TYPE mood ADD VALUE 'meh';\n", db::Backend::kPostgres, 110000),
            "ALTER TYPE ... ADD VALUE (PostgreSQL before 12) at line 2");
  // Not these:
  EXPECT_EQ(Reason("ALTER TYPE mood ADD VALUE 'meh';\n"), "");
  EXPECT_EQ(Reason("CREATE INDEX a_x ON a (x);\n"), "");
  EXPECT_EQ(Reason("INSERT INTO notes VALUES ('CREATE INDEX CONCURRENTLY x');\n"), "");
  EXPECT_EQ(Reason("-- VACUUM later\nCREATE TABLE vacuum_log (x INT);\n"), "");
  EXPECT_EQ(Reason("CREATE INDEX CONCURRENTLY a_x ON a (x);\n", db::Backend::kSqlite, 0), "");
  // Declared.
  auto m = Parse("-- cairn:no-transaction\n-- cairn:up\nSELECT 1;\n");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(NoTransactionReason(*m, m->up, db::Backend::kSqlite, 0), "'-- cairn:no-transaction'");
}

}  // namespace
}  // namespace cairn::runner

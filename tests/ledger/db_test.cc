// The shared database layer: URL parsing, the SQL script splitter, and, on
// both backends, bound parameters, transactions, scripts and open errors.
#include <sqlite3.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/db/sql_splitter.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using db::Backend;
using db::Bytes;
using db::ParseDatabaseUrl;
using db::Value;

// cairn turns SQLite's allocation statistics off before the library starts
// (docs/sqlite.md, "Allocation statistics"): with them on, each allocation
// takes a global mutex, which costs a multi-threaded process dearly when
// SQLite parses large INSERTs. The library's count stays 0 when they are off.
TEST(SqliteAllocationStatisticsTest, OffOnceCairnOpensADatabase) {
  TempDir dir;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto url, ParseDatabaseUrl("sqlite:" + dir.File("stats.db")));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto c, db::Connection::Open(url));
  ASSERT_TRUE(c->Execute("CREATE TABLE t (x TEXT)").ok());
  ASSERT_TRUE(c->Execute("INSERT INTO t VALUES ('a'), ('b'), ('c')").ok());
  EXPECT_EQ(sqlite3_memory_used(), 0);
  EXPECT_EQ(sqlite3_memory_highwater(0), 0);
}

// ---------------------------------------------------------------------------
// ParseDatabaseUrl

TEST(ParseDatabaseUrlTest, SqliteRelativePath) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl("sqlite:data/campus.db"));
  EXPECT_EQ(u.backend, Backend::kSqlite);
  EXPECT_EQ(u.sqlite_path, "data/campus.db");
  EXPECT_EQ(u.database_name, "campus");
  EXPECT_EQ(u.redacted, "sqlite:data/campus.db");
}

TEST(ParseDatabaseUrlTest, SqliteAbsolutePathWithThreeSlashes) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl("sqlite:///var/lib/cairn/campus.sqlite3"));
  EXPECT_EQ(u.backend, Backend::kSqlite);
  EXPECT_EQ(u.sqlite_path, "/var/lib/cairn/campus.sqlite3");
  EXPECT_EQ(u.database_name, "campus");
}

TEST(ParseDatabaseUrlTest, SqliteTwoSlashesIsRelative) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl("sqlite://rel/inventory.db"));
  EXPECT_EQ(u.sqlite_path, "rel/inventory.db");
  EXPECT_EQ(u.database_name, "inventory");
}

TEST(ParseDatabaseUrlTest, SqliteWithoutExtension) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl("sqlite:campus"));
  EXPECT_EQ(u.sqlite_path, "campus");
  EXPECT_EQ(u.database_name, "campus");
}

TEST(ParseDatabaseUrlTest, SqliteInMemory) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl("sqlite::memory:"));
  EXPECT_EQ(u.backend, Backend::kSqlite);
  EXPECT_EQ(u.sqlite_path, ":memory:");
  EXPECT_EQ(u.database_name, "memory");
}

TEST(ParseDatabaseUrlTest, SqliteJournalModeOption) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto d, ParseDatabaseUrl("sqlite:campus.db"));
  EXPECT_EQ(d.sqlite_journal_mode, "wal");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto k, ParseDatabaseUrl("sqlite:data/campus.db?journal_mode=KEEP"));
  EXPECT_EQ(k.sqlite_path, "data/campus.db");
  EXPECT_EQ(k.database_name, "campus");
  EXPECT_EQ(k.sqlite_journal_mode, "keep");
  // Any other '?' is part of the file name, as before.
  CAIRN_ASSERT_OK_AND_ASSIGN(auto q, ParseDatabaseUrl("sqlite:what?.db"));
  EXPECT_EQ(q.sqlite_path, "what?.db");
  auto bad = ParseDatabaseUrl("sqlite:campus.db?journal_mode=memory");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("journal_mode 'memory'"), std::string::npos);
}

// A SQLite target is opened in WAL mode with full sync (docs/sqlite.md)
// unless its URL keeps the file's own mode; the mode stays in the file.
TEST(SqliteJournalModeTest, WalByDefaultAndKeepLeavesTheFileAlone) {
  TempDir dir;
  auto journal_mode = [](db::Connection& c) {
    auto rows = c.Query("PRAGMA journal_mode");
    return rows.ok() && !rows->empty() ? (*rows)[0][0].AsText() : std::string("?");
  };
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(
        auto url, ParseDatabaseUrl("sqlite:" + dir.File("kept.db") + "?journal_mode=keep"));
    CAIRN_ASSERT_OK_AND_ASSIGN(auto c, db::Connection::Open(url));
    ASSERT_TRUE(c->Execute("CREATE TABLE t (x)").ok());
    EXPECT_EQ(journal_mode(*c), "delete");
  }
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto url, ParseDatabaseUrl("sqlite:" + dir.File("kept.db")));
    CAIRN_ASSERT_OK_AND_ASSIGN(auto c, db::Connection::Open(url));
    EXPECT_EQ(journal_mode(*c), "wal");
    auto sync = c->Query("PRAGMA synchronous");
    ASSERT_TRUE(sync.ok());
    EXPECT_EQ((*sync)[0][0].AsInt(), 2);  // FULL: every commit is durable
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(
      auto url, ParseDatabaseUrl("sqlite:" + dir.File("kept.db") + "?journal_mode=keep"));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto c, db::Connection::Open(url));
  EXPECT_EQ(journal_mode(*c), "wal");  // persistent in the file
}

TEST(ParseDatabaseUrlTest, PostgresWithEverything) {
  const std::string url =
      "postgres://alice:s3cret@db.example.com:5433/campus?sslmode=require&application_name=x";
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl(url));
  EXPECT_EQ(u.backend, Backend::kPostgres);
  EXPECT_EQ(u.conninfo, url);
  EXPECT_EQ(u.database_name, "campus");
  EXPECT_EQ(u.redacted,
            "postgres://alice:***@db.example.com:5433/campus?sslmode=require&application_name=x");
  EXPECT_EQ(u.redacted.find("s3cret"), std::string::npos);
}

TEST(ParseDatabaseUrlTest, PostgresPasswordQueryParameterIsRedacted) {
  const std::string url = "postgres://h/db?user=u&password=s3cret&sslmode=require";
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl(url));
  EXPECT_EQ(u.conninfo, url);
  EXPECT_EQ(u.redacted, "postgres://h/db?user=u&password=***&sslmode=require");
}

TEST(ParseDatabaseUrlTest, PostgresqlSchemeWithUserAndNoPassword) {
  const std::string url = "postgresql://alice@localhost/campus";
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl(url));
  EXPECT_EQ(u.backend, Backend::kPostgres);
  EXPECT_EQ(u.database_name, "campus");
  EXPECT_EQ(u.redacted, url);
}

TEST(ParseDatabaseUrlTest, PostgresPasswordWithAtSignsIsRedacted) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto u, ParseDatabaseUrl("postgres://u:p@ss%40word@h:5432/db"));
  EXPECT_EQ(u.redacted, "postgres://u:***@h:5432/db");
  EXPECT_EQ(u.database_name, "db");
}

TEST(ParseDatabaseUrlTest, PostgresIpv6Host) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto a, ParseDatabaseUrl("postgres://[::1]:5432/campus"));
  EXPECT_EQ(a.database_name, "campus");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto b, ParseDatabaseUrl("postgresql://bob:pw@[2001:db8::1]/inv"));
  EXPECT_EQ(b.database_name, "inv");
  EXPECT_EQ(b.redacted, "postgresql://bob:***@[2001:db8::1]/inv");
}

TEST(ParseDatabaseUrlTest, PostgresDatabaseNameDefaults) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto none, ParseDatabaseUrl("postgres://localhost"));
  EXPECT_EQ(none.database_name, "postgres");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto slash, ParseDatabaseUrl("postgres://localhost:5432/"));
  EXPECT_EQ(slash.database_name, "postgres");
  // libpq's default database is the user's name.
  CAIRN_ASSERT_OK_AND_ASSIGN(auto user, ParseDatabaseUrl("postgres://bob@localhost"));
  EXPECT_EQ(user.database_name, "bob");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto param, ParseDatabaseUrl("postgres://localhost?user=carol"));
  EXPECT_EQ(param.database_name, "carol");
}

TEST(ParseDatabaseUrlTest, PostgresQueryParametersAndPercentEncoding) {
  CAIRN_ASSERT_OK_AND_ASSIGN(auto q,
                             ParseDatabaseUrl("postgres://h/ignored?sslmode=disable&dbname=other"));
  EXPECT_EQ(q.database_name, "other");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto enc, ParseDatabaseUrl("postgres://h/my%20db"));
  EXPECT_EQ(enc.database_name, "my db");
  // A Unix socket directory as the host (empty host, host= parameter).
  CAIRN_ASSERT_OK_AND_ASSIGN(auto sock,
                             ParseDatabaseUrl("postgres:///campus?host=/var/run/postgresql"));
  EXPECT_EQ(sock.database_name, "campus");
}

// Each malformed URL is kInvalidArgument and its message names the URL.
struct BadUrl {
  std::string url;
  std::string mentions;  // a phrase the message must contain
};

class ParseDatabaseUrlErrorTest : public ::testing::TestWithParam<BadUrl> {};

TEST_P(ParseDatabaseUrlErrorTest, IsInvalidArgumentNamingTheUrl) {
  const BadUrl& bad = GetParam();
  auto r = ParseDatabaseUrl(bad.url);
  ASSERT_FALSE(r.ok()) << bad.url << " parsed";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = r.status().message();
  EXPECT_NE(msg.find("'" + bad.url + "'"), std::string::npos) << msg;
  EXPECT_NE(msg.find(bad.mentions), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Urls, ParseDatabaseUrlErrorTest,
    ::testing::Values(
        BadUrl{"campus.db", "missing scheme"}, BadUrl{":memory:", "missing scheme"},
        BadUrl{"mysql://h/db", "unknown scheme 'mysql'"},
        BadUrl{"postgres://h:abc/db", "port 'abc' is not a number"},
        BadUrl{"postgres://h:70000/db", "out of range"},
        BadUrl{"postgres://h:0/db", "out of range"}, BadUrl{"postgres://h:/db", "empty port"},
        BadUrl{"postgres://[::1]:99999/db", "out of range"},
        BadUrl{"postgres://[::1/db", "unterminated"}, BadUrl{"postgres:h/db", "'//'"},
        BadUrl{"postgres://@h/db", "user name"}, BadUrl{"postgres://h/db?sslmode", "not key=value"},
        BadUrl{"sqlite:", "missing file path"}, BadUrl{"sqlite://", "missing file path"},
        BadUrl{"sqlite:data/", "directory"}),
    [](const ::testing::TestParamInfo<BadUrl>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(ParseDatabaseUrlTest, EmptyUrlExplainsHowToGiveOne) {
  auto r = ParseDatabaseUrl("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--database"), std::string::npos) << r.status().message();
}

TEST(ParseDatabaseUrlTest, ErrorMessagesDoNotRevealThePassword) {
  for (const std::string url :
       {"postgres://alice:s3cret@h:abc/db", "postgres://alice:s3cret@h:70000/db",
        "postgres://alice:s3cret@h/db?sslmode", "mysql://alice:s3cret@h/db"}) {
    auto r = ParseDatabaseUrl(url);
    ASSERT_FALSE(r.ok()) << url;
    const std::string& msg = r.status().message();
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << msg;
    EXPECT_NE(msg.find("alice:***@h"), std::string::npos) << msg;
  }
  auto q = ParseDatabaseUrl("postgres://h:abc/db?password=s3cret");
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().message().find("s3cret"), std::string::npos) << q.status().message();
  EXPECT_NE(q.status().message().find("password=***"), std::string::npos);
}

// ---------------------------------------------------------------------------
// SplitSqlStatements

std::vector<std::string> Texts(std::string_view script) {
  std::vector<std::string> out;
  for (const auto& s : db::SplitSqlStatements(script)) out.emplace_back(s.text);
  return out;
}

TEST(SplitSqlStatementsTest, SplitsOnSemicolonsAndTrims) {
  const std::string script = "  SELECT 1;\n\nSELECT 2  ;SELECT 3";
  auto stmts = db::SplitSqlStatements(script);
  ASSERT_EQ(stmts.size(), 3u);
  EXPECT_EQ(stmts[0].text, "SELECT 1");
  EXPECT_EQ(stmts[0].offset, 2u);
  EXPECT_EQ(stmts[1].text, "SELECT 2");
  EXPECT_EQ(stmts[1].offset, script.find("SELECT 2"));
  EXPECT_EQ(stmts[2].text, "SELECT 3");
  EXPECT_EQ(stmts[2].offset, script.find("SELECT 3"));
  for (const auto& s : stmts) EXPECT_EQ(script.substr(s.offset, s.text.size()), s.text);
}

TEST(SplitSqlStatementsTest, SemicolonsInsideQuotesDoNotSplit) {
  EXPECT_EQ(Texts("INSERT INTO t VALUES ('a;b'); SELECT 2"),
            (std::vector<std::string>{"INSERT INTO t VALUES ('a;b')", "SELECT 2"}));
  // A doubled quote is a quote inside the string.
  EXPECT_EQ(Texts("SELECT 'it''s; fine'; SELECT 2"),
            (std::vector<std::string>{"SELECT 'it''s; fine'", "SELECT 2"}));
  // E'' strings take backslash escapes, so \' does not end them.
  EXPECT_EQ(Texts("SELECT E'a\\';b'; SELECT 2"),
            (std::vector<std::string>{"SELECT E'a\\';b'", "SELECT 2"}));
  EXPECT_EQ(Texts("SELECT e'\\\\'; SELECT 2"),
            (std::vector<std::string>{"SELECT e'\\\\'", "SELECT 2"}));
  // In a standard string a backslash is just a character.
  EXPECT_EQ(Texts("SELECT 'a\\'; SELECT 2"),
            (std::vector<std::string>{"SELECT 'a\\'", "SELECT 2"}));
  // Quoted identifiers.
  EXPECT_EQ(Texts("SELECT 1 AS \"a;\"\"b\"; SELECT 2"),
            (std::vector<std::string>{"SELECT 1 AS \"a;\"\"b\"", "SELECT 2"}));
}

TEST(SplitSqlStatementsTest, CommentsAreNotStatementsAndHideSemicolons) {
  const std::string script =
      "-- leading comment; still a comment\n"
      "SELECT 1; -- trailing; comment\n"
      "/* block; /* nested; */ still comment; */ SELECT 2;\n"
      "/* only a comment */;\n"
      "-- and the last line";
  auto stmts = db::SplitSqlStatements(script);
  ASSERT_EQ(stmts.size(), 2u);
  EXPECT_EQ(stmts[0].text, "SELECT 1");
  EXPECT_EQ(stmts[0].offset, script.find("SELECT 1"));
  EXPECT_EQ(stmts[1].text, "SELECT 2");
  EXPECT_EQ(stmts[1].offset, script.find("SELECT 2"));
}

TEST(SplitSqlStatementsTest, DollarQuotedBodiesAreOneStatement) {
  const std::string fn =
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$";
  const std::string tagged =
      "CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT ';' || $$x;$$ $body$";
  const std::string script = fn + ";\n" + tagged + ";\nSELECT $1::int;";
  auto stmts = db::SplitSqlStatements(script);
  ASSERT_EQ(stmts.size(), 3u);
  EXPECT_EQ(stmts[0].text, fn);
  EXPECT_EQ(stmts[0].offset, 0u);
  EXPECT_EQ(stmts[1].text, tagged);
  EXPECT_EQ(stmts[1].offset, fn.size() + 2);
  // $1 is a parameter, not a dollar quote.
  EXPECT_EQ(stmts[2].text, "SELECT $1::int");
  // A $ inside an identifier does not open a quote.
  EXPECT_EQ(Texts("SELECT a$b$c; SELECT 2"),
            (std::vector<std::string>{"SELECT a$b$c", "SELECT 2"}));
}

TEST(SplitSqlStatementsTest, EmptyStatementsAreOmitted) {
  EXPECT_TRUE(db::SplitSqlStatements("").empty());
  EXPECT_TRUE(db::SplitSqlStatements(" ;; \n ;\t").empty());
  EXPECT_TRUE(db::SplitSqlStatements("-- nothing\n/* here */").empty());
  EXPECT_EQ(Texts(";;SELECT 1;;;SELECT 2;;"), (std::vector<std::string>{"SELECT 1", "SELECT 2"}));
}

TEST(SplitSqlStatementsTest, UnterminatedQuoteOrCommentRunsToTheEnd) {
  EXPECT_EQ(Texts("SELECT 'abc; SELECT 2"), (std::vector<std::string>{"SELECT 'abc; SELECT 2"}));
  EXPECT_EQ(Texts("SELECT 1 /* open; SELECT 2"),
            (std::vector<std::string>{"SELECT 1 /* open; SELECT 2"}));
  EXPECT_EQ(Texts("SELECT $$ open; SELECT 2"),
            (std::vector<std::string>{"SELECT $$ open; SELECT 2"}));
}

// ---------------------------------------------------------------------------
// Value

TEST(ValueTest, KindsAndLenientConversions) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_EQ(Value().AsInt(), 0);
  EXPECT_EQ(Value().AsText(), "");
  EXPECT_EQ(Value().AsBytes(), "");
  EXPECT_TRUE(Value(7).is_int());
  EXPECT_TRUE(Value(int64_t{7}).is_int());
  EXPECT_TRUE(Value(2.5).is_double());
  EXPECT_TRUE(Value("x").is_text());
  EXPECT_TRUE(Value(std::string_view("x")).is_text());
  EXPECT_TRUE(Value(Bytes{"x"}).is_bytes());
  EXPECT_EQ(Value("42").AsInt(), 42);
  EXPECT_EQ(Value(int64_t{-5}).AsText(), "-5");
  EXPECT_EQ(Value(2.5).AsText(), "2.5");
  EXPECT_EQ(Value(2.5).AsInt(), 2);
  EXPECT_EQ(Value(3).AsDouble(), 3.0);
  EXPECT_EQ(Value("abc").AsBytes(), "abc");
  EXPECT_EQ(Value(Bytes{std::string("a\0b", 3)}).AsText(), std::string("a\0b", 3));
}

// ---------------------------------------------------------------------------
// Both backends

class DatabaseTest : public ConnectedBackendTest {
 protected:
  bool sqlite() const { return GetParam() == Backend::kSqlite; }
  int64_t Count(const std::string& table) {
    auto rows = conn_->Query("SELECT count(*) FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0][0].AsInt() : -1;
  }
};

#define SKIP_WITHOUT_DATABASE() \
  if (!tdb_) return

TEST_P(DatabaseTest, OpenedConnectionKnowsItsBackendAndUrl) {
  SKIP_WITHOUT_DATABASE();
  EXPECT_EQ(conn_->backend(), GetParam());
  EXPECT_EQ(conn_->url().backend, GetParam());
  EXPECT_FALSE(conn_->in_transaction());
}

TEST_P(DatabaseTest, BoundParametersOfEveryKindRoundTrip) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(conn_->Execute(
      sqlite()
          ? "CREATE TABLE v (k INTEGER, i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)"
          : "CREATE TABLE v (k BIGINT, i BIGINT, d DOUBLE PRECISION, s TEXT, b BYTEA, n TEXT)"));
  std::string all_bytes;
  for (int c = 0; c < 256; ++c) all_bytes.push_back(static_cast<char>(c));
  const std::string nul_bytes("\0\0a\0\xff\0", 6);
  const std::string text = "h\xc3\xa9llo 'quoted' ; \"dq\" \\ $1 \n tab\t";
  struct Case {
    int64_t i;
    double d;
    std::string s;
    std::string b;
  };
  const std::vector<Case> cases = {
      {std::numeric_limits<int64_t>::max(), 0.1, text, nul_bytes},
      {std::numeric_limits<int64_t>::min(), -2.5e300, "", all_bytes},
      {0, 1.0 / 3.0, "x", ""},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& c = cases[k];
    CAIRN_ASSERT_OK_AND_ASSIGN(
        int64_t affected,
        conn_->Execute("INSERT INTO v (k, i, d, s, b, n) VALUES ($1, $2, $3, $4, $5, $6)",
                       {Value(static_cast<int64_t>(k)), Value(c.i), Value(c.d), Value(c.s),
                        Value(Bytes{c.b}), Value()}));
    EXPECT_EQ(affected, 1);
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, conn_->Query("SELECT i, d, s, b, n FROM v ORDER BY k"));
  ASSERT_EQ(rows.size(), cases.size());
  for (size_t k = 0; k < cases.size(); ++k) {
    SCOPED_TRACE("case " + std::to_string(k));
    const Case& c = cases[k];
    const db::Row& r = rows[k];
    ASSERT_EQ(r.size(), 5u);
    EXPECT_TRUE(r[0].is_int());
    EXPECT_EQ(r[0].AsInt(), c.i);
    EXPECT_TRUE(r[1].is_double());
    EXPECT_EQ(r[1].AsDouble(), c.d);  // exact: doubles travel without loss
    EXPECT_TRUE(r[2].is_text());
    EXPECT_EQ(r[2].AsText(), c.s);
    EXPECT_TRUE(r[3].is_bytes());
    EXPECT_EQ(r[3].AsBytes(), c.b);
    EXPECT_TRUE(r[4].is_null());
  }
  // Bytes with NUL bytes work as a bound parameter in a comparison, too.
  CAIRN_ASSERT_OK_AND_ASSIGN(
      auto found, conn_->Query("SELECT k FROM v WHERE b = $1", {Value(Bytes{nul_bytes})}));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0][0].AsInt(), 0);
  // NULL parameters can be compared and stored anywhere.
  CAIRN_ASSERT_OK_AND_ASSIGN(int64_t nulled,
                             conn_->Execute("UPDATE v SET b = $1, s = $2 WHERE k >= $3",
                                            {Value(), Value(nullptr), Value(1)}));
  EXPECT_EQ(nulled, 2);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto nulls, conn_->Query("SELECT b, s FROM v WHERE b IS NULL"));
  ASSERT_EQ(nulls.size(), 2u);
  EXPECT_TRUE(nulls[0][0].is_null());
  EXPECT_TRUE(nulls[0][1].is_null());
}

TEST_P(DatabaseTest, ParametersBindByNumberInAnyOrder) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE p (a TEXT, b TEXT)"));
  CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO p (b, a) VALUES ($2, $1)", {"first", "second"}));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, conn_->Query("SELECT a, b FROM p"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].AsText(), "first");
  EXPECT_EQ(rows[0][1].AsText(), "second");
  // One parameter used twice.
  CAIRN_ASSERT_OK_AND_ASSIGN(
      auto same, conn_->Query("SELECT count(*) FROM p WHERE a = $1 OR b = $1", {"second"}));
  EXPECT_EQ(same[0][0].AsInt(), 1);
}

TEST_P(DatabaseTest, ForEachRowVisitsRowsInOrderUntilTold) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE f (n INTEGER)"));
  for (int i = 1; i <= 5; ++i) CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO f VALUES ($1)", {i}));
  std::vector<int64_t> seen;
  CAIRN_ASSERT_OK(conn_->ForEachRow("SELECT n FROM f WHERE n > $1 ORDER BY n", {Value(1)},
                                    [&](const db::Row& r) {
                                      seen.push_back(r[0].AsInt());
                                      return seen.size() < 3;
                                    }));
  EXPECT_EQ(seen, (std::vector<int64_t>{2, 3, 4}));
}

TEST_P(DatabaseTest, BadSqlIsInvalidArgumentAndDuplicateKeyIsAlreadyExists) {
  SKIP_WITHOUT_DATABASE();
  EXPECT_EQ(conn_->Execute("SELEC 1").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(conn_->Query("SELECT * FROM no_such_table").status().code(),
            StatusCode::kInvalidArgument);
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE u (id INTEGER PRIMARY KEY)"));
  CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO u VALUES (1)"));
  auto dup = conn_->Execute("INSERT INTO u VALUES (1)");
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists) << dup.status().ToString();
}

// Callers (the Yapper bridge) tell a violated constraint from other
// statement errors by its kind, not by the driver's wording.
TEST_P(DatabaseTest, EveryViolatedConstraintHasTheConstraintKindAndNothingElseHas) {
  SKIP_WITHOUT_DATABASE();
  if (GetParam() == db::Backend::kSqlite)
    CAIRN_ASSERT_OK(conn_->Execute("PRAGMA foreign_keys = ON"));  // off by default
  CAIRN_ASSERT_OK(
      conn_->Execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, "
                     "n INTEGER CHECK (n > 0))"));
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE child (p INTEGER REFERENCES parent (id))"));
  CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO parent VALUES (1, 'a', 1)"));
  const char* violations[] = {
      "INSERT INTO parent VALUES (1, 'b', 1)",   // primary key
      "INSERT INTO parent VALUES (2, 'a', 1)",   // unique
      "INSERT INTO parent VALUES (3, NULL, 1)",  // not null
      "INSERT INTO parent VALUES (4, 'd', 0)",   // check
      "INSERT INTO child VALUES (99)",           // foreign key
  };
  for (const char* sql : violations) {
    Status s = conn_->Execute(sql).status();
    EXPECT_EQ(s.kind().name(), db::kConstraintViolation.name()) << sql << ": " << s.ToString();
  }
  EXPECT_TRUE(conn_->Execute("SELEC 1").status().kind().none());
  EXPECT_TRUE(conn_->Execute("INSERT INTO parent VALUES ('x', 'e', 1)").status().kind().none());
}

TEST_P(DatabaseTest, QuotedIdentifiersSurviveQuotesAndKeywords) {
  SKIP_WITHOUT_DATABASE();
  const std::string table = db::QuoteIdentifier("we\"ird table");
  const std::string column = db::QuoteIdentifier("select");
  EXPECT_EQ(table, "\"we\"\"ird table\"");
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE " + table + " (" + column + " INTEGER)"));
  CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO " + table + " VALUES ($1)", {Value(7)}));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, conn_->Query("SELECT " + column + " FROM " + table));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].AsInt(), 7);
}

TEST_P(DatabaseTest, TransactionRollsBackInDestructorUnlessCommitted) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE t (id INTEGER)"));
  auto observer = tdb_->Connect();
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    EXPECT_TRUE(conn_->in_transaction());
    EXPECT_TRUE(tx->open());
    CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO t VALUES (1)"));
    EXPECT_EQ(Count("t"), 1);  // visible inside
    // Only one transaction at a time.
    EXPECT_EQ(conn_->Begin().status().code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_EQ(Count("t"), 0);

  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO t VALUES (2)"));
    // Not visible to another session before commit.
    CAIRN_ASSERT_OK_AND_ASSIGN(auto before, observer->Query("SELECT count(*) FROM t"));
    EXPECT_EQ(before[0][0].AsInt(), 0);
    CAIRN_ASSERT_OK(tx->Commit());
    EXPECT_FALSE(tx->open());
    EXPECT_EQ(tx->Commit().code(), StatusCode::kFailedPrecondition);
    CAIRN_EXPECT_OK(tx->Rollback());  // no-op after commit
  }
  EXPECT_FALSE(conn_->in_transaction());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto after, observer->Query("SELECT id FROM t"));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0][0].AsInt(), 2);

  // An explicit rollback, then the connection is usable again.
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK(conn_->Execute("DELETE FROM t"));
    CAIRN_ASSERT_OK(tx->Rollback());
    EXPECT_FALSE(tx->open());
  }
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(DatabaseTest, FailedStatementInTransactionStillRollsBackCleanly) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE t (id INTEGER PRIMARY KEY)"));
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO t VALUES (1)"));
    EXPECT_FALSE(conn_->Execute("INSERT INTO t VALUES (1)").ok());
  }
  EXPECT_FALSE(conn_->in_transaction());
  EXPECT_EQ(Count("t"), 0);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO t VALUES (1)"));
  CAIRN_ASSERT_OK(tx->Commit());
  EXPECT_EQ(Count("t"), 1);
}

TEST_P(DatabaseTest, ExecuteScriptRunsEveryStatement) {
  SKIP_WITHOUT_DATABASE();
  const std::string script =
      "-- set up\n"
      "CREATE TABLE s (a INTEGER PRIMARY KEY, b TEXT);\n"
      "INSERT INTO s VALUES (1, 'x;y');\n"
      "/* two */ INSERT INTO s VALUES (2, 'it''s');\n"
      ";\n";
  int64_t executed = -1;
  db::ScriptFailure failure;
  CAIRN_ASSERT_OK(conn_->ExecuteScript(script, &executed, &failure));
  EXPECT_EQ(executed, 3);
  EXPECT_EQ(Count("s"), 2);
  // Null out-parameters are allowed; an empty script does nothing.
  CAIRN_ASSERT_OK(conn_->ExecuteScript("", nullptr, nullptr));
  CAIRN_ASSERT_OK(conn_->ExecuteScript("-- only a comment\n", &executed, nullptr));
  EXPECT_EQ(executed, 0);
}

TEST_P(DatabaseTest, ExecuteScriptStopsAtFirstFailingStatement) {
  SKIP_WITHOUT_DATABASE();
  const std::string script =
      "CREATE TABLE s (a INTEGER PRIMARY KEY);\n"
      "-- a comment; with a semicolon\n"
      "INSERT INTO s VALUES (1);\n"
      "/* again */ INSERT INTO s VALUES (1);\n"
      "INSERT INTO s VALUES (3);\n";
  int64_t executed = -1;
  db::ScriptFailure failure;
  Status s = conn_->ExecuteScript(script, &executed, &failure);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_EQ(executed, 2);
  EXPECT_EQ(failure.statement_index, 2u);
  EXPECT_EQ(failure.offset, script.find("INSERT INTO s VALUES (1);\nINSERT"));
  EXPECT_EQ(failure.statement, "INSERT INTO s VALUES (1)");
  EXPECT_FALSE(failure.message.empty());
  EXPECT_EQ(failure.message.find('\n'), std::string::npos) << "first line only";
  // Statements after the failure did not run.
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, conn_->Query("SELECT a FROM s"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].AsInt(), 1);
}

TEST_P(DatabaseTest, ExecuteScriptReportsStatementThatDoesNotCompile) {
  SKIP_WITHOUT_DATABASE();
  const std::string bad = "INSERT INTO no_such_table VALUES ('a;b', $$c;d$$)";
  const std::string fixed_bad = sqlite() ? "INSERT INTO no_such_table VALUES ('a;b', 'c;d')" : bad;
  const std::string script = "CREATE TABLE s (a INTEGER);\n  " + fixed_bad + ";\nSELECT 1;";
  int64_t executed = -1;
  db::ScriptFailure failure;
  Status s = conn_->ExecuteScript(script, &executed, &failure);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_EQ(executed, 1);
  EXPECT_EQ(failure.statement_index, 1u);
  EXPECT_EQ(failure.offset, script.find("INSERT"));
  EXPECT_EQ(failure.statement, fixed_bad);
  EXPECT_NE(failure.message.find("no_such_table"), std::string::npos) << failure.message;
}

TEST_P(DatabaseTest, ExecuteScriptInsideTransactionRollsBackWithIt) {
  SKIP_WITHOUT_DATABASE();
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK(conn_->ExecuteScript(
        "CREATE TABLE s (a INTEGER); INSERT INTO s VALUES (1); INSERT INTO s VALUES (2);", nullptr,
        nullptr));
    EXPECT_EQ(Count("s"), 2);
  }
  EXPECT_FALSE(conn_->Query("SELECT count(*) FROM s").ok()) << "the table was rolled back";
}

// Inside a transaction PostgreSQL receives the whole script in one round
// trip; the failing statement must still be named exactly, whether it fails
// while running (found by replaying behind a savepoint) or the server refuses
// the whole string while parsing (found from its LINE context).
TEST_P(DatabaseTest, ExecuteScriptInsideTransactionNamesTheFailingStatement) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE s (a INTEGER PRIMARY KEY)"));
  const std::string runtime =
      "INSERT INTO s VALUES (1);\n"
      "INSERT INTO s VALUES (2); INSERT INTO s VALUES (1);\n"
      "INSERT INTO s VALUES (4);\n";
  const std::string syntax =
      "INSERT INTO s VALUES (1);\n"
      "-- a comment\n"
      "INSERT INTO s VALUES (2); INSERT INTO s VALUES (3) oops;\n"
      "INSERT INTO s VALUES (4);\n";
  for (const bool parse_error : {false, true}) {
    const std::string& script = parse_error ? syntax : runtime;
    SCOPED_TRACE(script);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    int64_t executed = -1;
    db::ScriptFailure failure;
    Status s = conn_->ExecuteScript(script, &executed, &failure);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(executed, 2);
    EXPECT_EQ(failure.statement_index, 2u);
    const std::string text =
        parse_error ? "INSERT INTO s VALUES (3) oops" : "INSERT INTO s VALUES (1)";
    EXPECT_EQ(failure.statement, text);
    EXPECT_EQ(failure.offset, script.find(text, script.find('\n')));
    EXPECT_FALSE(failure.message.empty());
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  int64_t executed = -1;
  CAIRN_ASSERT_OK(conn_->ExecuteScript("INSERT INTO s VALUES (7);\n-- c\nINSERT INTO s VALUES (8)",
                                       &executed, nullptr));
  EXPECT_EQ(executed, 2);
  CAIRN_ASSERT_OK(tx->Commit());
  EXPECT_EQ(Count("s"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest,
                         ::testing::Values(Backend::kSqlite, Backend::kPostgres), BackendParamName);

// ---------------------------------------------------------------------------
// Open errors

TEST(SqliteScriptTest, FailingTriggerDefinitionIsReportedWhole) {
  // SQLite compiles a CREATE TRIGGER with the ';'s of its body as one statement.
  TempDir dir;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto url, ParseDatabaseUrl("sqlite:" + dir.File("t.db")));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto conn, db::Connection::Open(url));
  const std::string trigger =
      "CREATE TRIGGER tr AFTER INSERT ON no_such_table BEGIN SELECT 1; SELECT 2; END";
  const std::string script = "CREATE TABLE a (x INTEGER);\n" + trigger + ";\nSELECT 3;";
  int64_t executed = -1;
  db::ScriptFailure failure;
  Status s = conn->ExecuteScript(script, &executed, &failure);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(executed, 1);
  EXPECT_EQ(failure.statement_index, 1u);
  EXPECT_EQ(failure.offset, script.find("CREATE TRIGGER"));
  EXPECT_EQ(failure.statement, trigger);
}

TEST(OpenTest, UnreachablePostgresIsUnavailable) {
  CAIRN_ASSERT_OK_AND_ASSIGN(
      auto url,
      ParseDatabaseUrl("postgresql://postgres:hunter2@127.0.0.1:1/postgres?connect_timeout=5"));
  auto conn = db::Connection::Open(url);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kUnavailable) << conn.status().ToString();
  const std::string& msg = conn.status().message();
  EXPECT_NE(msg.find("postgresql://postgres:***@127.0.0.1:1/postgres"), std::string::npos) << msg;
  EXPECT_EQ(msg.find("hunter2"), std::string::npos) << msg;
}

TEST(OpenTest, SqliteFileThatIsNotADatabaseIsAnErrorAndIsLeftAlone) {
  TempDir dir;
  const std::string path = dir.File("notes.db");
  std::string contents;
  for (int i = 0; i < 200; ++i) contents += "these are notes, not a database\n";
  WriteFile(path, contents);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto url, ParseDatabaseUrl("sqlite:" + path));
  auto conn = db::Connection::Open(url);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kDataLoss) << conn.status().ToString();
  EXPECT_NE(conn.status().message().find(path), std::string::npos) << conn.status().message();
  EXPECT_EQ(ReadFileOrDie(path), contents);
}

TEST(OpenTest, SqliteInMissingDirectoryIsUnavailable) {
  TempDir dir;
  const std::string path = dir.File("no/such/dir/campus.db");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto url, ParseDatabaseUrl("sqlite:" + path));
  auto conn = db::Connection::Open(url);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kUnavailable) << conn.status().ToString();
  EXPECT_NE(conn.status().message().find(path), std::string::npos);
}

TEST(OpenTest, SqliteCreatesMissingFileAndInMemoryWorks) {
  TempDir dir;
  const std::string path = dir.File("new.db");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto url, ParseDatabaseUrl("sqlite:" + path));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto conn, db::Connection::Open(url));
  CAIRN_ASSERT_OK(conn->Execute("CREATE TABLE t (a INTEGER)"));
  EXPECT_FALSE(ReadFileOrDie(path).empty());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto mem_url, ParseDatabaseUrl("sqlite::memory:"));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto mem, db::Connection::Open(mem_url));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, mem->Query("SELECT 40 + $1", {Value(2)}));
  EXPECT_EQ(rows[0][0].AsInt(), 42);
}

// The session settings made at connect time (one round trip): the
// application name from the options, percent-encoded into the URL unless
// the URL names its own, and client_min_messages.
TEST(PostgresSessionTest, ApplicationNameAndSettingsAreInPlace) {
  auto tdb = TestDatabase::Create(Backend::kPostgres);
  if (!tdb) return;
  auto url = ParseDatabaseUrl(tdb->url());
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  db::OpenOptions options;
  options.application_name = "cairn test/1 & x=y%";
  auto conn = db::Connection::Open(*url, options);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto rows = (*conn)->Query(
      "SELECT current_setting('application_name'), current_setting('client_min_messages')");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0].AsText(), "cairn test/1 & x=y%");
  EXPECT_EQ((*rows)[0][1].AsText(), "warning");

  const std::string own = tdb->url() + (tdb->url().find('?') == std::string::npos ? "?" : "&") +
                          "application_name=mine";
  auto own_url = ParseDatabaseUrl(own);
  ASSERT_TRUE(own_url.ok()) << own_url.status().ToString();
  auto conn2 = db::Connection::Open(*own_url, options);
  ASSERT_TRUE(conn2.ok()) << conn2.status().ToString();
  rows = (*conn2)->Query("SELECT current_setting('application_name')");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0].AsText(), "mine");
}

}  // namespace
}  // namespace cairn::testing

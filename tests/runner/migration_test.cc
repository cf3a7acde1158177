// Unit tests of migration files: parsing, canonical checksums, discovery in a
// directory and creating new files. Real files in a temp dir; no database.
#include "cairn/runner/migration.h"

#include <gmock/gmock.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using runner::CanonicalChecksum;
using runner::CreateMigrationFile;
using runner::LoadMigrations;
using runner::Migration;
using runner::ParseMigration;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kPath = "migrations/0007_add_submissions_created_at.sql";
constexpr const char* kFile = "0007_add_submissions_created_at.sql";

StatusOr<Migration> Parse(const std::string& text) { return ParseMigration(kPath, kFile, text); }

// The message of a parse that must fail.
std::string ParseError(const std::string& text) {
  auto m = Parse(text);
  EXPECT_FALSE(m.ok()) << "parsed without error:\n" << text;
  if (m.ok()) return "";
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  return m.status().message();
}

// ---- ParseMigration --------------------------------------------------------

TEST(RunnerMigrationParseTest, SplitsSectionsAndRecordsTheirFirstLines) {
  const std::string text =
      "-- Adds created_at to submissions.\n"                   // 1
      "-- Written for the campus example.\n"                   // 2
      "\n"                                                     // 3
      "-- cairn:up\n"                                          // 4
      "ALTER TABLE submissions ADD COLUMN created_at TEXT;\n"  // 5
      "UPDATE submissions SET created_at = 'now';\n"           // 6
      "\n"                                                     // 7
      "-- cairn:down\n"                                        // 8
      "ALTER TABLE submissions DROP COLUMN created_at;\n";     // 9
  auto m = Parse(text);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, "0007");
  EXPECT_EQ(m->name, "add_submissions_created_at");
  EXPECT_EQ(m->description, "add submissions created at");
  EXPECT_EQ(m->file, kFile);
  EXPECT_EQ(m->path, kPath);
  EXPECT_EQ(m->up.first_line, 5);
  EXPECT_EQ(m->up.sql,
            "ALTER TABLE submissions ADD COLUMN created_at TEXT;\n"
            "UPDATE submissions SET created_at = 'now';\n"
            "\n");
  ASSERT_TRUE(m->down.has_value());
  EXPECT_EQ(m->down->first_line, 9);
  EXPECT_EQ(m->down->sql, "ALTER TABLE submissions DROP COLUMN created_at;\n");
  EXPECT_EQ(m->checksum, CanonicalChecksum(text));
  EXPECT_THAT(m->checksum, StartsWith("sha256:"));
  EXPECT_EQ(m->checksum.size(), 7u + 64u);
}

TEST(RunnerMigrationParseTest, DownSectionIsOptional) {
  auto m = Parse("-- cairn:up\nCREATE TABLE t (id INTEGER);\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->up.first_line, 2);
  EXPECT_FALSE(m->down.has_value());
}

TEST(RunnerMigrationParseTest, CrlfAndCrFilesParseToTheSameSectionsAndLines) {
  const std::string lf =
      "-- c\n-- cairn:up\nCREATE TABLE t (id INTEGER);\n-- cairn:down\nDROP TABLE t;\n";
  std::string crlf, cr;
  for (char c : lf) {
    crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    cr += c == '\n' ? '\r' : c;
  }
  for (const std::string& text : {lf, crlf, cr}) {
    auto m = Parse(text);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ(m->up.sql, "CREATE TABLE t (id INTEGER);\n");
    EXPECT_EQ(m->up.first_line, 3);
    ASSERT_TRUE(m->down.has_value());
    EXPECT_EQ(m->down->sql, "DROP TABLE t;\n");
    EXPECT_EQ(m->down->first_line, 5);
  }
}

TEST(RunnerMigrationParseTest, DescriptionKeepsHyphensAndReplacesUnderscores) {
  auto m = ParseMigration("d/12_fix-users_email.sql", "12_fix-users_email.sql",
                          "-- cairn:up\nSELECT 1;\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, "12");
  EXPECT_EQ(m->name, "fix-users_email");
  EXPECT_EQ(m->description, "fix-users email");
}

// ---- CanonicalChecksum -----------------------------------------------------

TEST(RunnerMigrationChecksumTest, IgnoresLineEndingsTrailingWhitespaceAndTrailingBlankLines) {
  const std::string base =
      "-- cairn:up\nCREATE TABLE t (id INTEGER);\n-- cairn:down\nDROP TABLE t;\n";
  const std::string sum = CanonicalChecksum(base);
  const std::vector<std::string> same = {
      "-- cairn:up\r\nCREATE TABLE t (id INTEGER);\r\n-- cairn:down\r\nDROP TABLE t;\r\n",
      "-- cairn:up\rCREATE TABLE t (id INTEGER);\r-- cairn:down\rDROP TABLE t;\r",
      "-- cairn:up  \nCREATE TABLE t (id INTEGER);\t \n-- cairn:down\nDROP TABLE t;   \n",
      base + "\n\n   \n\t\n",
      "-- cairn:up\nCREATE TABLE t (id INTEGER);\n-- cairn:down\nDROP TABLE t;",  // no final
                                                                                  // newline
      "-- cairn:up\r\nCREATE TABLE t (id INTEGER);  \r\n-- cairn:down\nDROP TABLE t;\r\r\n\r\n",
  };
  for (const std::string& s : same) EXPECT_EQ(CanonicalChecksum(s), sum) << s;
}

TEST(RunnerMigrationChecksumTest, ChangesWhenTheSqlChanges) {
  const std::string base =
      "-- cairn:up\nCREATE TABLE t (id INTEGER);\n-- cairn:down\nDROP TABLE t;\n";
  const std::string sum = CanonicalChecksum(base);
  const std::vector<std::string> different = {
      "-- cairn:up\nCREATE TABLE t (id BIGINT);\n-- cairn:down\nDROP TABLE t;\n",
      "-- cairn:up\nCREATE TABLE  t (id INTEGER);\n-- cairn:down\nDROP TABLE t;\n",   // inner space
      "-- cairn:up\n  CREATE TABLE t (id INTEGER);\n-- cairn:down\nDROP TABLE t;\n",  // indent
      "-- cairn:up\nCREATE TABLE t (id INTEGER);\n-- cairn:down\nDROP TABLE t;\nSELECT 1;\n",
      "\n" + base,  // a leading blank line moves every line number
      "-- cairn:up\nCREATE TABLE t (id INTEGER);\n\n-- cairn:down\nDROP TABLE t;\n",
  };
  std::set<std::string> seen = {sum};
  for (const std::string& s : different) {
    std::string c = CanonicalChecksum(s);
    EXPECT_NE(c, sum) << s;
    EXPECT_TRUE(seen.insert(c).second) << "two different texts with one checksum: " << s;
  }
}

// ---- parse errors ----------------------------------------------------------

TEST(RunnerMigrationParseTest, MissingUpSectionIsAnErrorNamingTheFile) {
  std::string e = ParseError("-- only a comment\n\n-- and another\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ": "));
  EXPECT_THAT(e, HasSubstr("missing '-- cairn:up' section"));
  EXPECT_THAT(ParseError(""), HasSubstr("missing '-- cairn:up' section"));
}

TEST(RunnerMigrationParseTest, UnknownDirectiveNamesFileLineAndDirective) {
  std::string e = ParseError("-- header\n\n-- cairn:upp\nCREATE TABLE t (id INTEGER);\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":3: "));
  EXPECT_THAT(e, HasSubstr("unknown directive 'cairn:upp'"));
  e = ParseError("-- cairn:up\nSELECT 1;\n-- cairn:rollback\nSELECT 2;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":3: "));
  EXPECT_THAT(e, HasSubstr("'cairn:rollback'"));
}

TEST(RunnerMigrationParseTest, DownBeforeUpIsAnError) {
  std::string e =
      ParseError("-- x\n-- cairn:down\nDROP TABLE t;\n-- cairn:up\nCREATE TABLE t (id INTEGER);\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":2: "));
  EXPECT_THAT(e, HasSubstr("'-- cairn:down' before '-- cairn:up'"));
}

TEST(RunnerMigrationParseTest, SecondUpOrSecondDownIsAnError) {
  std::string e = ParseError("-- cairn:up\nSELECT 1;\n\n-- cairn:up\nSELECT 2;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":4: "));
  EXPECT_THAT(e, HasSubstr("second '-- cairn:up'"));
  // An up after the down section is a second up too.
  e = ParseError("-- cairn:up\nSELECT 1;\n-- cairn:down\nSELECT 2;\n-- cairn:up\nSELECT 3;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":5: "));
  EXPECT_THAT(e, HasSubstr("second '-- cairn:up'"));
  e = ParseError("-- cairn:up\nSELECT 1;\n-- cairn:down\nSELECT 2;\n-- cairn:down\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":5: "));
  EXPECT_THAT(e, HasSubstr("second '-- cairn:down'"));
}

TEST(RunnerMigrationParseTest, SqlBeforeUpIsAnErrorAtItsLine) {
  std::string e =
      ParseError("-- comment\n\nCREATE TABLE t (id INTEGER);\n-- cairn:up\nSELECT 1;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":3: "));
  EXPECT_THAT(e, HasSubstr("SQL before '-- cairn:up'"));
}

TEST(RunnerMigrationParseTest, EmptyUpSectionIsAnErrorAtTheDirective) {
  std::string e =
      ParseError("-- x\n-- cairn:up\n\n   \n-- just a comment\n-- cairn:down\nDROP TABLE t;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":2: "));
  EXPECT_THAT(e, HasSubstr("the up section has no SQL"));
  e = ParseError("-- cairn:up\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":1: "));
}

TEST(RunnerMigrationParseTest, LineNumbersCountCrlfAndCrLinesOnce) {
  // Errors name the same line whatever the line endings.
  for (const std::string eol : {"\n", "\r\n", "\r"}) {
    std::string e = ParseError("-- a" + eol + "-- b" + eol + "-- cairn:up" + eol + "SELECT 1;" +
                               eol + "-- cairn:upp" + eol);
    EXPECT_THAT(e, StartsWith(std::string(kPath) + ":5: ")) << "eol " << eol.size();
  }
}

TEST(RunnerMigrationParseTest, BadFileNamesAreRejected) {
  const std::vector<std::string> bad = {
      "foo.sql",        "0001.sql",       "0001_.sql",    "_users.sql",
      "0001-users.sql", "0001_a b.sql",   "0001_a.b.sql", "x0001_a.sql",
      "0001_users.txt", "0001_users.SQL", ".sql",         "0001_é.sql",
  };
  for (const std::string& name : bad) {
    auto m = ParseMigration("dir/" + name, name, "-- cairn:up\nSELECT 1;\n");
    ASSERT_FALSE(m.ok()) << name;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(m.status().message(), StartsWith("dir/" + name + ": ")) << name;
    EXPECT_THAT(m.status().message(), HasSubstr("NNNN_name.sql")) << name;
  }
  for (const std::string name : {"1_a.sql", "0001_users.sql", "20240101120000_add-x_Y2.sql"}) {
    auto m = ParseMigration("dir/" + name, name, "-- cairn:up\nSELECT 1;\n");
    EXPECT_TRUE(m.ok()) << name << ": " << m.status().ToString();
  }
}

TEST(RunnerMigrationParseTest, TransactionControlStatementsAreRefusedAtTheirLine) {
  std::string e = ParseError("-- cairn:up\nCREATE TABLE t (id INTEGER);\n\ncommit;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":4: "));
  EXPECT_THAT(e, HasSubstr("transaction control statement 'COMMIT'"));
  e = ParseError("-- cairn:up\nBEGIN;\nCREATE TABLE t (id INTEGER);\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":2: "));
  e = ParseError("-- cairn:up\nSTART TRANSACTION;\nCREATE TABLE t (id INTEGER);\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":2: "));
  e = ParseError("-- cairn:up\nCREATE TABLE t (id INTEGER);\nEND;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":3: "));
  e = ParseError("-- cairn:up\nSELECT 1;\n-- cairn:down\nDROP TABLE t;\n  /* undo */ ROLLBACK;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":5: "));
  EXPECT_THAT(e, HasSubstr("'ROLLBACK'"));
}

TEST(RunnerMigrationParseTest, BlockBodiesSavepointsAndQuotedKeywordsAreNotTransactionControl) {
  // A SQLite trigger: its body's statements and the closing END.
  const std::string trigger =
      "-- cairn:up\n"
      "CREATE TABLE audit (msg TEXT);\n"
      "CREATE TRIGGER items_audit AFTER INSERT ON items\n"
      "BEGIN\n"
      "  INSERT INTO audit (msg) VALUES ('inserted; begin');\n"
      "  UPDATE audit SET msg = 'x' WHERE msg = 'commit';\n"
      "END;\n"
      "INSERT INTO audit (msg) VALUES ('COMMIT');\n"
      "-- cairn:down\n"
      "DROP TRIGGER items_audit;\n";
  auto m = Parse(trigger);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  // After the block, transaction control is caught again.
  std::string e = ParseError(trigger.substr(0, trigger.find("-- cairn:down")) + "COMMIT;\n");
  EXPECT_THAT(e, StartsWith(std::string(kPath) + ":9: "));

  // PostgreSQL: a BEGIN ATOMIC function body and a PL/pgSQL body in dollar quotes.
  m = Parse(
      "-- cairn:up\n"
      "CREATE FUNCTION one() RETURNS integer LANGUAGE sql\n"
      "BEGIN ATOMIC\n"
      "  SELECT 1;\n"
      "END;\n"
      "DO $$ BEGIN PERFORM 1; END $$;\n"
      "CREATE FUNCTION two() RETURNS integer AS $body$ BEGIN RETURN 2; END; $body$ "
      "LANGUAGE plpgsql;\n");
  EXPECT_TRUE(m.ok()) << m.status().ToString();

  // Savepoints stay inside the migration's transaction.
  m = Parse(
      "-- cairn:up\n"
      "SAVEPOINT a;\n"
      "CREATE TABLE t (id INTEGER);\n"
      "ROLLBACK TO SAVEPOINT a;\n"
      "ROLLBACK TO a;\n"
      "RELEASE a;\n"
      "CREATE TABLE begin_at (commit_id INTEGER, \"end\" TEXT);\n");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
}

// ---- LoadMigrations --------------------------------------------------------

std::string Up(const std::string& sql) {
  return "-- cairn:up\n" + sql + "\n-- cairn:down\nSELECT 0;\n";
}

TEST(RunnerMigrationLoadTest, SortsByNumberNotByName) {
  TempDir dir;
  WriteFile(dir.File("10_y.sql"), Up("SELECT 10;"));
  WriteFile(dir.File("9_x.sql"), Up("SELECT 9;"));
  WriteFile(dir.File("0002_b.sql"), Up("SELECT 2;"));
  WriteFile(dir.File("100_z.sql"), Up("SELECT 100;"));
  WriteFile(dir.File("011_w.sql"), Up("SELECT 11;"));
  auto ms = LoadMigrations(dir.path());
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  std::vector<std::string> ids;
  for (const auto& m : *ms) ids.push_back(m.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"0002", "9", "10", "011", "100"}));
  EXPECT_EQ((*ms)[1].file, "9_x.sql");
  EXPECT_EQ((*ms)[1].path, dir.File("9_x.sql"));
  EXPECT_EQ((*ms)[1].up.sql, "SELECT 9;\n");
}

TEST(RunnerMigrationLoadTest, DuplicateNumbersAreRejectedNamingBothFiles) {
  TempDir dir;
  WriteFile(dir.File("001_a.sql"), Up("SELECT 1;"));
  WriteFile(dir.File("1_b.sql"), Up("SELECT 1;"));
  WriteFile(dir.File("0002_c.sql"), Up("SELECT 2;"));
  auto ms = LoadMigrations(dir.path());
  ASSERT_FALSE(ms.ok());
  EXPECT_EQ(ms.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ms.status().message(), HasSubstr("001_a.sql"));
  EXPECT_THAT(ms.status().message(), HasSubstr("1_b.sql"));
  EXPECT_THAT(ms.status().message(), HasSubstr("duplicate migration number"));
}

TEST(RunnerMigrationLoadTest, IgnoresFilesThatAreNotSql) {
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), Up("SELECT 1;"));
  WriteFile(dir.File("README.md"), "# not a migration\n");
  WriteFile(dir.File("0002_b.sql.bak"), "garbage\n");
  WriteFile(dir.File("notes.txt"), "garbage\n");
  WriteFile(dir.File(".0003_hidden.sql"), "garbage\n");
  WriteFile(dir.File("0004_c.sql~"), "garbage\n");
  std::filesystem::create_directory(dir.File("0005_subdir.sql"));
  WriteFile(dir.File("0005_subdir.sql/0006_nested.sql"), "garbage\n");
  auto ms = LoadMigrations(dir.path());
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  ASSERT_EQ(ms->size(), 1u);
  EXPECT_EQ((*ms)[0].file, "0001_a.sql");
}

TEST(RunnerMigrationLoadTest, BadSqlFileNameOrContentFailsTheWholeLoad) {
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), Up("SELECT 1;"));
  WriteFile(dir.File("add_users.sql"), Up("SELECT 1;"));
  auto ms = LoadMigrations(dir.path());
  ASSERT_FALSE(ms.ok());
  EXPECT_THAT(ms.status().message(), StartsWith(dir.File("add_users.sql") + ": "));

  TempDir dir2;
  WriteFile(dir2.File("0001_a.sql"), Up("SELECT 1;"));
  WriteFile(dir2.File("0002_b.sql"), "-- cairn:up\nSELECT 1;\n-- cairn:upp\n");
  ms = LoadMigrations(dir2.path());
  ASSERT_FALSE(ms.ok());
  EXPECT_THAT(ms.status().message(), StartsWith(dir2.File("0002_b.sql") + ":3: "));
}

TEST(RunnerMigrationLoadTest, EmptyDirectoryLoadsNothing) {
  TempDir dir;
  auto ms = LoadMigrations(dir.path());
  ASSERT_TRUE(ms.ok()) << ms.status().ToString();
  EXPECT_TRUE(ms->empty());
}

TEST(RunnerMigrationLoadTest, MissingOrUnreadableDirectoryIsAnErrorNamingIt) {
  TempDir dir;
  const std::string missing = dir.File("no-such-dir");
  auto ms = LoadMigrations(missing);
  ASSERT_FALSE(ms.ok());
  EXPECT_EQ(ms.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ms.status().message(), HasSubstr("'" + missing + "'"));
  EXPECT_THAT(ms.status().message(), HasSubstr("No such file or directory"));

  const std::string file = dir.File("a-file");
  WriteFile(file, "x");
  ms = LoadMigrations(file);
  ASSERT_FALSE(ms.ok());
  EXPECT_THAT(ms.status().message(), HasSubstr("'" + file + "'"));
  EXPECT_THAT(ms.status().message(), HasSubstr("Not a directory"));

  if (geteuid() != 0) {  // permissions do not apply to root
    const std::string locked = dir.File("locked");
    ASSERT_EQ(mkdir(locked.c_str(), 0000), 0);
    ms = LoadMigrations(locked);
    chmod(locked.c_str(), 0700);  // so TempDir can remove it
    ASSERT_FALSE(ms.ok());
    EXPECT_THAT(ms.status().message(), HasSubstr("'" + locked + "'"));
    EXPECT_THAT(ms.status().message(), HasSubstr("Permission denied"));
  }
}

// ---- CreateMigrationFile ---------------------------------------------------

TEST(RunnerMigrationCreateTest, FirstFileInAMissingDirectoryIs0001WithBothSections) {
  TempDir dir;
  const std::string d = dir.File("migrations");
  auto path = CreateMigrationFile(d, "Add Users");
  ASSERT_TRUE(path.ok()) << path.status().ToString();
  EXPECT_EQ(*path, d + "/0001_add_users.sql");
  std::string text = ReadFileOrDie(*path);
  EXPECT_THAT(text, HasSubstr("-- cairn:up\n"));
  EXPECT_THAT(text, HasSubstr("-- cairn:down\n"));
  // The new file parses as far as its sections go: only the empty up section
  // is left to fill in.
  auto m = ParseMigration(*path, "0001_add_users.sql", text);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("the up section has no SQL"));
  auto filled = ParseMigration(*path, "0001_add_users.sql",
                               text.substr(0, text.find("-- cairn:down")) +
                                   "CREATE TABLE users (id INTEGER);\n" +
                                   text.substr(text.find("-- cairn:down")));
  ASSERT_TRUE(filled.ok()) << filled.status().ToString();
  EXPECT_TRUE(filled->down.has_value());
}

TEST(RunnerMigrationCreateTest, NumbersOnePastTheHighestAndTwiceInARow) {
  TempDir dir;
  WriteFile(dir.File("0001_a.sql"), Up("SELECT 1;"));
  WriteFile(dir.File("0009_b.sql"), Up("SELECT 9;"));
  WriteFile(dir.File("0010_c.sql"), Up("SELECT 10;"));
  WriteFile(dir.File("0099_notes.txt"), "not a migration");
  auto p1 = CreateMigrationFile(dir.path(), "first");
  ASSERT_TRUE(p1.ok()) << p1.status().ToString();
  EXPECT_EQ(*p1, dir.File("0011_first.sql"));
  // The file just made has an empty up section; the next one still works.
  auto p2 = CreateMigrationFile(dir.path(), "second");
  ASSERT_TRUE(p2.ok()) << p2.status().ToString();
  EXPECT_EQ(*p2, dir.File("0012_second.sql"));
  auto p3 = CreateMigrationFile(dir.path(), "first");  // same name again: a new number
  ASSERT_TRUE(p3.ok()) << p3.status().ToString();
  EXPECT_EQ(*p3, dir.File("0013_first.sql"));
}

TEST(RunnerMigrationCreateTest, PadsLikeTheExistingFiles) {
  TempDir three;
  WriteFile(three.File("001_init.sql"), Up("SELECT 1;"));
  WriteFile(three.File("002_users.sql"), Up("SELECT 2;"));
  auto p = CreateMigrationFile(three.path(), "next");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, three.File("003_next.sql"));

  TempDir six;
  WriteFile(six.File("000041_x.sql"), Up("SELECT 1;"));
  p = CreateMigrationFile(six.path(), "next");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, six.File("000042_next.sql"));

  TempDir grows;  // the number outgrows the padding
  WriteFile(grows.File("9999_x.sql"), Up("SELECT 1;"));
  p = CreateMigrationFile(grows.path(), "next");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, grows.File("10000_next.sql"));
}

TEST(RunnerMigrationCreateTest, RejectsBadNames) {
  TempDir dir;
  for (const std::string bad :
       {"", "add/users", "../escape", "a.b", "semi;colon", "tab\there", "quote'", "naïve"}) {
    auto p = CreateMigrationFile(dir.path(), bad);
    ASSERT_FALSE(p.ok()) << "'" << bad << "'";
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  auto p = CreateMigrationFile(dir.path(), "with-dash_and_Digits9");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, dir.File("0001_with-dash_and_digits9.sql"));
}

TEST(RunnerMigrationCreateTest, NeverOverwritesAnExistingFile) {
  TempDir dir;
  const std::string keep = "-- cairn:up\nCREATE TABLE kept (id INTEGER);\n";
  WriteFile(dir.File("0001_same.sql"), keep);
  auto p = CreateMigrationFile(dir.path(), "same");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(*p, dir.File("0002_same.sql"));
  EXPECT_EQ(ReadFileOrDie(dir.File("0001_same.sql")), keep);

  // Racing creators: each success is a distinct new file, none clobbers
  // another's, and a loser fails instead of overwriting.
  constexpr int kThreads = 8;
  std::vector<StatusOr<std::string>> results(kThreads, StatusOr<std::string>(std::string()));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&, i] { results[i] = CreateMigrationFile(dir.path(), "race"); });
  for (auto& t : threads) t.join();
  std::set<std::string> made;
  for (const auto& r : results) {
    if (r.ok()) {
      EXPECT_TRUE(made.insert(*r).second) << "two creators got " << *r;
    } else {
      EXPECT_THAT(r.status().message(), HasSubstr("cannot create"));
    }
  }
  EXPECT_FALSE(made.empty());
  for (const auto& path : made) {
    EXPECT_THAT(ReadFileOrDie(path), HasSubstr("-- cairn:up\n")) << path;
  }
  EXPECT_EQ(ReadFileOrDie(dir.File("0001_same.sql")), keep);
  EXPECT_THAT(ReadFileOrDie(dir.File("0002_same.sql")), HasSubstr("-- cairn:up"));
}

TEST(RunnerMigrationCreateTest, MissingParentDirectoryIsAnError) {
  TempDir dir;
  auto p = CreateMigrationFile(dir.File("a/b/c"), "x");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr(dir.File("a/b/c")));
}

}  // namespace
}  // namespace cairn::testing

// Bad input to the `cairn` CLI, run as a process: broken migration files and
// directories (exit 3), bad URLs and unreachable databases (exit 4). Each must
// print exactly one `cairn: error:` line that names the culprit, print nothing
// else, and write nothing: a fresh target stays without tables, and a target
// with a ledger keeps its event count.
#include <gmock/gmock.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
namespace fs = std::filesystem;

constexpr const char* kBase =
    "-- cairn:up\nCREATE TABLE base (id INTEGER);\n-- cairn:down\nDROP TABLE base;\n";
constexpr const char* kLater =
    "-- cairn:up\nCREATE TABLE later (id INTEGER);\n-- cairn:down\nDROP TABLE later;\n";

// Checks the shape of a refusal and returns its one error line.
std::string OneErrorLine(const ProcessResult& r, int exit_code) {
  EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
  EXPECT_THAT(r.out, IsEmpty());
  std::vector<std::string> lines = LinesStartingWith(r.err, "cairn: error: ");
  EXPECT_EQ(lines.size(), 1u) << r.err;
  if (lines.size() != 1) return "";
  EXPECT_EQ(r.err, lines[0] + "\n") << "stderr has more than the error line";
  return lines[0];
}

std::set<std::string> Listing(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) out.insert(e.path().string());
  return out;
}

// ---- migration files and directories (exit 3), on both backends -------------

class RunnerBadInputFileTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  // Runs `cairn migrate` over `dir` twice: on a fresh target, and on one where
  // 0001_base.sql is already applied. Both must be refused with one error
  // line containing every string in `expect`, and write nothing.
  void ExpectRefused(const std::string& dir, const std::vector<std::string>& expect) {
    // A fresh target.
    auto fresh = TestDatabase::Create(GetParam());
    if (!fresh) return;
    std::string line = OneErrorLine(RunCairn(fresh->url(), dir, {"migrate"}), 3);
    for (const auto& e : expect) EXPECT_THAT(line, HasSubstr(e));
    EXPECT_THAT(AllTables(*fresh), IsEmpty());

    // A target with a ledger.
    auto used = TestDatabase::Create(GetParam());
    if (!used) return;
    TempDir good;
    WriteFile(good.File("0001_base.sql"), kBase);
    ProcessResult r = RunCairn(used->url(), good.path(), {"migrate"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const int64_t rows = LedgerRows(*used);
    ASSERT_EQ(rows, 4);
    const std::vector<std::string> tables = AllTables(*used);
    for (const char* cmd : {"migrate", "status", "rollback"}) {
      std::string l = OneErrorLine(RunCairn(used->url(), dir, {cmd}), 3);
      for (const auto& e : expect) EXPECT_THAT(l, HasSubstr(e)) << cmd;
    }
    EXPECT_EQ(LedgerRows(*used), rows);
    EXPECT_EQ(AllTables(*used), tables);
    r = RunCairn(used->url(), good.path(), {"verify"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  // A migrations dir with a valid 0001, the bad file(s), and a valid 0009.
  std::string DirWith(const std::vector<std::pair<std::string, std::string>>& files) {
    WriteFile(dir_.File("0001_base.sql"), kBase);
    WriteFile(dir_.File("0009_later.sql"), kLater);
    for (const auto& [name, text] : files) WriteFile(dir_.File(name), text);
    return dir_.path();
  }

  TempDir dir_;
};

TEST_P(RunnerBadInputFileTest, MissingUpSection) {
  std::string d =
      DirWith({{"0002_no_up.sql", "-- describes a change\n\n-- but has no sections\n"}});
  ExpectRefused(d, {"cairn: error: " + d + "/0002_no_up.sql: missing '-- cairn:up' section"});
}

TEST_P(RunnerBadInputFileTest, UnknownDirectiveNamesFileAndLine) {
  std::string d = DirWith(
      {{"0002_typo.sql", "-- typo below\n\n-- cairn:upp\nCREATE TABLE typo (id INTEGER);\n"}});
  ExpectRefused(d, {"cairn: error: " + d + "/0002_typo.sql:3: unknown directive 'cairn:upp'"});
}

TEST_P(RunnerBadInputFileTest, SqlBeforeUpNamesFileAndLine) {
  std::string d = DirWith(
      {{"0002_early.sql", "-- x\nCREATE TABLE early (id INTEGER);\n-- cairn:up\nSELECT 1;\n"}});
  ExpectRefused(d, {"cairn: error: " + d + "/0002_early.sql:2: SQL before '-- cairn:up'"});
}

TEST_P(RunnerBadInputFileTest, DuplicateNumbersNameBothFiles) {
  std::string d = DirWith({{"002_a.sql", "-- cairn:up\nCREATE TABLE dup_a (id INTEGER);\n"},
                           {"2_b.sql", "-- cairn:up\nCREATE TABLE dup_b (id INTEGER);\n"}});
  ExpectRefused(d, {"cairn: error: ", "002_a.sql", "2_b.sql", "duplicate migration number"});
}

TEST_P(RunnerBadInputFileTest, BadFileName) {
  std::string d = DirWith({{"add_users.sql", "-- cairn:up\nCREATE TABLE u (id INTEGER);\n"}});
  ExpectRefused(d, {"cairn: error: " + d + "/add_users.sql: ", "NNNN_name.sql"});
}

TEST_P(RunnerBadInputFileTest, UnreadableMigrationFile) {
  std::string d = DirWith({});
  // A dangling symlink cannot be read, even by root.
  fs::create_symlink(dir_.File("nowhere.sql"), dir_.File("0002_link.sql"));
  ExpectRefused(d, {"cairn: error: " + d + "/0002_link.sql: cannot read: "});
}

TEST_P(RunnerBadInputFileTest, MissingDirectory) {
  const std::string missing = dir_.File("no-such-dir");
  ExpectRefused(
      missing, {"cairn: error: migrations directory '" + missing + "': No such file or directory"});
  EXPECT_FALSE(fs::exists(missing));
}

TEST_P(RunnerBadInputFileTest, DirectoryIsAFile) {
  const std::string file = dir_.File("not-a-dir");
  WriteFile(file, "-- cairn:up\nSELECT 1;\n");
  ExpectRefused(file, {"cairn: error: migrations directory '" + file + "': Not a directory"});
}

TEST_P(RunnerBadInputFileTest, UnreadableDirectory) {
  if (geteuid() == 0) {
    // Root reads a mode-000 directory; the other unreadable cases
    // (MissingDirectory, DirectoryIsAFile, UnreadableMigrationFile) still run.
    GTEST_SKIP() << "running as root: directory permissions do not apply";
  }
  const std::string locked = dir_.File("locked");
  ASSERT_EQ(mkdir(locked.c_str(), 0700), 0);
  WriteFile(locked + "/0001_base.sql", kBase);
  ASSERT_EQ(chmod(locked.c_str(), 0000), 0);
  ExpectRefused(locked, {"cairn: error: migrations directory '" + locked + "': Permission denied"});
  chmod(locked.c_str(), 0700);
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerBadInputFileTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// ---- database URLs and connections (exit 4) ---------------------------------

class RunnerBadInputUrlTest : public ::testing::Test {
 protected:
  void SetUp() override { WriteFile(dir_.File("0001_base.sql"), kBase); }

  // Runs `cairn --database URL migrate` and returns its one error line, after
  // checking that nothing was created in the temp dir.
  std::string Refused(const std::string& url) {
    const std::set<std::string> before = Listing(work_.path());
    std::string line = OneErrorLine(RunCairn(url, dir_.path(), {"migrate"}), 4);
    EXPECT_EQ(Listing(work_.path()), before) << url;
    return line;
  }

  TempDir dir_;   // migrations
  TempDir work_;  // where SQLite targets would go
};

TEST_F(RunnerBadInputUrlTest, UnknownScheme) {
  EXPECT_THAT(Refused("foo://x"), StartsWith("cairn: error: database URL 'foo://x': unknown "
                                             "scheme 'foo'"));
  EXPECT_THAT(Refused("campus.db"), StartsWith("cairn: error: database URL 'campus.db': "
                                               "missing scheme"));
}

TEST_F(RunnerBadInputUrlTest, PortIsNotANumber) {
  EXPECT_EQ(Refused("postgres://h:abc/x"),
            "cairn: error: database URL 'postgres://h:abc/x': port 'abc' is not a number");
  EXPECT_THAT(Refused("postgres://h:99999/x"), HasSubstr("port '99999' is out of range"));
}

TEST_F(RunnerBadInputUrlTest, SqliteWithoutAPath) {
  EXPECT_EQ(Refused("sqlite:"),
            "cairn: error: database URL 'sqlite:': missing file path after 'sqlite:'");
  const std::string dir_url = "sqlite:" + work_.path() + "/";
  EXPECT_THAT(Refused(dir_url), HasSubstr("'" + dir_url + "': path names a directory"));
}

TEST_F(RunnerBadInputUrlTest, SqliteFileInAMissingDirectory) {
  const std::string path = work_.File("missing/target.db");
  EXPECT_THAT(Refused("sqlite:" + path),
              StartsWith("cairn: error: cannot open SQLite database '" + path + "'"));
}

TEST_F(RunnerBadInputUrlTest, SqliteFileThatIsNotADatabase) {
  const std::string path = work_.File("notes.db");
  const std::string text = "these are notes, not a database\n";
  WriteFile(path, text);
  EXPECT_THAT(Refused("sqlite:" + path),
              StartsWith("cairn: error: cannot read SQLite database '" + path + "'"));
  EXPECT_EQ(ReadFileOrDie(path), text);
}

TEST_F(RunnerBadInputUrlTest, UnreachableServer) {
  std::string line = Refused("postgres://127.0.0.1:1/x");
  EXPECT_THAT(line, StartsWith("cairn: error: cannot connect to PostgreSQL at "
                               "postgres://127.0.0.1:1/x: "));
  EXPECT_THAT(line, HasSubstr("127.0.0.1"));
}

TEST_F(RunnerBadInputUrlTest, PasswordsNeverAppearInErrors) {
  // Connection errors and URL syntax errors alike show the URL with the
  // password replaced.
  std::string line = Refused("postgres://bob:s3cret@127.0.0.1:1/x");
  EXPECT_THAT(line, HasSubstr("postgres://bob:***@127.0.0.1:1/x"));
  EXPECT_THAT(line, Not(HasSubstr("s3cret")));
  line = Refused("postgres://bob:s3cret@h:abc/x");
  EXPECT_THAT(line, HasSubstr("postgres://bob:***@h:abc/x"));
  EXPECT_THAT(line, HasSubstr("port 'abc' is not a number"));
  EXPECT_THAT(line, Not(HasSubstr("s3cret")));
  line = Refused("postgres://bob:s3cret@h/x?junk");
  EXPECT_THAT(line, HasSubstr("'junk' is not key=value"));
  EXPECT_THAT(line, Not(HasSubstr("s3cret")));
  line = Refused("postgres://127.0.0.1:1/x?user=bob&password=s3cret");
  EXPECT_THAT(line, HasSubstr("cannot connect to PostgreSQL"));
  EXPECT_THAT(line, Not(HasSubstr("s3cret")));
}

TEST_F(RunnerBadInputUrlTest, NoDatabaseGiven) {
  ProcessResult r =
      RunProcess({CairnBinary(), "--dir", dir_.path(), "migrate"}, {{"DATABASE_URL", ""}});
  EXPECT_THAT(OneErrorLine(r, 4),
              StartsWith("cairn: error: no database given: pass --database URL or set "
                         "DATABASE_URL"));
  // DATABASE_URL is used when --database is not given.
  r = RunProcess({CairnBinary(), "--dir", dir_.path(), "migrate"}, {{"DATABASE_URL", "foo://x"}});
  EXPECT_THAT(OneErrorLine(r, 4), HasSubstr("'foo://x': unknown scheme"));
}

}  // namespace
}  // namespace cairn::testing

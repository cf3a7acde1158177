// Data-heavy migration files (docs/migration-files.md, "Large files"): one
// streaming pass parses a file exactly as the in-memory parser does; big
// files run with bounded memory; a failure deep in a big file is reported at
// its line, leaves nothing, and the ledger keeps a cut statement.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/runner/formats.h"
#include "cairn/runner/lint.h"
#include "cairn/runner/migration.h"
#include "runner/src/formats/dispatch.h"
#include "runner/src/source/section_text.h"
#include "tests/support/test_support.h"

namespace cairn {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::string SectionText(const runner::Migration& m, const runner::Section& s) {
  std::string out;
  Status st = runner::source::ForEachSectionText(m, s, [&](std::string_view piece) {
    out.append(piece);
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

// Files of every shape the parser accepts or refuses.
std::vector<std::string> Corpus() {
  std::string big_insert = "INSERT INTO t VALUES\n";
  for (int i = 0; i < 3000; ++i)
    big_insert += "  (" + std::to_string(i) + ", 'v;" + std::to_string(i) + "'),\n";
  big_insert += "  (-1, 'end');\n";
  return {
      "-- header\n-- cairn:up\nCREATE TABLE t (id INT, v TEXT);\n" + big_insert +
          "-- cairn:down\nDROP TABLE t;\n",
      "-- cairn:up\r\nCREATE TABLE t (id INT);\r\nINSERT INTO t VALUES (1);  \r\n\r\n-- "
      "cairn:down\r\nDROP TABLE t;\r\n\r\n\r\n",
      "-- cairn:up\rSELECT 1;\rSELECT 2;\r-- cairn:down\rSELECT 3;\r",
      "\xEF\xBB\xBF-- cairn:up\nSELECT 'caf\xC3\xA9';\n",
      "-- cairn:no-transaction\n-- cairn:lock-timeout 5s\n-- cairn:up\nCREATE INDEX "
      "CONCURRENTLY i ON t (id);\n-- cairn:down\nDROP INDEX CONCURRENTLY i;",
      "-- cairn:up\n-- a comment\n-- cairn:batch table=t key=id size=10\nUPDATE t SET v = 1 "
      "WHERE id > :after AND id <= :upto;\n-- cairn:down\nSELECT 1;\n",
      "-- cairn:up\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); "
      "END;\nSELECT 1;\n",
      "-- cairn:up\nCREATE TABLE t (id INT);\n" + big_insert + "COMMIT;\n",
      "-- cairn:up\nSELECT 1;\n-- cairn:upp\n",
      "SELECT 1;\n-- cairn:up\nSELECT 2;\n",
      "-- cairn:up\n-- only a comment\n-- cairn:down\nSELECT 1;\n",
      "-- cairn:up\nSELECT 1;\n-- cairn:down\nSELECT 2;\n-- cairn:down\n",
      "-- nothing\n",
      "-- cairn:up\nSELECT 1;\n-- cairn:batch table=t key=id\nUPDATE t SET v = 1;\n",
      "-- cairn:up\n" + big_insert + "-- cairn:down\n" + big_insert + "   \n\t\n",
  };
}

// The streaming parse of a file (sections left in the file) agrees with the
// in-memory parse of its text in everything: errors, checksum, sections.
TEST(RunnerBigFileTest, StreamingParseEqualsInMemoryParse) {
  TempDir dir;
  int n = 0;
  for (const std::string& text : Corpus()) {
    SCOPED_TRACE("corpus file " + std::to_string(n));
    const std::string path = dir.File("00" + std::to_string(10 + n++) + "_case.sql");
    WriteFile(path, text);
    auto whole = runner::ParseMigration(path, path.substr(path.rfind('/') + 1), text);
    auto streamed = runner::ParseMigrationFile(path, /*keep_in_memory=*/0);
    ASSERT_EQ(whole.ok(), streamed.ok())
        << (whole.ok() ? streamed.status().message() : whole.status().message());
    if (!whole.ok()) {
      EXPECT_EQ(whole.status().message(), streamed.status().message());
      continue;
    }
    EXPECT_EQ(whole->checksum, streamed->checksum);
    EXPECT_EQ(whole->checksum, runner::CanonicalChecksum(text));
    EXPECT_EQ(whole->no_transaction, streamed->no_transaction);
    EXPECT_EQ(whole->up.first_line, streamed->up.first_line);
    EXPECT_EQ(whole->up.sql, SectionText(*streamed, streamed->up));
    EXPECT_EQ(whole->up.batch.has_value(), streamed->up.batch.has_value());
    if (whole->up.batch) {
      EXPECT_EQ(whole->up.batch->bound_sql, streamed->up.batch->bound_sql);
    }
    ASSERT_EQ(whole->down.has_value(), streamed->down.has_value());
    if (whole->down) {
      EXPECT_EQ(whole->down->first_line, streamed->down->first_line);
      EXPECT_EQ(whole->down->sql, SectionText(*streamed, *streamed->down));
    }
    // Sections of a batched file stay in memory; others stay in the file.
    EXPECT_EQ(streamed->up.extent.on_file, !streamed->up.batch.has_value());
  }
}

// The canonical checksum's definition never changes: ledgers hold it.
TEST(RunnerBigFileTest, ChecksumOfAFixedFileIsUnchanged) {
  const std::string text =
      "-- 0001 fixed\r\n-- cairn:up  \r\nCREATE TABLE fixed (id INTEGER PRIMARY KEY, name "
      "TEXT);\t\r\nINSERT INTO fixed VALUES (1, 'a;b');\rINSERT INTO fixed VALUES (2, "
      "'c');\n-- cairn:down\nDROP TABLE fixed;   \n\n \n";
  const std::string want =
      "sha256:169cad770d32b271e729d4b9bfd91a940602ce3c514472221eea20d2b3472a9f";
  EXPECT_EQ(runner::CanonicalChecksum(text), want);
  TempDir dir;
  WriteFile(dir.File("0001_fixed.sql"), text);
  auto m = runner::ParseMigrationFile(dir.File("0001_fixed.sql"), 0);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->checksum, want);
}

// A section read back from a file that changed since it was parsed fails
// after its text, so the transaction that ran it rolls back.
TEST(RunnerBigFileTest, AFileChangedAfterParsingIsRefused) {
  TempDir dir;
  const std::string path = dir.File("0001_x.sql");
  WriteFile(path, "-- cairn:up\nSELECT 1;\nSELECT 2;\n");
  auto m = runner::ParseMigrationFile(path, 0);
  ASSERT_TRUE(m.ok());
  WriteFile(path, "-- cairn:up\nSELECT 1;\nSELECT 3;\n");
  Status s =
      runner::source::ForEachSectionText(*m, m->up, [](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("changed since it was read"), std::string::npos) << s.message();
}

// Writes a migration of `lines` lines: CREATE TABLE, single-row INSERTs,
// then `last` as the final up statement (on line `lines`).
void WriteRowsMigration(const std::string& path, int lines, const std::string& last) {
  std::ofstream f(path, std::ios::binary);
  f << "-- cairn:up\nCREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);\n";
  for (int i = 3; i < lines; ++i) f << "INSERT INTO big VALUES (" << i << ", 'row " << i << "');\n";
  f << last << "\n-- cairn:down\nDROP TABLE big;\n";
}

class RunnerBigFileCliTest : public ::testing::TestWithParam<db::Backend> {};

// A statement failing at line 400,001 of a big file is reported at that
// line, nothing of the migration stays, and the ledger's MigrationFailed
// holds the statement cut to a bounded length.
TEST_P(RunnerBigFileCliTest, AFailureDeepInABigFileIsReportedAtItsLine) {
  auto db = testing::TestDatabase::Create(GetParam());
  if (!db) return;
  TempDir dir;
  const std::string mdir = dir.path() + "/migrations";
  ASSERT_EQ(::mkdir(mdir.c_str(), 0755), 0);
  // The failing statement is long (one 200 KB line) and names a missing table.
  std::string failing = "INSERT INTO no_such_table VALUES (1)";
  while (failing.size() < 200'000) failing += ", (1)";
  failing += ";";
  WriteRowsMigration(mdir + "/0001_big.sql", 400'001, failing);

  testing::ProcessResult r = testing::RunCairn(db->url(), mdir, {"migrate"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("0001_big.sql:400001:"), std::string::npos) << r.err.substr(0, 2000);
  EXPECT_LT(r.err.size(), 20'000u) << "the error should not print the whole statement";

  // Nothing of the migration stays.
  auto conn = db->Connect();
  auto rows = conn->Query(GetParam() == db::Backend::kSqlite
                              ? "SELECT count(*) FROM sqlite_master WHERE name = 'big'"
                              : "SELECT count(*) FROM pg_tables WHERE tablename = 'big'");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  EXPECT_EQ((*rows)[0][0].AsInt(), 0);

  // The ledger records the failure, with the line and a cut statement.
  testing::ProcessResult h = testing::RunCairn(db->url(), mdir, {"history", "--json"});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  bool found = false;
  const nlohmann::json history = nlohmann::json::parse(h.out);  // docs/json.md
  for (const nlohmann::json& j : history["events"]) {
    const std::string dump = j.dump();
    EXPECT_LT(dump.size(), 8'000u) << "an event must not hold the whole statement";
    if (j.value("type", "") != "migration_failed") continue;
    found = true;
    EXPECT_EQ(j.value("line", 0), 400001) << dump.substr(0, 1000);
    const std::string statement = j.value("statement", "");
    EXPECT_EQ(statement.rfind("INSERT INTO no_such_table VALUES (1), (1)", 0), 0u) << statement;
    const std::string marker = " ... [" + std::to_string(failing.size() - 1) + " bytes]";
    EXPECT_NE(statement.find(marker), std::string::npos) << statement;
    EXPECT_LT(statement.size(), 2100u);
  }
  EXPECT_TRUE(found) << "no MigrationFailed event names the statement";
  EXPECT_EQ(testing::RunCairn(db->url(), mdir, {"verify"}).exit_code, 0);
}

// Runs `argv` and returns its exit code and peak RSS in KiB (wait4's rusage
// of that child alone).
std::pair<int, long> RunMeasured(const std::vector<std::string>& argv) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  struct rusage ru {};
  ::wait4(pid, &status, 0, &ru);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ru.ru_maxrss};
}

// A large migration of another tool's layout is parsed once per process
// while its files are unchanged (ScanMigrations and then LoadMigrations both
// read it); an edit to either file is seen by the next read.
TEST(RunnerBigFileFormatsTest, AnEditedFileIsReadAgain) {
  TempDir dir;
  WriteFile(dir.File("001_a.up.sql"), "CREATE TABLE t (id INT);\n");
  WriteFile(dir.File("001_a.down.sql"), "DROP TABLE t;\n");
  using runner::Format;
  auto first = runner::internal::LoadFormatStreamingAbove(dir.path(), Format::kGolangMigrate, 0);
  auto again = runner::internal::LoadFormatStreamingAbove(dir.path(), Format::kGolangMigrate, 0);
  ASSERT_TRUE(first.ok() && again.ok());
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].checksum, (*again)[0].checksum);
  EXPECT_EQ((*again)[0].down->facts.statements, 1);
  WriteFile(dir.File("001_a.down.sql"), "DROP TABLE t;\nSELECT 1;\n");
  auto edited = runner::internal::LoadFormatStreamingAbove(dir.path(), Format::kGolangMigrate, 0);
  ASSERT_TRUE(edited.ok()) << edited.status().message();
  EXPECT_NE((*edited)[0].checksum, (*first)[0].checksum);
  EXPECT_EQ((*edited)[0].down->facts.statements, 2);
  EXPECT_EQ(SectionText((*edited)[0], *(*edited)[0].down), "DROP TABLE t;\nSELECT 1;\n");
  WriteFile(dir.File("001_a.up.sql"), "CREATE TABLE t (id INT);\nSELECT 2;\n");
  auto up_edited =
      runner::internal::LoadFormatStreamingAbove(dir.path(), Format::kGolangMigrate, 0);
  ASSERT_TRUE(up_edited.ok()) << up_edited.status().message();
  EXPECT_EQ((*up_edited)[0].up.facts.statements, 2);
}

// `cairn adopt` compares a Flyway repeatable script's checksum read in
// blocks: the same number as Flyway's over the whole text, whatever the line
// ends and wherever a block boundary falls (a CR at one, a CRLF across one).
TEST(RunnerBigFileFormatsTest, FlywayChecksumOfAFileReadInBlocks) {
  std::string big = "\xEF\xBB\xBF-- header\r\n";
  while (big.size() < (1u << 20) - 1) big += "INSERT INTO t VALUES (1, 'x');\n";
  big.resize((1u << 20) - 1);
  std::string cr_at_boundary = big + "\r\nSELECT 1;\rSELECT 2;\n\n";
  std::string crlf_across = big + "x\r\n" + big + "\r";
  TempDir dir;
  int n = 0;
  for (const std::string& text :
       {std::string(), std::string("SELECT 1;"), std::string("\xEF\xBB\xBFSELECT 1;\r\n"), big,
        cr_at_boundary, crlf_across}) {
    SCOPED_TRACE("case " + std::to_string(n));
    const std::string path = dir.File("R__case" + std::to_string(n++) + ".sql");
    WriteFile(path, text);
    auto crc = runner::internal::FlywayChecksumOfFile(path);
    ASSERT_TRUE(crc.ok()) << crc.status().message();
    EXPECT_EQ(*crc, runner::FlywayChecksum(text));
  }
  EXPECT_FALSE(runner::internal::FlywayChecksumOfFile(dir.File("missing.sql")).ok());
}

// Writes `bytes` of 800-row INSERTs into `table` (columns id, v) from id
// `first_id` on; returns the next id.
int64_t WriteRows(std::ofstream& f, const std::string& table, int64_t first_id, size_t bytes) {
  size_t size = 0;
  int64_t id = first_id;
  std::string stmt;
  while (size < bytes) {
    stmt = "INSERT INTO " + table + " VALUES\n";
    for (int i = 0; i < 800; ++i) {
      stmt += "  (" + std::to_string(id++) + ", 'a row of a data-heavy migration file')";
      stmt += i == 799 ? ";\n" : ",\n";
    }
    f << stmt;
    size += stmt.size();
  }
  return id;
}

// A 200 MB migration applies with a peak RSS far below its size: the file
// is read in blocks and run in groups, never held whole.
// (SQLite: the reading and grouping are the same on both backends; the
// PostgreSQL figures are in BENCHMARKS.md, from bench/big_files.py.)
TEST(RunnerBigFileMemoryTest, A200MBMigrationRunsInBoundedMemory) {
  auto db = testing::TestDatabase::Create(db::Backend::kSqlite);
  if (!db) return;
  TempDir dir;
  const std::string mdir = dir.path() + "/migrations";
  ASSERT_EQ(::mkdir(mdir.c_str(), 0755), 0);
  {
    std::ofstream f(mdir + "/0001_big.sql", std::ios::binary);
    f << "-- cairn:up\nCREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);\n";
    WriteRows(f, "big", 1, 200'000'000);
    f << "-- cairn:down\nDROP TABLE big;\n";
  }
  auto [code, rss_kib] = RunMeasured(
      {testing::CairnBinary(), "-q", "--database", db->url(), "--dir", mdir, "migrate"});
  ASSERT_EQ(code, 0);
  std::cerr << "peak RSS of cairn migrate on a 200 MB file: " << rss_kib / 1024 << " MiB\n";
  EXPECT_LT(rss_kib, 64 * 1024) << "peak RSS " << rss_kib / 1024 << " MiB";
  auto conn = db->Connect();
  auto rows = conn->Query("SELECT count(*) FROM big");
  ASSERT_TRUE(rows.ok());
  EXPECT_GT((*rows)[0][0].AsInt(), 2'000'000);
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerBigFileCliTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         testing::BackendParamName);

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

// `cairn lint` reads a file in blocks, whatever its size: a big file gives
// the findings its text gives in one piece, at the same lines.
TEST(RunnerBigFileLintTest, ABigFileLintsAsItsText) {
  TempDir dir;
  std::string text = "-- cairn:up\nCREATE TABLE t (id INT);\n";
  int line = 3;
  for (int i = 0; i < 60'000; ++i, ++line) {
    if (i % 15'000 == 7) {
      text += "ALTER TABLE users DROP COLUMN c" + std::to_string(i) + ";\n";
    } else if (i == 31'000) {
      text += "DROP TABLE /* a; comment */ old_" + std::to_string(i) + ";\n";
    } else if (i == 45'000) {
      text += "-- cairn:lint-ignore column-type-change\n";
    } else {
      text +=
          "INSERT INTO t VALUES (" + std::to_string(i) + ");  -- row; " + std::to_string(i) + "\n";
    }
  }
  text += "-- cairn:down\nDROP TABLE t;\n";
  ASSERT_GT(text.size(), 2u << 20);  // three blocks of 1 MiB
  const std::string path = dir.File("0001_big.sql");
  WriteFile(path, text);
  auto whole = runner::LintMigrationText(path, text);
  auto streamed = runner::LintFiles({path});
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  ASSERT_TRUE(streamed.ok()) << streamed.status().message();
  ASSERT_EQ(whole->findings.size(), streamed->findings.size());
  ASSERT_EQ(whole->findings.size(), 6u);  // 4 drop-column, 1 drop-table, 1 missing-lock-timeout
  for (size_t i = 0; i < whole->findings.size(); ++i) {
    EXPECT_EQ(whole->findings[i].line, streamed->findings[i].line);
    EXPECT_EQ(whole->findings[i].rule, streamed->findings[i].rule);
  }
  EXPECT_EQ(whole->findings[0].line, 10);  // the first ALTER TABLE: i = 7, line 3 + 7
  EXPECT_EQ(streamed->findings.back().line, 3 + 45'007);
}

}  // namespace
}  // namespace cairn

namespace cairn {
namespace {

using testing::TempDir;
using testing::WriteFile;

// One folder of another tool's layout: file name (relative) -> text.
struct FormatCase {
  runner::Format format;
  std::vector<std::pair<std::string, std::string>> files;
};

std::vector<FormatCase> FormatCorpus() {
  std::string rows = "INSERT INTO t VALUES\n";
  for (int i = 0; i < 3000; ++i)
    rows += "  (" + std::to_string(i) + ", 'v;" + std::to_string(i) + "'),\n";
  rows += "  (-1, 'end');\n";
  using runner::Format;
  return {
      {Format::kDbmate,
       {{"001_a.sql", "-- migrate:up\nCREATE TABLE t (id INT, v TEXT);\n" + rows +
                          "-- migrate:down\nDROP TABLE t;\n"},
        {"002_b.sql",
         "-- header\r\n-- migrate:up transaction:false\r\nCREATE INDEX "
         "CONCURRENTLY i ON t (id);  \r\n\r\n-- migrate:down\r\nDROP INDEX i;"}}},
      // A lone CR is no line end to dbmate: refused either way.
      {Format::kDbmate,
       {{"003_c.sql", "-- migrate:up\rSELECT 1;\r-- migrate:down\rSELECT 2;\r\r\r"}}},
      {Format::kDbmate, {{"001_a.sql", "-- migrate:up\nSELECT 1;\n    -- migrate:down\n"}}},
      {Format::kSqlx,
       {{"1_a.sql", "CREATE TABLE t (id INT, v TEXT);\n" + rows},
        {"2_b.up.sql", "-- no-transaction\r\nCREATE INDEX CONCURRENTLY i ON t (id);\r\n"},
        {"2_b.down.sql", "-- no-transaction\nDROP INDEX i;"},
        {"3_c.up.sql", rows},
        {"3_c.down.sql", "DELETE FROM t;\n"}}},
      {Format::kSqlx, {{"1_a.up.sql", "-- no-transaction\nSELECT 1;\n"}, {"1_a.down.sql", rows}}},
      {Format::kGoose,
       {{"00001_a.sql", "-- +goose Up\nCREATE TABLE t (id INT, v TEXT);\n" + rows +
                            "-- +goose Down\n-- +goose StatementBegin\nDROP TABLE t;\n"
                            "-- +goose StatementEnd\n"},
        {"00002_b.sql",
         "-- +goose NO TRANSACTION\r\n-- +goose up\r\nCREATE INDEX "
         "CONCURRENTLY i ON t (id);\r\n"},
        {"20240101000003_c.sql",
         "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() "
         "RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND;\n$$ LANGUAGE "
         "plpgsql;\n-- +goose StatementEnd\n" +
             rows}}},
      {Format::kGoose, {{"00001_a.sql", "-- +goose Up\n" + rows + "SELECT 'x;\ny';\n"}}},
      {Format::kDbmate, {{"001_a.sql", "SELECT 0;\n-- migrate:up\nSELECT 1;\n-- migrate:upp\n"}}},
      {Format::kDbmate, {{"001_a.sql", "-- migrate:up\n" + rows + "COMMIT;\n-- migrate:down\n"}}},
      {Format::kDbmate, {{"001_a.sql", "-- just a comment\nSELECT 1;\n"}}},
      {Format::kDbmate,
       {{"001_a.sql", "-- migrate:up\nSELECT 1;\n-- migrate:up transaction:maybe\n"}}},
      {Format::kGolangMigrate,
       {{"001_a.up.sql", "CREATE TABLE t (id INT, v TEXT);\n" + rows},
        {"001_a.down.sql", "DROP TABLE t;"},
        {"002_b.up.sql", "\xEF\xBB\xBFSELECT 'caf\xC3\xA9';\r\n\r\n"},
        {"003_c.up.sql",
         "-- cairn:batch table=t key=id size=10\nUPDATE t SET v = 1 WHERE id > "
         ":after AND id <= :upto;\n"},
        {"003_c.down.sql", rows + "\n\n"},
        {"004_d.up.sql", ""},
        {"004_d.down.sql", "SELECT 1;\n"}}},
      {Format::kGolangMigrate,
       {{"001_a.up.sql", "SELECT 1;\n" + rows}, {"001_a.down.sql", rows + "ROLLBACK;\n"}}},
      {Format::kGolangMigrate, {{"001_a.up.sql", rows + "BEGIN;\nSELECT 1;\n"}}},
      {Format::kGolangMigrate, {{"001_a.up.sql", "-- only a comment\n"}}},
      {Format::kFlyway,
       {{"V1__a.sql", "CREATE TABLE t (id INT, v TEXT);\n" + rows},
        {"U1__a.sql", "DROP TABLE t;\n"},
        {"V1_1__b.sql", "SELECT 1;\rSELECT 2;"},
        {"R__view.sql", "CREATE VIEW v AS SELECT 1;\n"}}},
      {Format::kFlyway, {{"V1__a.sql", "SELECT 1;\n"}, {"U1__a.sql", "SELECT 2;\n-- cairn:upp\n"}}},
      {Format::kDiesel,
       {{"2023-01-02-030405_create_t/up.sql", "CREATE TABLE t (id INT, v TEXT);\n" + rows},
        {"2023-01-02-030405_create_t/down.sql", "DROP TABLE t;\n"},
        {"2023-01-02-030405_create_t/metadata.toml", "run_in_transaction = false\n"},
        {"2023-02-02-030405_more/up.sql", rows}}},
  };
}

// Every format's reader gives the same migrations, or the same error,
// whether it reads the files whole or in one streaming pass with their
// sections left in the files (docs/formats.md, "Large files").
TEST(RunnerBigFileFormatsTest, StreamingReadEqualsWholeRead) {
  int n = 0;
  for (const FormatCase& c : FormatCorpus()) {
    SCOPED_TRACE("format case " + std::to_string(n++) + " (" +
                 std::string(runner::FormatName(c.format)) + ")");
    TempDir dir;
    for (const auto& [name, text] : c.files) {
      if (size_t slash = name.find('/'); slash != std::string::npos)
        ::mkdir(dir.File(name.substr(0, slash)).c_str(), 0755);
      WriteFile(dir.File(name), text);
    }
    auto whole = runner::LoadFormat(dir.path(), c.format);
    auto streamed = runner::internal::LoadFormatStreamingAbove(dir.path(), c.format, 0);
    ASSERT_EQ(whole.ok(), streamed.ok())
        << (whole.ok() ? streamed.status().message() : whole.status().message());
    if (!whole.ok()) {
      EXPECT_EQ(whole.status().message(), streamed.status().message());
      continue;
    }
    ASSERT_EQ(whole->size(), streamed->size());
    for (size_t i = 0; i < whole->size(); ++i) {
      const runner::Migration& w = (*whole)[i];
      const runner::Migration& s = (*streamed)[i];
      SCOPED_TRACE(w.file);
      EXPECT_EQ(w.id, s.id);
      EXPECT_EQ(w.name, s.name);
      EXPECT_EQ(w.file, s.file);
      EXPECT_EQ(w.path, s.path);
      EXPECT_EQ(w.checksum, s.checksum);
      EXPECT_EQ(w.no_transaction, s.no_transaction);
      EXPECT_EQ(w.repeatable, s.repeatable);
      EXPECT_EQ(w.up.first_line, s.up.first_line);
      EXPECT_EQ(w.up.sql, SectionText(s, s.up));
      EXPECT_EQ(w.up.facts.statements, s.up.facts.statements);
      EXPECT_EQ(w.up.facts.statements_sha256, s.up.facts.statements_sha256);
      EXPECT_EQ(w.up.batch.has_value(), s.up.batch.has_value());
      EXPECT_FALSE(w.up.extent.on_file);
      EXPECT_EQ(s.up.extent.on_file, !s.up.batch.has_value());
      ASSERT_EQ(w.down.has_value(), s.down.has_value());
      if (w.down) {
        EXPECT_EQ(w.down->first_line, s.down->first_line);
        EXPECT_EQ(w.down->sql, SectionText(s, *s.down));
        EXPECT_EQ(w.down->facts.statements_sha256, s.down->facts.statements_sha256);
      }
    }
  }
}

// Another tool's layout reads as cairn's own large files do: a golang-migrate
// folder with a 120 MB up file and a 40 MB down file migrates and rolls back
// with a peak RSS far below either file (the down section read back from its
// own file).
TEST(RunnerBigFileMemoryTest, A120MBGolangMigrateFolderRunsInBoundedMemory) {
  auto db = testing::TestDatabase::Create(db::Backend::kSqlite);
  if (!db) return;
  TempDir dir;
  const std::string mdir = dir.path() + "/migrations";
  ASSERT_EQ(::mkdir(mdir.c_str(), 0755), 0);
  int64_t rows = 0, archived = 0;
  {
    std::ofstream up(mdir + "/001_big.up.sql", std::ios::binary);
    up << "CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT);\n";
    rows = WriteRows(up, "big", 1, 120'000'000) - 1;
    std::ofstream down(mdir + "/001_big.down.sql", std::ios::binary);
    down << "CREATE TABLE archive (id INTEGER PRIMARY KEY, v TEXT);\n";
    archived = WriteRows(down, "archive", 1, 40'000'000) - 1;
    down << "DROP TABLE big;\n";
  }
  auto [code, rss_kib] = RunMeasured({testing::CairnBinary(), "-q", "--database", db->url(),
                                      "--dir", mdir, "--format", "golang-migrate", "migrate"});
  ASSERT_EQ(code, 0);
  std::cerr << "peak RSS of cairn migrate on a 120 MB golang-migrate file: " << rss_kib / 1024
            << " MiB\n";
  EXPECT_LT(rss_kib, 64 * 1024) << "peak RSS " << rss_kib / 1024 << " MiB";
  {
    auto conn = db->Connect();
    auto n = conn->Query("SELECT count(*) FROM big");
    ASSERT_TRUE(n.ok()) << n.status().message();
    EXPECT_EQ((*n)[0][0].AsInt(), rows);
  }
  std::tie(code, rss_kib) = RunMeasured({testing::CairnBinary(), "-q", "--database", db->url(),
                                         "--dir", mdir, "--format", "golang-migrate", "rollback"});
  ASSERT_EQ(code, 0);
  std::cerr << "peak RSS of cairn rollback with a 40 MB down file: " << rss_kib / 1024 << " MiB\n";
  EXPECT_LT(rss_kib, 64 * 1024) << "peak RSS " << rss_kib / 1024 << " MiB";
  auto conn = db->Connect();
  auto n = conn->Query("SELECT count(*) FROM archive");
  ASSERT_TRUE(n.ok()) << n.status().message();
  EXPECT_EQ((*n)[0][0].AsInt(), archived);
  auto gone = conn->Query("SELECT count(*) FROM sqlite_master WHERE name = 'big'");
  ASSERT_TRUE(gone.ok());
  EXPECT_EQ((*gone)[0][0].AsInt(), 0);
}

}  // namespace
}  // namespace cairn

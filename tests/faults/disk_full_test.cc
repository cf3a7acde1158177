// A full disk under a SQLite target: `cairn migrate` runs with a file-size
// limit (RLIMIT_FSIZE, set by the shell with `ulimit -f` before exec, with
// SIGXFSZ ignored so writes past the limit fail with EFBIG instead of killing
// the process). Whatever point of the run the limit hits, cairn must stop
// with a clear error and a documented exit code, the applied migrations and
// their data must survive, the ledger must verify and agree with the
// database, and a run without the limit must finish the work.
#include <gmock/gmock.h>
#include <sys/stat.h>

#include "clients/cli/exit_codes.h"
#include "tests/faults/fault_util.h"

namespace cairn::testing {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// `cairn ARGS` with every file it writes limited to `limit_kib` KiB.
ProcessResult RunCairnWithFileLimit(int64_t limit_kib, const std::string& url,
                                    const std::string& dir, const std::string& command) {
  return RunProcess({"/bin/bash", "-c", "trap '' XFSZ; ulimit -f \"$0\" && exec \"$@\"",
                     std::to_string(limit_kib), CairnBinary(), "--database", url, "--dir", dir,
                     command});
}

// Three small migrations, then 0004, which inserts about 4 MiB.
class BigScenario : public SchemaScenario {
 public:
  BigScenario() : SchemaScenario(db::Backend::kSqlite, 3, 0) {}
  void WriteBig(const std::string& dir) const {
    WriteFile(dir + "/0004_big.sql",
              "-- cairn:up\nCREATE TABLE big (b BLOB NOT NULL);\n"
              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)\n"
              "INSERT INTO big (b) SELECT randomblob(2048) FROM c;\n"
              "-- cairn:down\nDROP TABLE big;\n");
  }
  std::vector<std::string> Disagreements(db::Connection& conn,
                                         const std::set<std::string>& applied) const override {
    std::set<std::string> small = applied;
    const bool big_applied = small.erase("0004") > 0;
    std::vector<std::string> out = SchemaScenario::Disagreements(conn, small);
    if (TableExists(conn, "big") != big_applied)
      out.push_back(std::string("0004 is ") + (big_applied ? "" : "not ") +
                    "applied but table big " + (big_applied ? "is missing" : "exists"));
    return out;
  }
};

TEST(FaultDiskFullTest, FileSizeLimitAtAnyPointLosesNothingAndALaterRunCompletes) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  ASSERT_TRUE(tdb);
  const std::string path = tdb->url().substr(std::string("sqlite:").size());
  TempDir dir;
  BigScenario scenario;
  scenario.WriteMigrations(dir.path());
  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  scenario.WriteBig(dir.path());
  const int64_t base_kib = FileSize(path) / 1024;
  ASSERT_GT(base_kib, 0);

  // Limits from "no growth at all" to "the ledger fits but the data does
  // not": the run stops at different places (the run's first event, the
  // migration's SQL, recording the failure).
  int failures = 0;
  for (int64_t extra_kib : {0, 1, 4, 16, 64, 256}) {
    SCOPED_TRACE("file size limit: " + std::to_string(base_kib + extra_kib) + " KiB");
    r = RunCairnWithFileLimit(base_kib + extra_kib, tdb->url(), dir.path(), "migrate");
    EXPECT_EQ(r.signal, 0) << "killed by a signal: SIGXFSZ should be ignored";
    // 1: the failure of 0004 was recorded; 4: the database could not even
    // take that (or the run's first event) and nothing was written.
    EXPECT_THAT(r.exit_code, AnyOf(cli::kExitMigrationFailed, cli::kExitDatabase))
        << r.out << r.err;
    std::vector<std::string> errors = LinesStartingWith(r.err, "cairn: error: ");
    EXPECT_FALSE(errors.empty()) << r.err;
    EXPECT_THAT(r.err, HasSubstr("full")) << "the error should say the disk is full";
    failures += r.exit_code != 0;
    std::printf("limit %lld KiB: exit %d: %s", static_cast<long long>(base_kib + extra_kib),
                r.exit_code, r.err.c_str());

    LedgerView view = ExpectLedgerAgreesWithDatabase(*tdb, scenario);
    EXPECT_EQ(view.applied, (std::set<std::string>{"0001", "0002", "0003"}));
    auto conn = tdb->Connect();
    ASSERT_TRUE(conn);
    auto check = conn->Query("PRAGMA integrity_check");
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    EXPECT_EQ((*check)[0][0].AsText(), "ok");
    ProcessResult v = RunCairn(tdb->url(), dir.path(), {"verify"});
    EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
    if (HasFailure()) return;
  }
  EXPECT_EQ(failures, 6);

  r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0004"));
  LedgerView view = ExpectLedgerAgreesWithDatabase(*tdb, scenario);
  EXPECT_EQ(view.applied, (std::set<std::string>{"0001", "0002", "0003", "0004"}));
  auto conn = tdb->Connect();
  auto rows = conn->Query("SELECT count(*) FROM big");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0][0].AsInt(), 2000);
}

}  // namespace
}  // namespace cairn::testing

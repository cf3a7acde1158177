// A full disk under a SQLite target. Whatever point of the run the disk
// fills at, cairn must stop with a clear error and a documented exit code,
// the applied migrations and their data must survive, the ledger must verify
// and agree with the database, and a run with room must finish the work.
//
// Two ways to fill it: in-process through the Env seam (FaultEnv,
// tests/faults/fault_env.h: the runner's files and SQLite's, through the VFS
// shim, fail with ENOSPC after N bytes, or every fsync fails), which can stop
// the run after any number of bytes; and, for the operating system's own
// path, `cairn migrate` run with a file-size limit (RLIMIT_FSIZE, set by the
// shell with `ulimit -f` before exec, with SIGXFSZ ignored so writes past the
// limit fail with EFBIG instead of killing the process), as the kill tests
// keep real SIGKILLs.
#include <gmock/gmock.h>
#include <sys/stat.h>

#include <filesystem>

#include "clients/cli/exit_codes.h"
#include "tests/faults/fault_env.h"
#include "tests/faults/fault_util.h"

namespace cairn::testing {
namespace {

using nlohmann::json;
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

// MigrateWithEnv (fault_util.h), with the exit code the CLI would give it.
std::string MigrateWithEnv(const std::string& url, const std::string& dir, Env& env,
                           int* exit_code) {
  EnvRun run = cairn::testing::MigrateWithEnv(url, dir, env);
  if (!run.status.ok()) {
    *exit_code = cli::ExitFor(run.status, /*opening_target=*/!run.opened);
  } else {
    *exit_code = run.failure ? cli::kExitMigrationFailed : cli::kExitOk;
  }
  return run.error();
}

// A SQLite target with 0001-0003 applied by `cairn migrate` and 0004 written
// into `dir`, pending.
std::unique_ptr<TestDatabase> WithBigPending(const BigScenario& scenario, const std::string& dir) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return nullptr;
  std::filesystem::remove(dir + "/0004_big.sql");
  scenario.WriteMigrations(dir);
  ProcessResult r = RunCairn(tdb->url(), dir, {"migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  scenario.WriteBig(dir);
  return r.exit_code == 0 ? std::move(tdb) : nullptr;
}

// After the run with room: all four applied, 0004's 2000 rows there.
void ExpectEverythingApplied(const TestDatabase& tdb, const BigScenario& scenario) {
  LedgerView view = ExpectLedgerAgreesWithDatabase(tdb, scenario);
  EXPECT_EQ(view.applied, (std::set<std::string>{"0001", "0002", "0003", "0004"}));
  auto conn = tdb.Connect();
  ASSERT_TRUE(conn);
  auto rows = conn->Query("SELECT count(*) FROM big");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0].AsInt(), 2000);
}

// After a failed run: the ledger verifies and agrees with the database, the
// file passes SQLite's integrity check, and 0001-0003 are applied, and 0004
// only if `big_may_be_applied` (its commit went through, what came after
// did not).
void ExpectSmallMigrationsOnly(const TestDatabase& tdb, const BigScenario& scenario,
                               const std::string& dir, bool big_may_be_applied = false) {
  LedgerView view = ExpectLedgerAgreesWithDatabase(tdb, scenario);
  std::set<std::string> small{"0001", "0002", "0003"};
  if (big_may_be_applied && view.applied.count("0004")) small.insert("0004");
  EXPECT_EQ(view.applied, small);
  auto conn = tdb.Connect();
  ASSERT_TRUE(conn);
  auto check = conn->Query("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ((*check)[0][0].AsText(), "ok");
  ProcessResult v = RunCairn(tdb.url(), dir, {"verify"});
  EXPECT_EQ(v.exit_code, 0) << v.out << v.err;
}

TEST(FaultDiskFullTest, FileSizeLimitStopsTheCliWithAClearErrorAndALaterRunCompletes) {
  TempDir dir;
  BigScenario scenario;
  auto tdb = WithBigPending(scenario, dir.path());
  ASSERT_TRUE(tdb);
  const std::string path = tdb->url().substr(std::string("sqlite:").size());
  ProcessResult r;
  const int64_t base_kib = FileSize(path) / 1024;
  ASSERT_GT(base_kib, 0);

  // The real limit at two points, "no growth at all" and "the ledger fits but
  // the data does not" (the byte-by-byte sweep is in-process, through the
  // Env, below): exit codes, the error line and SIGXFSZ are the CLI's and the
  // kernel's own.
  int failures = 0;
  for (int64_t extra_kib : {0, 64}) {
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

    ExpectSmallMigrationsOnly(*tdb, scenario, dir.path());
    if (HasFailure()) return;
  }
  EXPECT_EQ(failures, 2);

  r = RunCairn(tdb->url(), dir.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("applied 0004"));
  ExpectEverythingApplied(*tdb, scenario);
}

// The disk fills after N bytes, for N from nothing to just short of what
// the whole run writes (about 4 MiB through the write-ahead log), each on a
// fresh target: the run stops at every kind of place (opening, the lock
// file, the run's first event, the migration's SQL, its commit, recording
// the failure, the run's end), each time with "full" in its error and exit
// 1 or 4, and loses nothing (0004 may be applied when only what followed
// its commit failed); or, when only what follows the run's last commit
// failed (the state snapshot, a cache), it reports success and all is
// applied.
TEST(FaultDiskFullTest, DiskFullAfterAnyNumberOfBytesLosesNothingAndALaterRunCompletes) {
  TempDir dir;
  BigScenario scenario;
  const uint64_t seed = FaultSeed(18);
  FaultEnv env(seed);
  uint64_t total = 0;  // what a whole run writes
  {
    auto tdb = WithBigPending(scenario, dir.path());
    ASSERT_TRUE(tdb);
    int exit_code = -1;
    ASSERT_EQ(MigrateWithEnv(tdb->url(), dir.path(), env, &exit_code), "");
    total = env.bytes_written();
    ExpectEverythingApplied(*tdb, scenario);
  }
  std::printf("a whole run writes %llu bytes\n", static_cast<unsigned long long>(total));
  // SQLite's writes went through the Env: 2000 rows of 2 KiB.
  ASSERT_GT(total, 4'000'000u);

  std::mt19937_64 rng(seed);
  std::vector<uint64_t> budgets = {0, 1, 100, 4096, 64 << 10, 1 << 20};
  for (uint64_t short_by : {1, 100, 4096, 16 << 10, 64 << 10, 256 << 10})
    budgets.push_back(total - short_by);
  for (int i = 0; i < 6; ++i) budgets.push_back(rng() % total);
  std::set<std::string> errors;  // where the runs stopped, as their errors say
  for (uint64_t budget : budgets) {
    SCOPED_TRACE("disk full after " + std::to_string(budget) + " bytes");
    auto tdb = WithBigPending(scenario, dir.path());
    ASSERT_TRUE(tdb);
    env.ClearFaults();
    env.FailWritesAfterBytes(budget);
    int exit_code = -1;
    const std::string error = MigrateWithEnv(tdb->url(), dir.path(), env, &exit_code);
    std::printf("full after %llu bytes: exit %d: %s\n", static_cast<unsigned long long>(budget),
                exit_code, error.empty() ? "(all applied)" : error.c_str());
    if (exit_code == cli::kExitOk) {
      ExpectEverythingApplied(*tdb, scenario);
    } else {
      EXPECT_THAT(exit_code, AnyOf(cli::kExitMigrationFailed, cli::kExitDatabase)) << error;
      EXPECT_THAT(error, HasSubstr("full")) << "the error should say the disk is full";
      errors.insert(error.substr(0, error.find(": database or disk is full")));
      ExpectSmallMigrationsOnly(*tdb, scenario, dir.path(), /*big_may_be_applied=*/true);
      // With room, the same Env applies 0004.
      env.ClearFaults();
      EXPECT_EQ(MigrateWithEnv(tdb->url(), dir.path(), env, &exit_code), "");
      ExpectEverythingApplied(*tdb, scenario);
    }
    if (HasFailure()) return;
  }
  EXPECT_GE(errors.size(), 2u) << "the runs stopped at too few places";
}

// Every fsync fails (a device error at the commit): the run stops with an
// I/O error instead of reporting a commit the disk did not confirm, and
// nothing is lost; with the device back, the run completes.
TEST(FaultDiskFullTest, FailedFsyncStopsTheRunAndLosesNothing) {
  TempDir dir;
  BigScenario scenario;
  auto tdb = WithBigPending(scenario, dir.path());
  ASSERT_TRUE(tdb);

  FaultEnv env(FaultSeed(18));
  env.FailSyncs(true);
  int exit_code = -1;
  const std::string error = MigrateWithEnv(tdb->url(), dir.path(), env, &exit_code);
  std::printf("fsync fails: exit %d: %s\n", exit_code, error.c_str());
  EXPECT_THAT(exit_code, AnyOf(cli::kExitMigrationFailed, cli::kExitDatabase)) << error;
  EXPECT_THAT(error, HasSubstr("I/O error")) << error;
  EXPECT_GT(env.faults(), 0u);
  ExpectSmallMigrationsOnly(*tdb, scenario, dir.path());

  env.ClearFaults();
  EXPECT_EQ(MigrateWithEnv(tdb->url(), dir.path(), env, &exit_code), "");
  ExpectEverythingApplied(*tdb, scenario);
}

// A --tx none run whose compensation fails on a full disk (exit 8): the
// failed compensation and the RunFinished must still reach the ledger. The
// disk is made full on cairn's own connection by the down section of 0001,
// which caps the file at its current size (`PRAGMA max_page_count = 1`
// cannot go below it) and then inserts 1 MB. Its MigrationFailed carries the
// statement (over 1 KB, so its ledger row needs a page of its own): with the
// file capped and no free page, only the room cairn reserved when the run
// started (cairn_reserve, docs/transactions.md) can take it.
TEST(FaultDiskFullTest, FailedCompensationIsRecordedOnAFullDisk) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  ASSERT_TRUE(tdb);
  TempDir dir;
  const std::string padding(1500, 'x');
  WriteFile(dir.File("0001_t.sql"),
            "-- cairn:up\nCREATE TABLE t (b BLOB);\n-- cairn:down\nPRAGMA max_page_count = 1;\n"
            "INSERT INTO t (b) VALUES (randomblob(1000000)) /* " +
                padding + " */;\n");
  WriteFile(dir.File("0002_f.sql"),
            "-- cairn:up\nINSERT INTO nosuch VALUES (1);\n-- cairn:down\nSELECT 1;\n");

  ProcessResult r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "none"});
  ASSERT_EQ(r.exit_code, cli::kExitCompensationFailed) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("the disk is full: recorded in the room reserved")) << r.err;
  EXPECT_THAT(r.err, HasSubstr("compensation failed")) << r.err;

  // The ledger: 0001's failed down, then the RunFinished saying so.
  std::vector<json> events = History(*tdb, dir.path());
  ASSERT_GE(events.size(), 2u);
  const json& failed = events[events.size() - 2];
  const json& finished = events.back();
  EXPECT_EQ(failed.value("type", ""), "migration_failed") << failed.dump();
  EXPECT_EQ(failed.value("migration_id", ""), "0001");
  EXPECT_EQ(failed.value("direction", ""), "DIRECTION_DOWN");
  EXPECT_THAT(failed.value("error", ""), HasSubstr("full"));
  EXPECT_EQ(finished.value("type", ""), "run_finished") << finished.dump();
  EXPECT_EQ(finished.value("outcome", ""), "RUN_OUTCOME_FAILED");
  EXPECT_THAT(finished.value("error", ""),
              HasSubstr("compensation failed at 0001_t.sql:5: database or disk is full"));
  EXPECT_THAT(finished.value("error", ""), HasSubstr("still applied: 0001"));
  auto conn = tdb->Connect();
  ASSERT_TRUE(conn);
  auto reserve = conn->Query("SELECT count(*) FROM cairn_reserve");
  ASSERT_TRUE(reserve.ok()) << reserve.status().ToString();
  EXPECT_EQ((*reserve)[0][0].AsInt(), 0) << "the disk was not full: the reserve was not used";

  // status names the failed compensation; the chain verifies.
  json st = StatusJson(*tdb, dir.path());
  EXPECT_EQ(StateOf(st, "0001"), "applied");
  EXPECT_EQ(StateOf(st, "0002"), "failed");
  ASSERT_EQ(st["problems"].size(), 1u) << st.dump(2);
  EXPECT_THAT(st["problems"][0].get<std::string>(),
              HasSubstr("compensation failed: run " + finished.value("run_id", "")));
  EXPECT_THAT(st["problems"][0].get<std::string>(), HasSubstr("migration 0001 (t)"));
  ProcessResult text = RunCairn(tdb->url(), dir.path(), {"status"});
  EXPECT_THAT(text.out, HasSubstr("warning: compensation failed")) << text.out;
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"verify"}).exit_code, 0);

  // Space is back (a new connection has no cap) and 0002 is fixed: the next
  // migrate finishes, with nothing left to report, and reserves room again.
  WriteFile(dir.File("0002_f.sql"),
            "-- cairn:up\nCREATE TABLE f (id INTEGER);\n-- cairn:down\nDROP TABLE f;\n");
  r = RunCairn(tdb->url(), dir.path(), {"migrate", "--tx", "none"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  st = StatusJson(*tdb, dir.path());
  EXPECT_EQ(StateOf(st, "0002"), "applied");
  EXPECT_TRUE(st["problems"].empty()) << st.dump(2);
  EXPECT_TRUE(TableExists(*conn, "f"));
  reserve = conn->Query("SELECT count(*) FROM cairn_reserve");
  ASSERT_TRUE(reserve.ok());
  EXPECT_EQ((*reserve)[0][0].AsInt(), 1);
  EXPECT_EQ(RunCairn(tdb->url(), dir.path(), {"verify"}).exit_code, 0);
}

}  // namespace
}  // namespace cairn::testing

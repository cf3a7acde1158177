// The `cairn` executable loads neither gRPC nor libpq up front
// (clients/net_exec.h, ledger/src/db/postgres_loader.cc): what needs them
// is handed to cairn-net or loads the module cairn-pg.so (which registers
// the PostgreSQL backend in cairn's backend registry), both found beside
// `cairn` or through $CAIRN_NET / $CAIRN_PG_MODULE. These tests pin down the
// split and its failure messages; the rest of the suite, which runs every
// PostgreSQL and server case through `cairn`, shows that the handover works.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

constexpr char kMissing[] = "/nonexistent/cairn-missing";

std::string WriteMigration(const TempDir& dir) {
  const std::string migrations = dir.File("migrations");
  std::filesystem::create_directories(migrations);
  std::ofstream(migrations + "/0001_t.sql")
      << "-- cairn:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n"
         "-- cairn:down\nDROP TABLE t;\n";
  return migrations;
}

TEST(ClientsExecutablesTest, CairnNeedsNeitherLibpqNorGrpc) {
  ProcessResult r = RunProcess({"/usr/bin/readelf", "-d", CairnBinary()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("libsqlite3"), std::string::npos) << r.out;  // the output is the one read
  for (const char* lib : {"libpq", "libgrpc", "libabsl", "libgssapi", "libldap"})
    EXPECT_EQ(r.out.find(lib), std::string::npos) << lib << " is loaded at start:\n" << r.out;
}

TEST(ClientsExecutablesTest, SqliteRunsWithoutThePostgresModule) {
  TempDir dir;
  const std::string migrations = WriteMigration(dir);
  const std::string url = "sqlite:" + dir.File("a.db");
  ProcessResult r = RunProcess({CairnBinary(), "--database", url, "--dir", migrations, "migrate"},
                               {{"CAIRN_PG_MODULE", kMissing}, {"CAIRN_NET", kMissing}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = RunProcess({CairnBinary(), "--database", url, "--dir", migrations, "status", "--json"},
                 {{"CAIRN_PG_MODULE", kMissing}, {"CAIRN_NET", kMissing}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("\"0001\""), std::string::npos) << r.out;
}

TEST(ClientsExecutablesTest, PostgresWithoutTheModuleFailsNamingIt) {
  TempDir dir;
  const std::string migrations = WriteMigration(dir);
  ProcessResult r = RunProcess({CairnBinary(), "--database", "postgresql://127.0.0.1:1/none",
                                "--dir", migrations, "migrate"},
                               {{"CAIRN_PG_MODULE", kMissing}});
  EXPECT_EQ(r.exit_code, 4) << r.err;  // kExitDatabase, as for any target that cannot be opened
  EXPECT_NE(r.err.find("PostgreSQL support could not be loaded"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(kMissing), std::string::npos) << r.err;
  // The backend registry's error: the scheme `cairn` found no backend for.
  EXPECT_NE(r.err.find("database scheme 'postgresql'"), std::string::npos) << r.err;
}

TEST(ClientsExecutablesTest, ServerCommandsAreHandedToCairnNet) {
  TempDir dir;
  const std::string url = "sqlite:" + dir.File("a.db");
  const std::vector<std::vector<std::string>> commands = {
      {"subscribe", "--server", "127.0.0.1:1"},
      {"history", "--server", "127.0.0.1:1"},
      {"export", "--server=127.0.0.1:1", "--format", "jsonl"},
      {"serve", "--listen", "127.0.0.1:0"},
  };
  for (const auto& args : commands) {
    std::vector<std::string> argv{CairnBinary(), "--database", url};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult r = RunProcess(argv, {{"CAIRN_NET", kMissing}});
    EXPECT_EQ(r.exit_code, 70) << args[0] << ": " << r.err;  // kExitInternal
    EXPECT_NE(r.err.find("cairn-net"), std::string::npos) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find(kMissing), std::string::npos) << args[0] << ": " << r.err;
  }
  // Without the override cairn-net is found beside cairn and does the work:
  // here, it reports the refused connection (kExitDatabase).
  ProcessResult r =
      RunProcess({CairnBinary(), "--database", url, "history", "--server", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("server 127.0.0.1:1"), std::string::npos) << r.err;
}

TEST(ClientsExecutablesTest, UsageErrorsNeverReachCairnNet) {
  ProcessResult r = RunProcess({CairnBinary(), "subscribe", "--server", "x", "--no-such-flag"},
                               {{"CAIRN_NET", kMissing}});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // kExitUsage, from cairn's own parser
  EXPECT_EQ(r.err.find("cairn-net"), std::string::npos) << r.err;
  r = RunProcess({CairnBinary(), "history", "--help"}, {{"CAIRN_NET", kMissing}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--server"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn::testing

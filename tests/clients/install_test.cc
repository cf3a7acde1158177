// `cmake --install` (cmake/CairnInstall.cmake, docs/install.md): the
// installed tree under a temporary prefix is checked file by file, and the
// installed `cairn` (through the bin/ symlink, so it must find cairn-net and
// cairn-pg.so relative to its real location) migrates real databases.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

class ClientsInstallTest : public ::testing::Test {
 protected:
  // One install for the suite: stripping two 100 MB files takes a moment.
  static void SetUpTestSuite() {
    prefix_ = new TempDir();
    install_ = new ProcessResult(RunProcess(
        {CAIRN_CMAKE, "--install", CAIRN_BUILD_ROOT, "--prefix", prefix_->path(), "--strip"}));
  }
  static void TearDownTestSuite() {
    delete install_;
    delete prefix_;
  }
  void SetUp() override { ASSERT_EQ(install_->exit_code, 0) << install_->out << install_->err; }
  static std::string P(const std::string& rel) { return prefix_->File(rel); }
  static std::string Cairn() { return P("bin/cairn"); }

  // The installed cairn, with no override pointing back into the build tree.
  static ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), Cairn());
    return RunProcess(args, {{"CAIRN_NET", ""}, {"CAIRN_PG_MODULE", ""}});
  }

  static std::string WriteMigrations(const TempDir& dir) {
    const std::string migrations = dir.File("migrations");
    fs::create_directories(migrations);
    std::ofstream(migrations + "/0001_t.sql")
        << "-- cairn:up\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n"
           "-- cairn:down\nDROP TABLE t;\n";
    return migrations;
  }

  static TempDir* prefix_;
  static ProcessResult* install_;
};
TempDir* ClientsInstallTest::prefix_ = nullptr;
ProcessResult* ClientsInstallTest::install_ = nullptr;

TEST_F(ClientsInstallTest, LaysOutTheFiles) {
  EXPECT_TRUE(fs::is_symlink(Cairn()));
  EXPECT_EQ(fs::read_symlink(Cairn()).string(), "../lib/cairn/cairn");
  for (const char* f :
       {"lib/cairn/cairn", "lib/cairn/cairn-net", "lib/cairn/cairn-pg.so", "share/man/man1/cairn.1",
        "share/bash-completion/completions/cairn", "share/zsh/vendor-completions/_cairn",
        "share/fish/vendor_completions.d/cairn.fish"})
    EXPECT_TRUE(fs::is_regular_file(P(f))) << f << " not installed";
  EXPECT_FALSE(fs::exists(P("bin/cairn-net")));
  EXPECT_FALSE(fs::exists(P("bin/cairn-pg.so")));
}

TEST_F(ClientsInstallTest, InstalledFilesAreStripped) {
  for (const char* f : {"lib/cairn/cairn", "lib/cairn/cairn-net", "lib/cairn/cairn-pg.so"}) {
    ProcessResult r = RunProcess({"/usr/bin/readelf", "-S", "-W", P(f)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(".text"), std::string::npos) << r.out;  // the output is the one read
    EXPECT_EQ(r.out.find(".debug_info"), std::string::npos) << f << " keeps debug info";
    EXPECT_EQ(r.out.find(".symtab"), std::string::npos) << f << " keeps its symbol table";
  }
  // The build's own cairn keeps its debug info (RelWithDebInfo).
  ProcessResult r = RunProcess({"/usr/bin/readelf", "-S", "-W", CairnBinary()});
  EXPECT_NE(r.out.find(".debug_info"), std::string::npos);
}

TEST_F(ClientsInstallTest, VersionAndHelp) {
  ProcessResult r = Run({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("cairn " CAIRN_PROJECT_VERSION " (commit ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("SQLite 3."), std::string::npos) << r.out;
  r = Run({"help", "migrate"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("--tx"), std::string::npos) << r.out;
}

TEST_F(ClientsInstallTest, MigratesSqlite) {
  TempDir dir;
  const std::string migrations = WriteMigrations(dir);
  const std::string url = "sqlite:" + dir.File("a.db");
  ProcessResult r = Run({"--database", url, "--dir", migrations, "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("applied 0001"), std::string::npos) << r.out;
  r = Run({"--database", url, "--dir", migrations, "verify"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST_F(ClientsInstallTest, MigratesPostgresThroughTheInstalledModule) {
  auto tdb = TestDatabase::Create(db::Backend::kPostgres);
  if (!tdb) return;
  TempDir dir;
  const std::string migrations = WriteMigrations(dir);
  ProcessResult r = Run({"--database", tdb->url(), "--dir", migrations, "migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("applied 0001"), std::string::npos) << r.out;
}

TEST_F(ClientsInstallTest, ServerCommandsRunInTheInstalledCairnNet) {
  // A refused connection is reported by cairn-net (exit 4 naming the server),
  // not by a failed exec (exit 70).
  TempDir dir;
  ProcessResult r =
      Run({"--database", "sqlite:" + dir.File("a.db"), "history", "--server", "127.0.0.1:1"});
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_NE(r.err.find("server 127.0.0.1:1"), std::string::npos) << r.err;
}

TEST_F(ClientsInstallTest, BashCompletionOffersCommandsAndOptions) {
  const std::string script = P("share/bash-completion/completions/cairn");
  auto complete = [&](const std::string& words, int cword) {
    ProcessResult r = RunProcess(
        {"/bin/bash", "-c",
         "source \"$0\"; COMP_WORDS=(" + words + "); COMP_CWORD=" + std::to_string(cword) +
             "; _cairn; printf '%s\\n' \"${COMPREPLY[@]}\"",
         script},
        {{"CAIRN_NET", ""}, {"CAIRN_PG_MODULE", ""}});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  EXPECT_EQ(complete(Cairn() + " sta", 1), "status\n");
  EXPECT_NE(complete(Cairn() + " rollback --st", 2).find("--steps\n"), std::string::npos);
  EXPECT_NE(complete(Cairn() + " migrate --tx ''", 3).find("per-migration\n"), std::string::npos);
}

// `cpack -G DEB` (docs/install.md): the package's name, its declared
// libraries, and its tree unpacked into a throwaway root, whose cairn runs.
TEST(ClientsDebianPackageTest, DeclaresItsLibrariesAndRunsUnpacked) {
  TempDir out;
  ProcessResult r =
      RunProcess({CAIRN_CPACK, "-G", "DEB", "--config",
                  std::string(CAIRN_BUILD_ROOT) + "/CPackConfig.cmake", "-B", out.path()});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string deb = out.File("cairn_" CAIRN_PROJECT_VERSION "_amd64.deb");
  ASSERT_TRUE(fs::exists(deb)) << r.out;

  r = RunProcess({"/usr/bin/dpkg-deb", "--field", deb, "Depends"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* lib :
       {"libsqlite3-0", "libpqxx-", "libgrpc++", "libprotobuf", "libssl3", "libstdc++6"})
    EXPECT_NE(r.out.find(lib), std::string::npos) << lib << " not in Depends: " << r.out;

  r = RunProcess({"/usr/bin/dpkg-deb", "--extract", deb, out.File("root")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cairn = out.File("root/usr/bin/cairn");
  EXPECT_EQ(fs::read_symlink(cairn).string(), "../lib/cairn/cairn");
  EXPECT_TRUE(fs::exists(out.File("root/usr/share/man/man1/cairn.1")));
  const std::map<std::string, std::string> env{{"CAIRN_NET", ""}, {"CAIRN_PG_MODULE", ""}};
  r = RunProcess({cairn, "--version"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  TempDir dir;
  const std::string migrations = dir.File("migrations");
  fs::create_directories(migrations);
  std::ofstream(migrations + "/0001_t.sql") << "-- cairn:up\nCREATE TABLE t (id INTEGER);\n";
  r = RunProcess({cairn, "-d", "sqlite:" + dir.File("a.db"), "--dir", migrations, "migrate"}, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("applied 0001"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cairn::testing

// Project settings (docs/config.md): cairn.toml found from a subdirectory,
// paths relative to it, [env.NAME] blocks, .env, the precedence of flags,
// environment, .env and file, ${VAR}, secrets masked by `cairn config`,
// errors naming file and line, and protected environments. The real `cairn`
// binary runs as a child process in a chosen working directory.
#include <gmock/gmock.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
namespace fs = std::filesystem;

// Runs cairn in `cwd` with exactly the settings variables in `env` (the
// test process's own DATABASE_URL, CAIRN_ENV and CAIRN_CONFIG are removed).
ProcessResult CairnIn(const std::string& cwd, const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {}) {
  std::vector<std::string> argv{"/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", cwd, "/usr/bin/env"};
  for (const char* var : {"DATABASE_URL", "CAIRN_ENV", "CAIRN_CONFIG"})
    if (!env.count(var)) {
      argv.push_back("-u");
      argv.push_back(var);
    }
  argv.push_back(CairnBinary());
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, env);
}

void Write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

nlohmann::json ConfigJson(const std::string& cwd, std::vector<std::string> args = {},
                          const std::map<std::string, std::string>& env = {}) {
  args.push_back("config");
  args.push_back("--json");
  ProcessResult r = CairnIn(cwd, args, env);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
}

class ClientsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    project_ = fs::path(dir_.path()) / "project";
    Write(project_ / "db/migrations/0001_a.sql",
          "-- cairn:up\nCREATE TABLE a (id INTEGER);\n-- cairn:down\nDROP TABLE a;\n");
    fs::create_directories(project_ / "data");
    fs::create_directories(project_ / "src/deep");
  }
  TempDir dir_;
  fs::path project_;
};

TEST_F(ClientsConfigTest, FoundFromASubdirectoryWithPathsRelativeToTheFile) {
  Write(project_ / "cairn.toml",
        "# the project\ndatabase = \"sqlite:data/app.db\"\ndir = \"db/migrations\"\n");
  ProcessResult r = CairnIn((project_ / "src/deep").string(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(project_ / "data/app.db"));
  EXPECT_FALSE(fs::exists(project_ / "src/deep/data"));
  r = CairnIn(project_.string(), {"status"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0001"));

  auto j = ConfigJson((project_ / "src").string());
  EXPECT_EQ(j["config_file"], (project_ / "cairn.toml").string());
  EXPECT_EQ(j["settings"]["database"]["value"], "sqlite:" + (project_ / "data/app.db").string());
  EXPECT_EQ(j["settings"]["database"]["source"], (project_ / "cairn.toml").string() + ":2");
  EXPECT_EQ(j["settings"]["dir"]["value"], (project_ / "db/migrations").string());
  EXPECT_EQ(j["settings"]["lock_timeout"]["source"], "default");
}

TEST_F(ClientsConfigTest, FlagsThenEnvironmentThenDotEnvThenTheFile) {
  Write(project_ / "cairn.toml", "database = \"sqlite:toml.db\"\n");
  Write(project_ / ".env", "# local\nexport DATABASE_URL=\"sqlite:dotenv.db\"\n");
  const std::string cwd = project_.string();
  EXPECT_EQ(ConfigJson(cwd)["settings"]["database"]["source"], ".env:2");
  EXPECT_EQ(ConfigJson(cwd)["settings"]["database"]["value"], "sqlite:dotenv.db");
  auto j = ConfigJson(cwd, {}, {{"DATABASE_URL", "sqlite:env.db"}});
  EXPECT_EQ(j["settings"]["database"]["value"], "sqlite:env.db");
  EXPECT_EQ(j["settings"]["database"]["source"], "$DATABASE_URL");
  j = ConfigJson(cwd, {"-d", "sqlite:flag.db"}, {{"DATABASE_URL", "sqlite:env.db"}});
  EXPECT_EQ(j["settings"]["database"]["value"], "sqlite:flag.db");
  EXPECT_EQ(j["settings"]["database"]["source"], "--database");
  fs::remove(project_ / ".env");
  EXPECT_EQ(ConfigJson(cwd)["settings"]["database"]["value"],
            "sqlite:" + (project_ / "toml.db").string());
}

TEST_F(ClientsConfigTest, EnvironmentBlocksAndSecretsFromTheEnvironment) {
  Write(project_ / "cairn.toml",
        "database = \"sqlite:dev.db\"\nlock_timeout = \"30s\"\n\n[env.staging]\n"
        "database = \"postgres://cairn:${STAGING_PW}@staging-db:5432/campus\"\n"
        "lock_timeout = \"5s\"\n\n[env.production]\ndatabase = \"postgres://db1/campus\"\n");
  const std::string cwd = project_.string();
  auto j = ConfigJson(cwd, {"--env", "staging"}, {{"STAGING_PW", "s3cret-pw"}});
  EXPECT_EQ(j["settings"]["lock_timeout"]["value"], "5s");
  EXPECT_THAT(j["settings"]["lock_timeout"]["source"].get<std::string>(),
              HasSubstr("cairn.toml:6 [env.staging]"));
  // The password never appears; the rest of the URL does.
  ProcessResult text = CairnIn(cwd, {"config", "--env", "staging"}, {{"STAGING_PW", "s3cret-pw"}});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("postgres://cairn:***@staging-db:5432/campus"));
  EXPECT_EQ(text.out.find("s3cret-pw"), std::string::npos) << text.out;
  EXPECT_EQ(j.dump().find("s3cret-pw"), std::string::npos);

  // An unset variable, an environment the file lacks: one line, exit 2.
  ProcessResult r = CairnIn(cwd, {"status", "--env", "staging"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, StartsWith("cairn: error: " + (project_ / "cairn.toml").string() + ":5: "));
  EXPECT_THAT(r.err, HasSubstr("${STAGING_PW}, which is not set"));
  r = CairnIn(cwd, {"status"}, {{"CAIRN_ENV", "qa"}});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("defines no [env.qa] (it defines: production, staging)"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

TEST_F(ClientsConfigTest, ATypoOrAWrongTypeNamesTheFileAndLine) {
  const std::string cwd = project_.string();
  Write(project_ / "cairn.toml", "dir = \"db/migrations\"\ndatabse = \"sqlite:x.db\"\n");
  ProcessResult r = CairnIn(cwd, {"status"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "cairn: error: " + (project_ / "cairn.toml").string() +
                       ":2: unknown key 'databse' (expected database, dir, format, stream, "
                       "lock_timeout, protected_environments, [lint] or [env.NAME])\n");
  Write(project_ / "cairn.toml", "lock_timeout = 30\n");
  r = CairnIn(cwd, {"status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cairn.toml:1: 'lock_timeout' must be a string"));
  Write(project_ / "cairn.toml", "format = \"sqitch\"\n");
  r = CairnIn(cwd, {"status", "-d", "sqlite:x.db"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("format 'sqitch' is not one of"));
  Write(project_ / "cairn.toml", "database = [\n");
  r = CairnIn(cwd, {"status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cairn.toml:"));
  r = CairnIn(cwd, {"--config", "nope.toml", "status"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "cairn: error: --config nope.toml: no such file\n");
}

TEST_F(ClientsConfigTest, ProtectedEnvironmentsGetThePreflightWhateverTheirCase) {
  Write(project_ / "cairn.toml", "database = \"sqlite:data/app.db\"\ndir = \"db/migrations\"\n");
  const std::string cwd = project_.string();
  // No terminal and no --yes: refused before anything runs, naming why.
  for (const auto& [args, env] :
       std::vector<std::pair<std::vector<std::string>, std::map<std::string, std::string>>>{
           {{"migrate", "--env", "Production"}, {}},
           {{"migrate"}, {{"CAIRN_ENV", "PROD"}}},
           {{"--env", "live", "migrate"}, {}}}) {
    ProcessResult r = CairnIn(cwd, args, env);
    EXPECT_EQ(r.exit_code, 11) << r.err;
    EXPECT_THAT(r.out, HasSubstr("protected by default: production, prod, prd, live"));
  }
  ProcessResult status = CairnIn(cwd, {"status", "--json"});
  EXPECT_THAT(status.out, HasSubstr("\"pending\": 1")) << status.out << status.err;
  // The file's list replaces the default one.
  Write(project_ / "cairn.toml",
        "database = \"sqlite:data/app.db\"\ndir = \"db/migrations\"\n"
        "protected_environments = [\"campus-live\"]\n");
  ProcessResult r = CairnIn(cwd, {"migrate", "--env", "CAMPUS-LIVE"});
  EXPECT_EQ(r.exit_code, 11) << r.err;
  EXPECT_THAT(r.out, HasSubstr("protected by " + (project_ / "cairn.toml").string() +
                               ":3 protected_environments"));
  r = CairnIn(cwd, {"migrate", "--env", "production"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(ClientsConfigTest, ConfigShowsTheLintTableAndWhereItIs) {
  const std::string cwd = project_.string();
  Write(project_ / "cairn.toml", "dir = \"db/migrations\"\n");
  ProcessResult r = CairnIn(cwd, {"config"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("lint                    (not set: no [lint] table)"));
  EXPECT_EQ(ConfigJson(cwd)["lint"]["source"], "");

  Write(project_ / "cairn.toml",
        "dir = \"db/migrations\"\n\n[lint]\ndisable = [\"renaming-column\"]\n"
        "pg_version = 14\nignore = [\"legacy/*.sql\"]\n\n[lint.severity]\n"
        "drop-column = \"warning\"\n");
  r = CairnIn(cwd, {"config"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cairn.toml:3 [lint]"));
  EXPECT_THAT(r.out, HasSubstr("  disable               renaming-column\n"));
  EXPECT_THAT(r.out, HasSubstr("  pg_version            14\n"));
  EXPECT_THAT(r.out, HasSubstr("  ignore                legacy/*.sql\n"));
  EXPECT_THAT(r.out, HasSubstr("  severity.drop-column  warning\n"));
  auto j = ConfigJson(cwd);
  EXPECT_THAT(j["lint"]["source"].get<std::string>(), HasSubstr("cairn.toml:3 [lint]"));
  EXPECT_EQ(j["lint"]["value"]["pg_version"], "14");
  EXPECT_EQ(j["lint"]["value"]["severity.drop-column"], "warning");
}

}  // namespace
}  // namespace cairn::testing

// cairn lint's output and settings (docs/lint.md): columns, SARIF 2.1.0 and
// GitHub Actions annotations parsed back; file-wide silencing; severities,
// disabled rules and ignored paths; creations of earlier unapplied
// migrations exempting later ones.
#include <gmock/gmock.h>

#include <filesystem>
#include <map>
#include <set>

#include "cairn/runner/lint.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kTimeout = "SET lock_timeout = '2s';\n";

runner::LintResult Lint(const std::string& text, const runner::LintOptions& options = {}) {
  auto r = runner::LintMigrationText("db/m 1.sql", text, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : runner::LintResult{};
}

// (line, column, rule)
std::vector<std::tuple<int, int, std::string>> Positions(const runner::LintResult& r) {
  std::vector<std::tuple<int, int, std::string>> out;
  for (const auto& f : r.findings) out.emplace_back(f.line, f.column, f.rule);
  return out;
}

TEST(RunnerLintOutputTest, ColumnsCountCodePointsFromTheLineStart) {
  // Line 3 holds two statements: the second's finding is at its column on
  // the line, not in the statement. Multibyte text before it counts once
  // per character.
  const runner::LintResult r = Lint(std::string("-- cairn:up\n") + kTimeout +
                                    "SELECT 'héllo'; /* é */ DROP TABLE a;\n"
                                    "ALTER TABLE users\n"
                                    "  ADD COLUMN a text, ALTER COLUMN b TYPE bigint;\n"
                                    "  DROP TABLE b;\n");
  EXPECT_THAT(Positions(r),
              ::testing::ElementsAre(std::make_tuple(3, 25, std::string("drop-table")),
                                     std::make_tuple(5, 22, std::string("column-type-change")),
                                     std::make_tuple(6, 3, std::string("drop-table"))));
  // The text line names the column.
  EXPECT_EQ(runner::LintTextLine(r.findings[0]),
            "db/m 1.sql:3:25: drop-table: DROP TABLE a destroys the table and its data");
}

// The SARIF 2.1.0 schema's required properties, and what code-scanning
// services read (GitHub: ruleId, level, message, physical location).
void ExpectValidSarif(const json& s) {
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["version"], "2.1.0");
  EXPECT_THAT(s["$schema"].get<std::string>(), HasSubstr("sarif-2.1.0"));
  ASSERT_TRUE(s["runs"].is_array());
  ASSERT_EQ(s["runs"].size(), 1u);
  const json& run = s["runs"][0];
  const json& driver = run["tool"]["driver"];
  EXPECT_EQ(driver["name"], "cairn");
  ASSERT_TRUE(driver["rules"].is_array());
  std::set<std::string> ids;
  for (const json& rule : driver["rules"]) {
    ASSERT_TRUE(rule["id"].is_string());
    EXPECT_TRUE(ids.insert(rule["id"].get<std::string>()).second) << rule["id"];
    EXPECT_TRUE(rule["shortDescription"]["text"].is_string());
    EXPECT_THAT(rule["defaultConfiguration"]["level"].get<std::string>(),
                ::testing::AnyOf("error", "warning", "note"));
  }
  EXPECT_EQ(ids.size(), runner::LintRules().size());
  EXPECT_EQ(run["columnKind"], "unicodeCodePoints");
  ASSERT_TRUE(run["results"].is_array());
  for (const json& res : run["results"]) {
    ASSERT_TRUE(res["ruleId"].is_string());
    EXPECT_TRUE(ids.count(res["ruleId"].get<std::string>()));
    // ruleIndex points at the rule of the same id.
    EXPECT_EQ(driver["rules"][res["ruleIndex"].get<size_t>()]["id"], res["ruleId"]);
    EXPECT_THAT(res["level"].get<std::string>(), ::testing::AnyOf("error", "warning", "note"));
    EXPECT_TRUE(res["message"]["text"].is_string());
    ASSERT_TRUE(res["locations"].is_array());
    ASSERT_EQ(res["locations"].size(), 1u);
    const json& loc = res["locations"][0]["physicalLocation"];
    EXPECT_TRUE(loc["artifactLocation"]["uri"].is_string());
    EXPECT_GE(loc["region"]["startLine"].get<int>(), 1);
    EXPECT_GE(loc["region"]["startColumn"].get<int>(), 1);
  }
}

TEST(RunnerLintOutputTest, SarifHasTheRequiredStructure) {
  runner::LintOptions hints;
  hints.enable = {"prefer-bigint-over-int"};
  runner::LintResult r =
      Lint(std::string("-- cairn:up\n") + kTimeout +
               "CREATE TABLE t (n int);\nDROP TABLE old;\nCREATE INDEX i ON users (x);\n",
           hints);
  ASSERT_EQ(r.findings.size(), 3u);
  const json s = json::parse(runner::LintSarif(r, "1.2.3"));
  ExpectValidSarif(s);
  EXPECT_EQ(s["runs"][0]["tool"]["driver"]["version"], "1.2.3");
  const json& results = s["runs"][0]["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["ruleId"], "prefer-bigint-over-int");
  EXPECT_EQ(results[0]["level"], "note");  // a hint
  EXPECT_EQ(results[1]["ruleId"], "drop-table");
  EXPECT_EQ(results[1]["level"], "error");
  const json& loc = results[1]["locations"][0]["physicalLocation"];
  EXPECT_EQ(loc["artifactLocation"]["uri"], "db/m%201.sql");  // relative, percent-encoded
  EXPECT_EQ(loc["region"]["startLine"], 4);
  EXPECT_EQ(loc["region"]["startColumn"], 1);
  EXPECT_EQ(results[1]["properties"]["table"], "old");
  // No findings: still a valid log with an empty results array.
  ExpectValidSarif(json::parse(runner::LintSarif({}, "1.2.3")));
}

// Parses `::CMD k=v,k=v::MESSAGE` and undoes GitHub's escaping.
struct Annotation {
  std::string command, message;
  std::map<std::string, std::string> props;
};
std::string Unescape(std::string s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}
std::vector<Annotation> ParseAnnotations(const std::string& text) {
  std::vector<Annotation> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    EXPECT_EQ(line.substr(0, 2), "::") << line;
    const size_t space = line.find(' '), sep = line.find("::", 2);
    EXPECT_NE(sep, std::string::npos) << line;
    Annotation a;
    a.command = line.substr(2, space - 2);
    a.message = Unescape(line.substr(sep + 2));
    std::string props = line.substr(space + 1, sep - space - 1);
    std::istringstream ps(props);
    std::string kv;
    // Escaped values hold no raw ',' or ':', so splitting on them is exact.
    while (std::getline(ps, kv, ',')) {
      EXPECT_EQ(kv.find(':'), std::string::npos) << kv;
      const size_t eq = kv.find('=');
      a.props[kv.substr(0, eq)] = Unescape(kv.substr(eq + 1));
    }
    out.push_back(a);
  }
  return out;
}

TEST(RunnerLintOutputTest, GithubAnnotationsEscapeAsTheToolkitDoes) {
  runner::LintResult r;
  runner::LintFinding f;
  f.file = "db/a,b:c%.sql";
  f.line = 7;
  f.column = 3;
  f.rule = "drop-table";
  f.severity = "error";
  f.message = "100% gone:\r\nreally, gone";
  r.findings.push_back(f);
  f.severity = "warning";
  r.findings.push_back(f);
  f.severity = "hint";
  r.findings.push_back(f);
  const std::string out = runner::LintGithubAnnotations(r);
  EXPECT_THAT(out, HasSubstr("::error file=db/a%2Cb%3Ac%25.sql,line=7,col=3,title=drop-table::"
                             "100%25 gone:%0D%0Areally, gone\n"));
  const std::vector<Annotation> parsed = ParseAnnotations(out);
  ASSERT_EQ(parsed.size(), 3u);
  EXPECT_EQ(parsed[0].command, "error");
  EXPECT_EQ(parsed[1].command, "warning");
  EXPECT_EQ(parsed[2].command, "notice");
  for (const Annotation& a : parsed) {
    EXPECT_EQ(a.props.at("file"), f.file);
    EXPECT_EQ(a.props.at("line"), "7");
    EXPECT_EQ(a.props.at("col"), "3");
    EXPECT_EQ(a.props.at("title"), "drop-table");
    EXPECT_EQ(a.message, f.message);
  }
}

TEST(RunnerLintOutputTest, CliSarifAndGithubFlags) {
  TempDir dir;
  WriteFile(dir.File("0001_t.sql"),
            std::string("-- cairn:up\n") + kTimeout + "ALTER TABLE users DROP COLUMN legacy;\n");
  ProcessResult r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--sarif"});
  EXPECT_EQ(r.exit_code, 12) << r.err;
  const json s = json::parse(r.out);
  ExpectValidSarif(s);
  ASSERT_EQ(s["runs"][0]["results"].size(), 1u);
  EXPECT_EQ(s["runs"][0]["results"][0]["ruleId"], "drop-column");
  const json& region = s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"];
  EXPECT_EQ(region["startLine"], 3);
  EXPECT_EQ(region["startColumn"], 19);

  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--github"});
  EXPECT_EQ(r.exit_code, 12) << r.err;
  const std::vector<Annotation> a = ParseAnnotations(r.out);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].command, "error");
  EXPECT_EQ(a[0].props.at("file"), dir.File("0001_t.sql"));
  EXPECT_EQ(a[0].props.at("line"), "3");
  EXPECT_EQ(a[0].props.at("col"), "19");
  EXPECT_EQ(a[0].props.at("title"), "drop-column");

  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--json"});
  EXPECT_EQ(json::parse(r.out)["findings"][0]["column"], 19);
  // --enable and --disable take one rule each: files may follow them.
  r = RunProcess({CairnBinary(), "lint", "--json", "--enable", "all", "--disable", "drop-table",
                  dir.File("0001_t.sql")});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_EQ(json::parse(r.out)["files"], 1);
  // One output format at a time.
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--sarif", "--github"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("excludes"));
}

TEST(RunnerLintOutputTest, LintIgnoreFileSilencesARuleOrEveryRuleInTheFile) {
  const std::string up =
      std::string("-- cairn:up\n") + kTimeout + "DROP TABLE a;\nALTER TABLE users DROP COLUMN b;\n";
  EXPECT_EQ(Lint(up).findings.size(), 2u);
  runner::LintResult r = Lint("-- cairn:lint-ignore-file drop-table archived in #12\n" + up);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "drop-column");
  EXPECT_EQ(r.silenced, 1);
  // squawk's name; and at the end of the file.
  r = Lint(up + "-- cairn:lint-ignore-file ban-drop-column\n");
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "drop-table");
  r = Lint("-- cairn:lint-ignore-file all not a PostgreSQL file\n" + up);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_EQ(r.silenced, 2);
  auto bad = runner::LintMigrationText("m.sql", "-- cairn:lint-ignore-file drop-tabel\n" + up);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("m.sql:1: cairn:lint-ignore-file names unknown rule 'drop-tabel'"));
}

TEST(RunnerLintOutputTest, SeveritiesAndDisabledRules) {
  const std::string up = std::string("-- cairn:up\n") + kTimeout +
                         "DROP TABLE a;\nALTER TABLE users DROP COLUMN b;\n"
                         "CREATE TABLE t (name varchar(10));\n";
  runner::LintOptions o;
  o.severity = {{"drop-table", "warning"},        // an error made a warning
                {"ban-drop-column", "hint"},      // squawk's name; a hint is off
                {"prefer-text-field", "error"}};  // a hint made an error is on
  runner::LintResult r = Lint(up, o);
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].rule, "drop-table");
  EXPECT_EQ(r.findings[0].severity, "warning");
  EXPECT_EQ(r.findings[1].rule, "prefer-text-field");
  EXPECT_EQ(r.findings[1].severity, "error");
  // A rule made a hint reports when enabled, as a hint.
  o.enable = {"drop-column"};
  r = Lint(up, o);
  ASSERT_EQ(r.findings.size(), 3u);
  EXPECT_EQ(r.findings[1].severity, "hint");
  // Disabled beats everything.
  o.disable = {"drop-table", "prefer-text-field", "drop-column"};
  EXPECT_TRUE(Lint(up, o).findings.empty());
  // Unknown names and levels are errors naming them.
  runner::LintOptions bad;
  bad.severity = {{"drop-table", "fatal"}};
  EXPECT_THAT(runner::LintMigrationText("m.sql", up, bad).status().message(),
              HasSubstr("lint severity of drop-table: 'fatal' is not error, warning or hint"));
  bad.severity.clear();
  bad.disable = {"nope"};
  EXPECT_THAT(runner::LintMigrationText("m.sql", up, bad).status().message(),
              HasSubstr("--disable: unknown lint rule 'nope'"));
}

TEST(RunnerLintOutputTest, IgnoredPathsAreNotReported) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("db/legacy"));
  const std::string bad = std::string("-- cairn:up\n") + kTimeout + "DROP TABLE a;\n";
  WriteFile(dir.File("db/legacy/0001_old.sql"), bad);
  WriteFile(dir.File("db/0002_new.sql"), bad);
  WriteFile(dir.File("db/0003_seed.sql"), bad);
  const std::vector<std::string> files = {dir.File("db/legacy/0001_old.sql"),
                                          dir.File("db/0002_new.sql"),
                                          dir.File("db/0003_seed.sql")};
  runner::LintOptions o;
  o.ignore = {"db/legacy/*.sql", "*_seed.sql"};
  o.ignore_base = dir.path();
  auto r = runner::LintFiles(files, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].file, dir.File("db/0002_new.sql"));
  EXPECT_EQ(r->ignored_files, 2);
  EXPECT_EQ(r->files, 1);
  // A path pattern does not match across directories ("db/*.sql" is not
  // db/legacy/...), and it is relative to ignore_base.
  o.ignore = {"db/*.sql"};
  r = runner::LintFiles(files, o);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].file, dir.File("db/legacy/0001_old.sql"));
}

TEST(RunnerLintOutputTest, CreationsOfEarlierPendingMigrationsAreExempt) {
  TempDir dir;
  WriteFile(dir.File("0001_users.sql"), "-- cairn:up\nCREATE TABLE users (id bigint);\n");
  WriteFile(
      dir.File("0002_orders.sql"),
      "-- cairn:up\nCREATE TABLE orders (id bigint);\nCREATE INDEX orders_id ON orders (id);\n");
  const std::string changes =
      "-- cairn:up\nALTER TABLE users ADD COLUMN email text NOT NULL;\n"
      "CREATE INDEX users_email ON users (email);\nALTER TABLE orders DROP COLUMN note;\n"
      "DROP INDEX orders_id;\n";
  WriteFile(dir.File("0003_change.sql"), changes);
  const std::string f1 = dir.File("0001_users.sql"), f2 = dir.File("0002_orders.sql"),
                    f3 = dir.File("0003_change.sql");
  auto rules = [&](const runner::LintOptions& o) {
    auto r = runner::LintFiles({f3}, o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    std::set<std::string> out;
    if (r.ok())
      for (const auto& f : r->findings) out.insert(f.rule);
    return out;
  };
  // Alone (every earlier file applied): each change on an existing table fires.
  runner::LintOptions o;
  EXPECT_EQ(rules(o), (std::set<std::string>{"missing-lock-timeout", "not-null-without-default",
                                             "index-without-concurrently", "drop-column",
                                             "require-concurrent-index-deletion"}));
  // 0001 and 0002 unapplied: nothing can block.
  o.pending = {f1, f2, f3};
  EXPECT_TRUE(rules(o).empty());
  // Only 0002 unapplied: users exists already.
  o.pending = {f2, f3};
  EXPECT_EQ(rules(o), (std::set<std::string>{"missing-lock-timeout", "not-null-without-default",
                                             "index-without-concurrently"}));
  // A file that runs later exempts nothing before it; a file not pending is
  // linted alone.
  o.pending = {f3, f1, f2};
  EXPECT_EQ(rules(o).size(), 5u);
  o.pending = {f1, f2};
  EXPECT_EQ(rules(o).size(), 5u);
  // Every pending file is linted in the same pass, each with its context.
  o.pending = {f1, f2, f3};
  auto all = runner::LintFiles({f1, f2, f3}, o);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->findings.empty());
  EXPECT_EQ(all->files, 3);
}

// cairn.toml's [lint] table and the flags, through the binary.
TEST(RunnerLintOutputTest, CliReadsLintSettingsFromCairnToml) {
  TempDir dir;
  std::filesystem::create_directories(dir.File("migrations/legacy"));
  WriteFile(dir.File("migrations/0001_t.sql"),
            "-- cairn:up\nSET lock_timeout = '1s';\nDROP TABLE a;\n"
            "CREATE TABLE t (id int, at timestamp);\n"
            "ALTER TABLE users ADD COLUMN n bigint DEFAULT 0;\n");
  WriteFile(dir.File("migrations/0002_more.sql"),
            "-- cairn:up\nSET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN b;\n");
  const std::string toml = dir.File("cairn.toml");
  WriteFile(toml,
            "dir = \"migrations\"\n"
            "[lint]\n"
            "enable = [\"prefer-timestamptz\"]\n"
            "disable = [\"ban-drop-table\"]\n"
            "pg_version = 10\n"
            "ignore = [\"*_more.sql\"]\n"
            "[lint.severity]\n"
            "adding-field-with-default = \"warning\"\n");
  ProcessResult r = RunProcess({CairnBinary(), "--config", toml, "lint", "--json"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  json j = json::parse(r.out);
  std::map<std::string, std::string> found;
  for (const json& f : j["findings"]) found[f["rule"]] = f["severity"];
  EXPECT_EQ(found, (std::map<std::string, std::string>{{"prefer-timestamptz", "hint"},
                                                       {"adding-field-with-default", "warning"}}));
  EXPECT_EQ(j["ignored_files"], 1);
  // Flags add to the file's lists and win over its pg_version.
  r = RunProcess({CairnBinary(), "--config", toml, "lint", "--json", "--pg-version", "15",
                  "--disable", "prefer-timestamptz", "--enable", "prefer-bigint-over-int"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  found.clear();
  j = json::parse(r.out);
  for (const json& f : j["findings"]) found[f["rule"]] = f["severity"];
  EXPECT_EQ(found, (std::map<std::string, std::string>{{"prefer-bigint-over-int", "hint"}}));

  // Mistakes name the file and line, exit 2.
  struct Bad {
    std::string lint, message;
  };
  for (const Bad& b : std::vector<Bad>{
           {"[lint]\ndisabel = []\n", "cairn.toml:2: unknown key 'disabel' in [lint]"},
           {"[lint]\nenable = [\"prefer-everything\"]\n",
            "cairn.toml:2: [lint] enable: unknown lint rule 'prefer-everything'"},
           {"[lint]\npg_version = 8\n",
            "cairn.toml:2: [lint] pg_version must be an integer from 9 to 99"},
           {"[lint.severity]\ndrop-table = \"fatal\"\n",
            "cairn.toml:2: [lint.severity] drop-table must be \"error\", \"warning\" or \"hint\""},
           {"lint = 3\n", "cairn.toml:1: 'lint' must be a table ([lint])"},
       }) {
    SCOPED_TRACE(b.lint);
    WriteFile(toml, b.lint);
    r = RunProcess({CairnBinary(), "--config", toml, "lint"});
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr(b.message));
  }
}

TEST(RunnerLintOutputTest, CliPendingFromExemptsCreationsOfUnappliedMigrations) {
  TempDir dir;
  WriteFile(dir.File("0001_users.sql"), "-- cairn:up\nCREATE TABLE users (id bigint);\n");
  WriteFile(dir.File("0002_email.sql"), "-- cairn:up\nCREATE INDEX users_id ON users (id);\n");
  ProcessResult r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("0002_email.sql:2:1: index-without-concurrently"));
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--pending-from", "1"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--pending-from", "0002"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint", "--pending-from", "x1"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("--pending-from x1: not a migration id"));
}

}  // namespace
}  // namespace cairn::testing

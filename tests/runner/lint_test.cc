// cairn lint: each rule fires at the right line, is silenced by its comment,
// and never fires on keywords inside string literals or comments.
#include "cairn/runner/lint.h"

#include <gmock/gmock.h>

#include "cairn/db/sql_splitter.h"
#include "cairn/runner/migration.h"
#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

struct Hit {
  int line;
  std::string rule;
  bool operator==(const Hit&) const = default;
};
void PrintTo(const Hit& h, std::ostream* os) { *os << h.line << ":" << h.rule; }

std::vector<Hit> Hits(const std::string& text) {
  auto r = runner::LintMigrationText("m.sql", text);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<Hit> out;
  if (r.ok())
    for (const auto& f : r->findings) out.push_back({f.line, f.rule});
  return out;
}

// One sample per rule: the rule's line, and the comment that silences it.
struct Sample {
  std::string rule;
  std::string up;  // the up section; lock_timeout already set unless the rule is about it
  int line;        // expected line in the whole file (see File)
};

const std::vector<Sample> kSamples = {
    {"index-without-concurrently",
     "CREATE TABLE fresh (id INT);\nCREATE INDEX fresh_id ON fresh (id);\n"
     "CREATE INDEX users_email\n  ON public.users (email);\n",
     6},
    {"not-null-without-default",
     "ALTER TABLE users ADD COLUMN age INT DEFAULT 0 NOT NULL,\n"
     "  ADD COLUMN nickname TEXT CHECK (nickname IS NOT NULL),\n"
     "  ADD COLUMN email TEXT NOT NULL;\n",
     6},
    {"column-type-change",
     "ALTER TABLE users ALTER COLUMN name DROP DEFAULT;\n"
     "ALTER TABLE users\n  ALTER COLUMN name SET DATA TYPE varchar(20);\n",
     6},
    {"missing-lock-timeout",
     "CREATE TABLE t (id INT);\n\nALTER TABLE users ADD COLUMN note TEXT;\nSET lock_timeout = "
     "'1s';\n",
     5},
    {"drop-column",
     "ALTER TABLE users DROP CONSTRAINT users_pk;\nALTER TABLE users ALTER name DROP DEFAULT,\n"
     "  DROP COLUMN IF EXISTS legacy;\n",
     6},
    {"drop-table", "SELECT 1;\nDROP TABLE IF EXISTS old_things;\n", 5},
};

std::string File(const Sample& s, const std::string& extra_header = "") {
  std::string prelude = s.rule == "missing-lock-timeout" ? "" : "SET lock_timeout = '2s';\n";
  // Line 1: header comment, line 2: -- cairn:up, line 3: the prelude or the sample.
  std::string up = prelude.empty() ? s.up : prelude + s.up;
  return "-- sample" + extra_header + "\n-- cairn:up\n" + up + "-- cairn:down\nDROP TABLE x;\n";
}

TEST(RunnerLintTest, EachRuleFiresOnceAtItsLine) {
  for (const Sample& s : kSamples) {
    SCOPED_TRACE(s.rule);
    EXPECT_THAT(Hits(File(s)), ::testing::ElementsAre(Hit{s.line, s.rule}));
  }
}

TEST(RunnerLintTest, EachRuleIsSilencedByItsCommentInThatFileOnly) {
  for (const Sample& s : kSamples) {
    SCOPED_TRACE(s.rule);
    const std::string text = "-- sample\n-- cairn:up\n-- cairn:lint-ignore " + s.rule +
                             " reviewed, table is tiny\n" +
                             File(s).substr(strlen("-- sample\n-- cairn:up\n"));
    auto r = runner::LintMigrationText("m.sql", text);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(r->findings.empty()) << r->findings[0].rule;
    EXPECT_EQ(r->silenced, 1);
  }
  // A lint-ignore for another rule silences nothing.
  const Sample& drop = kSamples.back();
  EXPECT_EQ(Hits("-- cairn:lint-ignore drop-column\n" + File(drop)).size(), 1u);
}

TEST(RunnerLintTest, LockTimeoutDirectiveSilencesMissingLockTimeout) {
  EXPECT_TRUE(
      Hits("-- cairn:lock-timeout 5s\n-- cairn:up\nALTER TABLE t ADD COLUMN c TEXT;\n").empty());
  EXPECT_EQ(Hits("-- cairn:up\nALTER TABLE t ADD COLUMN c TEXT;\n"),
            (std::vector<Hit>{{2, "missing-lock-timeout"}}));
  // SET after the ALTER does not count.
  EXPECT_EQ(
      Hits("-- cairn:up\nALTER TABLE t ADD COLUMN c TEXT;\nSET LOCAL lock_timeout = 1;\n").size(),
      1u);
}

TEST(RunnerLintTest, KeywordsInStringsCommentsAndQuotedNamesDoNotFire) {
  const std::string text =
      "-- DROP TABLE users; CREATE INDEX i ON users (x);\n"
      "-- cairn:up\n"
      "SET lock_timeout = '1s';\n"
      "INSERT INTO notes (body) VALUES ('DROP TABLE users; ALTER TABLE t DROP COLUMN c');\n"
      "/* ALTER TABLE users ALTER COLUMN x TYPE int; DROP TABLE t; */\n"
      "INSERT INTO notes (body) VALUES (E'it\\'s DROP TABLE x');\n"
      "CREATE FUNCTION f() RETURNS void AS $body$ BEGIN DROP TABLE t; END $body$ LANGUAGE "
      "plpgsql;\n"
      "SELECT \"DROP TABLE\" FROM notes; -- DROP TABLE t\n"
      "-- cairn:down\n"
      "DROP TABLE notes;\n";
  EXPECT_TRUE(Hits(text).empty());
  // Not even the lint-ignore syntax inside a string counts as a comment.
  // (DROP TABLE waits for an ACCESS EXCLUSIVE lock: it needs a lock_timeout too.)
  EXPECT_EQ(Hits("-- cairn:up\nSELECT '\n-- cairn:lint-ignore drop-table\n';\nDROP TABLE t;\n"),
            (std::vector<Hit>{{5, "missing-lock-timeout"}, {5, "drop-table"}}));
}

TEST(RunnerLintTest, UnknownRuleInLintIgnoreIsAnErrorNamingTheLine) {
  auto r = runner::LintMigrationText("m.sql",
                                     "-- cairn:up\n-- cairn:lint-ignore drop-tabel\nSELECT 1;\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(),
              HasSubstr("m.sql:2: cairn:lint-ignore names unknown rule 'drop-tabel'"));
}

TEST(RunnerLintTest, TokenizerKeepsQuotedRunsWhole) {
  auto toks = db::TokenizeSql("SELECT 'a;--b', \"x y\", $q$ z $q$ -- c\n/* d /* e */ */ f;");
  std::vector<std::string> texts;
  for (const auto& t : toks) texts.emplace_back(t.text);
  EXPECT_THAT(texts, ::testing::ElementsAre("SELECT", "'a;--b'", ",", "\"x y\"", ",", "$q$ z $q$",
                                            "-- c", "/* d /* e */ */", "f", ";"));
  EXPECT_EQ(toks[1].kind, db::SqlTokenKind::kString);
  EXPECT_EQ(toks[3].kind, db::SqlTokenKind::kIdentifier);
  EXPECT_EQ(toks[7].kind, db::SqlTokenKind::kComment);
}

TEST(RunnerLintTest, CliReportsFileLineRuleAndExitsTwelve) {
  TempDir dir;
  WriteFile(dir.File("0001_ok.sql"),
            "-- cairn:up\nCREATE TABLE t (id INT);\nCREATE INDEX i ON t (id);\n");
  WriteFile(dir.File("0002_bad.sql"), File(kSamples.back()));
  ProcessResult r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint"});
  EXPECT_EQ(r.exit_code, 12) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr(dir.File("0002_bad.sql") + ":5:1: drop-table: "));
  EXPECT_THAT(r.out, HasSubstr("1 finding(s) in 2 file(s), 0 silenced"));

  r = RunProcess({CairnBinary(), "lint", "--json", dir.File("0002_bad.sql")});
  EXPECT_EQ(r.exit_code, 12) << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["findings"].size(), 1u);
  EXPECT_EQ(j["findings"][0]["rule"], "drop-table");
  EXPECT_EQ(j["findings"][0]["line"], 5);
  EXPECT_EQ(j["findings"][0]["statement"], "DROP TABLE IF EXISTS old_things");

  r = RunProcess({CairnBinary(), "lint", dir.File("0001_ok.sql")});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // A file with a lint-ignore comment still migrates (the comment is SQL).
  WriteFile(dir.File("0002_bad.sql"),
            "-- cairn:lint-ignore drop-table old\n" + File(kSamples.back()));
  r = RunProcess({CairnBinary(), "--dir", dir.path(), "lint"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  auto parsed = runner::LoadMigrations(dir.path());
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  // So do the per-statement and per-file forms, anywhere in the file.
  WriteFile(dir.File("0002_bad.sql"), "-- cairn:lint-ignore-file drop-column old\n" +
                                          File(kSamples.back()) +
                                          "-- cairn:lint-ignore-next drop-table old\nSELECT 1;\n");
  parsed = runner::LoadMigrations(dir.path());
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
}

}  // namespace
}  // namespace cairn::testing

// cairn lint on bench/lint/corpus, the migrations measured against squawk
// (docs/lint.md, "Compared with squawk"), without squawk: every finding of
// `cairn lint --json --enable=all` must be the one bench/lint/expected.tsv
// records, and a file whose header says `-- expect: clean` must have none.
// A rule that starts firing on a safe statement (a false positive) or stops
// firing on a dangerous one fails here. Two contexts: each file linted as if
// every earlier migration were applied (no database), and with
// `--pending-from 25` (migrations 0025 on are unapplied: their creations
// exempt the files after them).
//
// After a deliberate rule change, rewrite the expectation with
// CAIRN_UPDATE_LINT_CORPUS=1 and review its diff.
#include <gmock/gmock.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;

const std::string kCorpus = std::string(CAIRN_SOURCE_DIR) + "/bench/lint/corpus";
const std::string kExpected = std::string(CAIRN_SOURCE_DIR) + "/bench/lint/expected.tsv";

std::vector<std::string> CorpusFiles() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kCorpus))
    if (e.path().extension() == ".sql") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

// "context<TAB>file<TAB>line<TAB>rule" for each finding of `cairn lint --json`.
std::vector<std::string> Findings(const std::string& context,
                                  const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CairnBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = RunProcess(argv);
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 12) << r.exit_code << r.err;
  std::vector<std::string> out;
  const json j = json::parse(r.out, nullptr, false);
  EXPECT_TRUE(j.is_object() && j.contains("findings")) << r.out << r.err;
  if (!j.is_object() || !j.contains("findings")) return out;
  for (const json& f : j["findings"])
    out.push_back(context + "\t" + fs::path(f["file"].get<std::string>()).filename().string() +
                  "\t" + std::to_string(f["line"].get<int>()) + "\t" +
                  f["rule"].get<std::string>());
  return out;
}

// Whether the file's header (before -- cairn:up) has the line "-- expect: clean".
bool MarkedClean(const std::string& path) {
  std::istringstream in(ReadFileOrDie(path));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("-- cairn:up", 0) == 0) return false;
    if (line == "-- expect: clean") return true;
  }
  return false;
}

// The loader refuses a folder with transaction control in a file (docs/
// migration-files.md); lint of given files does not. Such files stay out of
// the folder the pending context needs.
bool HasTransactionControl(const std::string& path) {
  std::istringstream in(ReadFileOrDie(path));
  for (std::string line; std::getline(in, line);)
    if (line == "BEGIN;" || line == "COMMIT;") return true;
  return false;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += "  " + l + "\n";
  return out;
}

TEST(RunnerLintCorpusTest, FindingsAreTheRecordedOnesAndCleanFilesHaveNone) {
  const std::vector<std::string> files = CorpusFiles();
  ASSERT_GE(files.size(), 100u) << "the corpus has at least 100 migrations (issue 21)";

  std::vector<std::string> args = {"lint", "--json", "--enable=all", "--offline", "--"};
  args.insert(args.end(), files.begin(), files.end());
  std::vector<std::string> actual = Findings("applied", args);

  TempDir folder;
  for (const std::string& f : files)
    if (!HasTransactionControl(f)) fs::copy_file(f, folder.File(fs::path(f).filename().string()));
  std::vector<std::string> pending = Findings("pending", {"--dir", folder.path(), "lint", "--json",
                                                          "--enable=all", "--pending-from", "25"});
  actual.insert(actual.end(), pending.begin(), pending.end());
  std::sort(actual.begin(), actual.end());

  // No file marked clean has a finding, whatever expected.tsv says.
  std::set<std::string> clean;
  for (const std::string& f : files)
    if (MarkedClean(f)) clean.insert(fs::path(f).filename().string());
  EXPECT_GE(clean.size(), 40u) << "many files are the safe forms";
  for (const std::string& a : actual) {
    const std::string file =
        a.substr(a.find('\t') + 1, a.find('\t', a.find('\t') + 1) - a.find('\t') - 1);
    EXPECT_FALSE(clean.count(file)) << "finding in a file marked '-- expect: clean': " << a;
  }

  // Pending files' creations only ever remove findings.
  std::vector<std::string> applied_in_folder;
  for (const std::string& a : actual)
    if (a.rfind("applied\t", 0) == 0) applied_in_folder.push_back("pending" + a.substr(7));
  for (const std::string& p : pending)
    EXPECT_TRUE(std::binary_search(applied_in_folder.begin(), applied_in_folder.end(), p))
        << "a finding with migrations pending that lint without them does not report: " << p;

  if (const char* update = std::getenv("CAIRN_UPDATE_LINT_CORPUS"); update && *update == '1') {
    std::ofstream out(kExpected);
    out << "# cairn lint --json --enable=all on bench/lint/corpus (tests/runner/"
           "lint_corpus_test.cc)\n# context\tfile\tline\trule\n";
    for (const std::string& a : actual) out << a << "\n";
    GTEST_SKIP() << "rewrote " << kExpected;
  }
  std::vector<std::string> expected;
  std::istringstream in(ReadFileOrDie(kExpected));
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') expected.push_back(line);
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> unexpected, missing;
  std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                      std::back_inserter(unexpected));
  std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                      std::back_inserter(missing));
  EXPECT_TRUE(unexpected.empty()) << "findings bench/lint/expected.tsv does not record:\n"
                                  << Join(unexpected);
  EXPECT_TRUE(missing.empty()) << "recorded findings cairn no longer reports:\n" << Join(missing);
}

}  // namespace
}  // namespace cairn::testing

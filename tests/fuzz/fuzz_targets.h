// Fuzz targets: each takes arbitrary bytes, feeds them to one parser or
// decoder, and checks properties that must hold for every input (errors,
// never crashes; results that are internally consistent). A violated property
// aborts with a message, which both drivers report as a crash:
//  - fuzz_test.cc: deterministic, seeded mutation fuzzing as a GoogleTest,
//    bounded iterations, run by ./scripts/test.sh;
//  - libfuzzer_main.cc: libFuzzer entry points, built only with
//    -DCAIRN_LIBFUZZER=ON and clang (docs/fuzzing.md).
#ifndef CAIRN_TESTS_FUZZ_FUZZ_TARGETS_H_
#define CAIRN_TESTS_FUZZ_FUZZ_TARGETS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::fuzz {

// runner::ParseMigration and CanonicalChecksum.
void FuzzMigrationFile(std::string_view data);
// db::SplitSqlStatements.
void FuzzSqlSplitter(std::string_view data);
// db::ParseDatabaseUrl.
void FuzzDatabaseUrl(std::string_view data);
// A ledger record: decoding, replay (StateBuilder), and Verify of an
// in-memory SQLite ledger whose last row holds the bytes as its record.
void FuzzLedgerRecord(std::string_view data);
// ledger::ParseExpectHead and ParseAnchorFile.
void FuzzAnchor(std::string_view data);

// The input being tried, printed (escaped) when a property is violated, so
// a failure can be turned into a regression test. Set by the drivers.
void SetCurrentInput(std::string_view data);

struct Target {
  const char* name;
  void (*fn)(std::string_view);
  std::vector<std::string> seeds;       // valid (or nearly valid) inputs to mutate
  std::vector<std::string> dictionary;  // tokens the mutator splices in
  uint64_t iterations = 20000;          // per test run (fuzz_test)
};

// Every target with its seed corpus.
const std::vector<Target>& Targets();

}  // namespace cairn::fuzz

#endif  // CAIRN_TESTS_FUZZ_FUZZ_TARGETS_H_

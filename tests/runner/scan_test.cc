// ScanMigrations and the file checksum cache (docs/caches.md): the same
// answers and errors as LoadMigrations, with stat-keyed entries reused only
// while a file is untouched. Real files in temp dirs; no database.
#include <gmock/gmock.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cairn/runner/migration.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using runner::LoadMigrations;
using runner::MigrationSummary;
using runner::ScanMigrations;
using ::testing::HasSubstr;

class RunnerScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("CAIRN_CACHE_DIR", cache_.path().c_str(), 1);
    ::unsetenv("CAIRN_NO_CACHE");
    WriteFile(dir_.File("0001_users.sql"),
              "-- cairn:up\nCREATE TABLE users (id INT);\n-- cairn:down\nDROP TABLE users;\n");
    WriteFile(dir_.File("0002_circles.sql"), "-- cairn:up\nCREATE TABLE circles (id INT);\n");
    WriteFile(dir_.File("10_later.sql"), "-- cairn:up\nSELECT 10;\n-- cairn:down\nSELECT -10;\n");
  }
  void TearDown() override {
    ::unsetenv("CAIRN_CACHE_DIR");
    ::unsetenv("CAIRN_NO_CACHE");
  }

  // The cache files written so far, and the entry lines of the only one.
  std::vector<std::string> CacheFiles() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(cache_.path()))
      out.push_back(e.path().string());
    return out;
  }
  std::vector<std::string> CacheLines() const {
    auto files = CacheFiles();
    if (files.size() != 1) return {};
    std::ifstream in(files[0]);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    if (!lines.empty()) lines.erase(lines.begin());  // header
    return lines;
  }

  // Scans until every file is old enough to be cached (2 s after its last
  // change), so the cache holds all three entries.
  void Settle() {
    ASSERT_TRUE(WaitFor(
        [&] {
          auto scanned = ScanMigrations(dir_.path());
          return scanned.ok() && CacheLines().size() == 3;
        },
        15000))
        << "the cache never filled";
  }

  void ExpectAgreesWithLoad() {
    auto scanned = ScanMigrations(dir_.path());
    auto loaded = LoadMigrations(dir_.path());
    ASSERT_TRUE(scanned.ok()) << scanned.status().ToString();
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ASSERT_EQ(scanned->size(), loaded->size());
    for (size_t i = 0; i < loaded->size(); ++i) {
      const MigrationSummary& s = (*scanned)[i];
      const runner::Migration& m = (*loaded)[i];
      EXPECT_EQ(s.id, m.id);
      EXPECT_EQ(s.name, m.name);
      EXPECT_EQ(s.description, m.description);
      EXPECT_EQ(s.file, m.file);
      EXPECT_EQ(s.path, m.path);
      EXPECT_EQ(s.checksum, m.checksum);
      EXPECT_EQ(s.has_down, m.down.has_value());
    }
  }

  TempDir dir_, cache_;
};

TEST_F(RunnerScanTest, AgreesWithLoadBeforeAndAfterTheCacheFills) {
  ASSERT_NO_FATAL_FAILURE(ExpectAgreesWithLoad());
  auto scanned = ScanMigrations(dir_.path());
  ASSERT_TRUE(scanned.ok());
  EXPECT_EQ((*scanned)[2].id, "10");  // by number, not by name
  EXPECT_FALSE((*scanned)[1].has_down);
  ASSERT_NO_FATAL_FAILURE(Settle());
  ASSERT_NO_FATAL_FAILURE(ExpectAgreesWithLoad());
  EXPECT_THAT(CacheLines()[0], HasSubstr(" 0001_users.sql"));
}

TEST_F(RunnerScanTest, CachedEntryIsUsedUntilTheFileIsWrittenAgain) {
  ASSERT_NO_FATAL_FAILURE(Settle());
  // Forge the cached checksum of 0001: a scan that shows the forgery proves
  // the entry is used; Load, which executing commands use, never sees it.
  const std::string path = CacheFiles()[0];
  std::string text = ReadFileOrDie(path);
  auto line = text.find(" 0001_users.sql");
  ASSERT_NE(line, std::string::npos);
  text.replace(line - 64, 64, std::string(64, '0'));
  WriteFile(path, text);
  auto scanned = ScanMigrations(dir_.path());
  ASSERT_TRUE(scanned.ok());
  EXPECT_EQ((*scanned)[0].checksum, "sha256:" + std::string(64, '0'));
  auto loaded = LoadMigrations(dir_.path());
  ASSERT_TRUE(loaded.ok());
  EXPECT_NE((*loaded)[0].checksum, (*scanned)[0].checksum);

  // Any write changes the file's change time: the entry is not used, even
  // for an edit that keeps the size.
  const std::string before = (*loaded)[0].checksum;
  std::string sql = ReadFileOrDie(dir_.File("0001_users.sql"));
  sql.replace(sql.find("users (id"), 5, "userz");
  WriteFile(dir_.File("0001_users.sql"), sql);
  ASSERT_NO_FATAL_FAILURE(ExpectAgreesWithLoad());
  scanned = ScanMigrations(dir_.path());
  ASSERT_TRUE(scanned.ok());
  EXPECT_NE((*scanned)[0].checksum, before);
}

TEST_F(RunnerScanTest, MalformedCacheIsIgnoredAndReplaced) {
  ASSERT_NO_FATAL_FAILURE(Settle());
  const std::string path = CacheFiles()[0];
  for (const std::string& junk :
       {std::string("cairn-file-cache 9\n"), std::string("cairn-file-cache 1\n1 2 3\n"),
        std::string("cairn-file-cache 1\nx 1 1 1 1 ") + std::string(64, 'a') + " 0001_users.sql\n",
        std::string("")}) {
    WriteFile(path, junk);
    ASSERT_NO_FATAL_FAILURE(ExpectAgreesWithLoad()) << junk;
    EXPECT_EQ(CacheLines().size(), 3u) << "not rewritten after: " << junk;
  }
}

TEST_F(RunnerScanTest, NoCacheSettingNeitherReadsNorWritesIt) {
  ASSERT_NO_FATAL_FAILURE(Settle());
  std::filesystem::remove(CacheFiles()[0]);
  ::setenv("CAIRN_NO_CACHE", "1", 1);
  ASSERT_NO_FATAL_FAILURE(ExpectAgreesWithLoad());
  EXPECT_TRUE(CacheFiles().empty());
}

TEST_F(RunnerScanTest, ErrorsAreLoadsErrorsEvenWithAWarmCache) {
  ASSERT_NO_FATAL_FAILURE(Settle());
  auto same_error = [&] {
    auto scanned = ScanMigrations(dir_.path());
    auto loaded = LoadMigrations(dir_.path());
    ASSERT_FALSE(scanned.ok());
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(scanned.status().code(), loaded.status().code());
    EXPECT_EQ(scanned.status().message(), loaded.status().message());
  };
  WriteFile(dir_.File("0003_broken.sql"), "CREATE TABLE x (id INT);\n");
  ASSERT_NO_FATAL_FAILURE(same_error());
  std::filesystem::remove(dir_.File("0003_broken.sql"));
  WriteFile(dir_.File("001_again.sql"), "-- cairn:up\nSELECT 1;\n");
  ASSERT_NO_FATAL_FAILURE(same_error());
  EXPECT_THAT(ScanMigrations(dir_.path()).status().message(),
              HasSubstr("duplicate migration number"));
  std::filesystem::remove(dir_.File("001_again.sql"));
  ASSERT_NO_FATAL_FAILURE(ExpectAgreesWithLoad());
}

}  // namespace
}  // namespace cairn::testing

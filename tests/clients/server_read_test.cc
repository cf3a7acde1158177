// The read-only commands through `cairn serve` instead of the database: a
// server process on a free loopback port, the CLI as other processes, on
// both backends. `export --server` writes what the direct export writes
// (byte for byte; for bundles every frame but the begin frame, which names
// the origin and the creation time, and the signature over it), and such a
// bundle verifies offline. Refusals are one error line with the documented
// exit code.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "tests/ledger/ledger_test_util.h"
#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

class ServerReadTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    if (!tdb_) return;
    // Two streams of real runs: applied, rolled back and failed migrations
    // (the failing file stays in the folder).
    std::string bad;
    ASSERT_NO_FATAL_FAILURE(WriteTwoStreamLedger(*tdb_, dir_, other_, 6, &bad));
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--database", tdb_->url(), "--tokens-file", WriteTokens(dir_)});
    ASSERT_TRUE(server_->Start());
  }

  // `cairn --database URL --stream campus ARGS` (the database read directly).
  ProcessResult Direct(std::vector<std::string> args) {
    std::vector<std::string> argv{CairnBinary(), "--database", tdb_->url(), "--dir",
                                  dir_.path(),   "--stream",   "campus"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }
  // `cairn --stream campus ARGS --server ADDR --token TOKEN` (no database).
  ProcessResult Remote(std::vector<std::string> args, const std::string& token) {
    std::vector<std::string> argv{CairnBinary(), "--stream", "campus"};
    argv.insert(argv.end(), args.begin(), args.end());
    for (const std::string& a :
         {std::string("--server"), server_->address(), std::string("--token"), token})
      argv.push_back(a);
    return RunProcess(argv);
  }

  TempDir dir_, other_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<ServerProcess> server_;
};

bool OneErrorLine(const ProcessResult& r) {
  return std::count(r.err.begin(), r.err.end(), '\n') == 1 && r.err.rfind("cairn: error: ", 0) == 0;
}

// The bytes of a bundle between its begin frame and its signature frame.
std::string BundleBody(const std::string& bundle) {
  constexpr size_t kMagic = 16, kFrameHeader = 5, kSignatureFrame = 5 + 32 + 64;
  if (bundle.size() < kMagic + kFrameHeader + kSignatureFrame || bundle[kMagic] != 'B') return "";
  uint32_t len = 0;
  for (int i = 1; i <= 4; ++i) len = (len << 8) | static_cast<unsigned char>(bundle[kMagic + i]);
  const size_t start = kMagic + kFrameHeader + len;
  if (start + kSignatureFrame > bundle.size() || bundle[bundle.size() - kSignatureFrame] != 'G')
    return "";
  return bundle.substr(start, bundle.size() - kSignatureFrame - start);
}

TEST_P(ServerReadTest, ExportThroughServerEqualsDirectExport) {
  if (!tdb_) return;
  for (const char* format : {"cloudevents", "jsonl", "csv"}) {
    for (bool all : {false, true}) {
      std::vector<std::string> args{"export", "--format", format};
      if (all) args.push_back("--all-streams");
      ProcessResult direct = Direct(args);
      ASSERT_EQ(direct.exit_code, 0) << direct.err;
      ProcessResult remote = Remote(args, kExporterToken);
      ASSERT_EQ(remote.exit_code, 0) << remote.err;
      EXPECT_GT(direct.out.size(), 100u);
      EXPECT_EQ(remote.out, direct.out) << format << (all ? " --all-streams" : "");
    }
  }
  // --out through the temporary file, like the direct path.
  ProcessResult to_file =
      Remote({"export", "--format", "jsonl", "--out", dir_.File("r.jsonl")}, kExporterToken);
  ASSERT_EQ(to_file.exit_code, 0) << to_file.err;
  EXPECT_EQ(ReadFileOrDie(dir_.File("r.jsonl")), Direct({"export", "--format", "jsonl"}).out);
}

TEST_P(ServerReadTest, BundleThroughServerVerifiesAndHoldsTheSameRecords) {
  if (!tdb_) return;
  for (bool all : {false, true}) {
    std::vector<std::string> args{"export", "--format", "bundle", "--key", dir_.File("key")};
    if (all) args.push_back("--all-streams");
    const std::string direct_file = dir_.File(all ? "d-all.bundle" : "d.bundle");
    const std::string remote_file = dir_.File(all ? "r-all.bundle" : "r.bundle");
    std::vector<std::string> d = args, r = args;
    d.insert(d.end(), {"--out", direct_file});
    r.insert(r.end(), {"--out", remote_file});
    ASSERT_EQ(Direct(d).exit_code, 0);
    ProcessResult remote = Remote(r, kExporterToken);
    ASSERT_EQ(remote.exit_code, 0) << remote.err;
    ProcessResult v = RunProcess(
        {CairnBinary(), "verify", "--bundle", remote_file, "--pubkey", dir_.File("key.pub")});
    EXPECT_EQ(v.exit_code, 0) << v.err;
    EXPECT_NE(v.out.find("signature ok: bundle of grpc://" + server_->address()), std::string::npos)
        << v.out;
    EXPECT_NE(v.out.find("ok: stream campus,"), std::string::npos) << v.out;
    EXPECT_EQ(v.out.find("ok: stream other,") != std::string::npos, all) << v.out;
    // Streams, records and heads byte for byte; the begin frame differs by
    // design (origin: the server, not the database URL; creation time).
    const std::string body = BundleBody(ReadFileOrDie(remote_file));
    EXPECT_FALSE(body.empty());
    EXPECT_EQ(body, BundleBody(ReadFileOrDie(direct_file)));
  }
}

TEST_P(ServerReadTest, ReportOfEveryStreamThroughServerCountsWhatTheDatabaseHolds) {
  if (!tdb_) return;
  ProcessResult direct = Direct({"report", "--all-streams", "--out", dir_.File("d.html")});
  ASSERT_EQ(direct.exit_code, 0) << direct.err;
  ProcessResult remote =
      Remote({"report", "--all-streams", "--out", dir_.File("r.html")}, kReaderToken);
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  // "wrote FILE: N migration(s), M event(s), 2 target(s), B bytes"
  auto counts = [](const std::string& out) {
    const size_t from = out.find(": "), to = out.find(" target(s)");
    return from == std::string::npos || to == std::string::npos ? std::string()
                                                                : out.substr(from, to - from);
  };
  EXPECT_NE(counts(direct.out).find("event(s), 2"), std::string::npos) << direct.out;
  EXPECT_EQ(counts(remote.out), counts(direct.out)) << remote.out;
}

TEST_P(ServerReadTest, ExportRefusalsAreOneLineWithTheDocumentedExitCode) {
  if (!tdb_) return;
  const std::string out = dir_.File("never.csv");
  ProcessResult wrong = Remote({"export", "--format", "csv", "--out", out}, "no-such-token");
  EXPECT_EQ(wrong.exit_code, 19) << wrong.err;
  EXPECT_TRUE(OneErrorLine(wrong)) << wrong.err;
  // A reader may not export.
  ProcessResult reader = Remote({"export", "--format", "csv", "--out", out}, kReaderToken);
  EXPECT_EQ(reader.exit_code, 19) << reader.err;
  EXPECT_TRUE(OneErrorLine(reader)) << reader.err;
  ProcessResult unknown =
      Remote({"export", "--format", "csv", "--stream", "nope", "--out", out}, kExporterToken);
  EXPECT_EQ(unknown.exit_code, 3) << unknown.err;
  EXPECT_TRUE(OneErrorLine(unknown)) << unknown.err;
  server_->Kill(SIGKILL);
  ProcessResult down = Remote({"export", "--format", "csv", "--out", out}, kExporterToken);
  EXPECT_EQ(down.exit_code, 4) << down.err;
  EXPECT_TRUE(OneErrorLine(down)) << down.err;
  EXPECT_NE(down.err.find(server_->address()), std::string::npos) << down.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

INSTANTIATE_TEST_SUITE_P(Backends, ServerReadTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

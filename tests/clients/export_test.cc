// cairn export and cairn verify --bundle, run as separate processes on both
// backends: every format parses back (JSON Lines and the CloudEvents batch
// with nlohmann::json, CSV with Python's csv module), a bundle verifies with
// cairn and with an independent Python verifier, and any change to a record,
// the head or the signature is rejected.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/ledger/ledger_test_util.h"

namespace cairn::testing {
namespace {

using nlohmann::json;

constexpr int kEvents = 12;

class ExportTest : public ConnectedBackendTest {
 protected:
  void SetUp() override {
    ConnectedBackendTest::SetUp();
    if (!conn_) return;
    CAIRN_ASSERT_OK(store_->EnsureSchema());
    CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, kEvents));
    CAIRN_ASSERT_OK(AppendTestEvents(*store_, "other,\"stream\"", 2, 1, 3));
    ProcessResult k = RunProcess({CairnBinary(), "keygen", "--out", dir_.File("key")});
    ASSERT_EQ(k.exit_code, 0) << k.err;
  }

  ProcessResult Cairn(std::vector<std::string> args) {
    std::vector<std::string> argv{CairnBinary(), "--database", tdb_->url(), "--stream", "campus"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  }

  ProcessResult VerifyBundle(const std::string& file) {
    return RunProcess(
        {CairnBinary(), "verify", "--bundle", file, "--pubkey", dir_.File("key.pub")});
  }

  TempDir dir_;
};

void ExpectCloudEvent(const json& ce, int64_t position) {
  ASSERT_TRUE(ce.is_object());
  EXPECT_EQ(ce["specversion"], "1.0");
  EXPECT_EQ(ce["id"], TestUuid(1, static_cast<uint64_t>(position)));
  EXPECT_EQ(ce["source"], "urn:cairn:stream:campus");
  EXPECT_TRUE(ce["type"].get<std::string>().rfind("dev.cairn.v1.", 0) == 0) << ce["type"];
  EXPECT_EQ(ce["time"], ledger::FormatMicros(TestMicros(static_cast<uint64_t>(position))));
  EXPECT_EQ(ce["datacontenttype"], "application/json");
  char seq[32];
  std::snprintf(seq, sizeof seq, "%020lld", static_cast<long long>(position));
  EXPECT_EQ(ce["sequence"], seq);
  EXPECT_EQ(ce["cairnstream"], "campus");
  EXPECT_EQ(ce["cairnposition"], position);
  EXPECT_EQ(ce["cairnhash"].get<std::string>().size(), 64u);
  EXPECT_EQ(ce["cairnprevhash"].get<std::string>().size(), 64u);
  EXPECT_EQ(ce["data"]["event_id"], ce["id"]);
  EXPECT_EQ(ce["data"]["actor"]["user"], "alice");
  EXPECT_EQ(ce["data"]["position"], std::to_string(position));  // int64: a JSON string
  for (auto& [name, value] : ce.items()) {
    for (char c : name) EXPECT_TRUE(std::islower(c) || std::isdigit(c)) << name;
  }
}

TEST_P(ExportTest, JsonLinesParseAsCloudEventsWithChainAttributes) {
  if (!conn_) return;
  ProcessResult r = Cairn({"export", "--format", "jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, "campus"));
  std::istringstream in(r.out);
  int64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    json ce = json::parse(line, nullptr, false);
    ASSERT_FALSE(ce.is_discarded()) << line;
    ++n;
    ExpectCloudEvent(ce, n);
    const RawRow& row = rows.at(static_cast<size_t>(n - 1));
    EXPECT_EQ(ce["cairnhash"], ledger::ToHex(row.hash));
    EXPECT_EQ(ce["cairnprevhash"], ledger::ToHex(row.prev_hash));
    EXPECT_EQ(ce["type"], "dev.cairn.v1." + row.event_type);
  }
  EXPECT_EQ(n, kEvents);
}

TEST_P(ExportTest, CloudEventsBatchIsOneJsonArray) {
  if (!conn_) return;
  ProcessResult r = Cairn({"export", "--format", "cloudevents", "--out", dir_.File("b.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json batch = json::parse(ReadFileOrDie(dir_.File("b.json")), nullptr, false);
  ASSERT_TRUE(batch.is_array());
  ASSERT_EQ(batch.size(), static_cast<size_t>(kEvents));
  for (size_t i = 0; i < batch.size(); ++i) ExpectCloudEvent(batch[i], static_cast<int64_t>(i + 1));

  ProcessResult all = Cairn({"export", "--format", "cloudevents", "--all-streams"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  json both = json::parse(all.out, nullptr, false);
  ASSERT_TRUE(both.is_array());
  EXPECT_EQ(both.size(), static_cast<size_t>(kEvents + 3));
  EXPECT_EQ(both.back()["source"], "urn:cairn:stream:other%2C%22stream%22");
}

TEST_P(ExportTest, CsvParsesWithPythonCsvModule) {
  if (!conn_) return;
  ProcessResult r =
      Cairn({"export", "--format", "csv", "--all-streams", "--out", dir_.File("a.csv")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script =
      "import csv,sys,json\n"
      "rows=list(csv.DictReader(open(sys.argv[1],newline='',encoding='utf-8')))\n"
      "print(json.dumps(rows))\n";
  ProcessResult py = RunProcess({"/usr/bin/python3", "-c", script, dir_.File("a.csv")});
  ASSERT_EQ(py.exit_code, 0) << py.err;
  json rows = json::parse(py.out);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kEvents + 3));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto raw, RawRows(*conn_, "campus"));
  for (size_t i = 0; i < static_cast<size_t>(kEvents); ++i) {
    const json& row = rows[i];
    EXPECT_EQ(row["stream"], "campus");
    EXPECT_EQ(row["position"], std::to_string(i + 1));
    EXPECT_EQ(row["who"], "alice");
    EXPECT_EQ(row["host"], "db1");
    EXPECT_EQ(row["time"], ledger::FormatMicros(TestMicros(i + 1)));
    EXPECT_EQ(row["event_type"], raw[i].event_type);
    EXPECT_EQ(row["hash"], ledger::ToHex(raw[i].hash));
    EXPECT_FALSE(row["what"].get<std::string>().empty());
    EXPECT_TRUE(row["outcome"] == "started" || row["outcome"] == "succeeded") << row;
  }
  // The stream name with a comma and quotes survives RFC 4180 quoting.
  EXPECT_EQ(rows.back()["stream"], "other,\"stream\"");
}

// Offsets of each record frame's record bytes, the head frame and the
// signature in a bundle of one stream (docs/export.md).
struct BundleLayout {
  std::vector<size_t> record_bytes;
  size_t head = 0;
  size_t signature = 0;
};

BundleLayout Layout(const std::string& b) {
  BundleLayout l;
  size_t off = 16;
  while (off + 5 <= b.size()) {
    uint32_t len = 0;
    for (int i = 1; i <= 4; ++i) len = (len << 8) | static_cast<unsigned char>(b[off + i]);
    char tag = b[off];
    if (tag == 'R') l.record_bytes.push_back(off + 5 + 72);
    if (tag == 'H') l.head = off + 5;
    if (tag == 'G') l.signature = off + 5 + 32;
    off += 5 + len;
  }
  return l;
}

TEST_P(ExportTest, BundleVerifiesHereAndIndependently) {
  if (!conn_) return;
  ProcessResult r = Cairn(
      {"export", "--format", "bundle", "--key", dir_.File("key"), "--out", dir_.File("b.bundle")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ProcessResult v = VerifyBundle(dir_.File("b.bundle"));
  ASSERT_EQ(v.exit_code, 0) << v.err;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store_->GetHead("campus"));
  EXPECT_NE(v.out.find("ok: stream campus, 12 record(s), head position 12 hash " +
                       ledger::ToHex(head.hash)),
            std::string::npos)
      << v.out;
  ProcessResult py = RunProcess(
      {"/usr/bin/python3", CAIRN_BUNDLE_VERIFY, dir_.File("b.bundle"), dir_.File("key.pub")});
  ASSERT_EQ(py.exit_code, 0) << py.out << py.err;
  EXPECT_EQ(py.out, "ok campus 12 12 " + ledger::ToHex(head.hash) + "\n");

  // A key made by openssl verifies too, and cairn's key does not verify it.
  ASSERT_EQ(RunProcess({"/usr/bin/openssl", "genpkey", "-algorithm", "ed25519", "-out",
                        dir_.File("o.key")})
                .exit_code,
            0);
  ASSERT_EQ(RunProcess({"/usr/bin/openssl", "pkey", "-in", dir_.File("o.key"), "-pubout", "-out",
                        dir_.File("o.pub")})
                .exit_code,
            0);
  ASSERT_EQ(Cairn({"export", "--format", "bundle", "--all-streams", "--key", dir_.File("o.key"),
                   "--out", dir_.File("o.bundle")})
                .exit_code,
            0);
  ProcessResult ov = RunProcess(
      {CairnBinary(), "verify", "--bundle", dir_.File("o.bundle"), "--pubkey", dir_.File("o.pub")});
  EXPECT_EQ(ov.exit_code, 0) << ov.err;
  ProcessResult wrong = VerifyBundle(dir_.File("o.bundle"));
  EXPECT_EQ(wrong.exit_code, 5);
  EXPECT_NE(wrong.err.find("signed by another key"), std::string::npos) << wrong.err;
}

TEST_P(ExportTest, BundleVerifierRejectsEveryChangedRecordHeadAndSignature) {
  if (!conn_) return;
  ASSERT_EQ(Cairn({"export", "--format", "bundle", "--key", dir_.File("key"), "--out",
                   dir_.File("b.bundle")})
                .exit_code,
            0);
  const std::string good = ReadFileOrDie(dir_.File("b.bundle"));
  BundleLayout l = Layout(good);
  ASSERT_EQ(l.record_bytes.size(), static_cast<size_t>(kEvents));
  ASSERT_GT(l.head, 0u);
  ASSERT_GT(l.signature, 0u);
  auto expect_rejected = [&](size_t offset, const std::string& why, const std::string& message) {
    std::string bad = good;
    bad[offset] = static_cast<char>(bad[offset] ^ 0x01);
    WriteFile(dir_.File("bad.bundle"), bad);
    ProcessResult v = VerifyBundle(dir_.File("bad.bundle"));
    EXPECT_EQ(v.exit_code, 5) << why << ": " << v.out << v.err;
    EXPECT_NE(v.err.find(message), std::string::npos) << why << ": " << v.err;
    ProcessResult py = RunProcess(
        {"/usr/bin/python3", CAIRN_BUNDLE_VERIFY, dir_.File("bad.bundle"), dir_.File("key.pub")});
    EXPECT_EQ(py.exit_code, 1) << why << " (independent verifier): " << py.out;
  };
  for (size_t i = 0; i < l.record_bytes.size(); ++i) {
    expect_rejected(l.record_bytes[i], "record " + std::to_string(i + 1),
                    "position " + std::to_string(i + 1) + ": hash mismatch");
  }
  expect_rejected(l.head + 8 + 5, "head hash", "head mismatch");
  expect_rejected(l.head + 7, "head position", "head mismatch");
  expect_rejected(l.signature + 10, "signature", "bad signature");
  // Cut short, and a byte appended after the signature.
  WriteFile(dir_.File("bad.bundle"), good.substr(0, good.size() - 1));
  EXPECT_EQ(VerifyBundle(dir_.File("bad.bundle")).exit_code, 5);
  WriteFile(dir_.File("bad.bundle"), good + "x");
  EXPECT_EQ(VerifyBundle(dir_.File("bad.bundle")).exit_code, 5);
  WriteFile(dir_.File("bad.bundle"), good);
  EXPECT_EQ(VerifyBundle(dir_.File("bad.bundle")).exit_code, 0);
}

TEST_P(ExportTest, BadInputIsOneErrorLineAndNoFile) {
  if (!conn_) return;
  ProcessResult r = Cairn({"export", "--format", "xml", "--out", dir_.File("x")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown export format 'xml'"), std::string::npos) << r.err;
  ProcessResult nokey = Cairn({"export", "--format", "bundle", "--out", dir_.File("x")});
  EXPECT_EQ(nokey.exit_code, 2);
  EXPECT_NE(nokey.err.find("--key"), std::string::npos) << nokey.err;
  ProcessResult again = RunProcess({CairnBinary(), "keygen", "--out", dir_.File("key")});
  EXPECT_EQ(again.exit_code, 2) << again.err;
  EXPECT_FALSE(std::ifstream(dir_.File("x")).good());
}

INSTANTIATE_TEST_SUITE_P(Backends, ExportTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

// cairn's ledgers checked by tests/ledger/independent_verify.py, a verifier
// written in Python from docs/ledger-format.md alone. It reads SQLite files,
// so these tests use the SQLite backend only.
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/support/test_support.h"

#ifndef CAIRN_PYTHON3
#error "CAIRN_PYTHON3 must name the python3 interpreter"
#endif
#ifndef CAIRN_INDEPENDENT_VERIFY
#error "CAIRN_INDEPENDENT_VERIFY must name tests/ledger/independent_verify.py"
#endif

namespace cairn::testing {
namespace {

namespace fs = std::filesystem;
using ledger::LedgerStore;

constexpr int kEvents = 25;

ProcessResult RunIndependentVerify(const std::string& db_path, const std::string& stream) {
  return RunProcess({CAIRN_PYTHON3, CAIRN_INDEPENDENT_VERIFY, db_path, stream});
}

class IndependentVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("campus.db");
    auto conn = Open(path_);
    ASSERT_NE(conn, nullptr);
    auto store = LedgerStore::For(*conn);
    CAIRN_ASSERT_OK(store->EnsureSchema());
    // Interleave two streams so the verifier must select by stream; one name
    // is not ASCII, to check byte lengths.
    for (int batch = 0; batch < 5; ++batch) {
      CAIRN_ASSERT_OK(AppendTestEvents(*store, "campus", 1, batch * 5 + 1, 5));
      CAIRN_ASSERT_OK(AppendTestEvents(*store, "caf\xc3\xa9", 2, batch + 1, 1));
    }
    CAIRN_ASSERT_OK_AND_ASSIGN(report_, store->Verify("campus"));
    ASSERT_TRUE(report_.ok) << report_.problem;
    ASSERT_EQ(report_.head.position, kEvents);
  }

  static std::unique_ptr<db::Connection> Open(const std::string& path) {
    auto url = db::ParseDatabaseUrl("sqlite:" + path);
    EXPECT_TRUE(url.ok());
    auto conn = db::Connection::Open(*url);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  // A copy of the pristine ledger, with the append-only triggers dropped.
  std::string TamperableCopy(const std::string& name) {
    std::string copy = dir_.File(name);
    fs::copy_file(path_, copy, fs::copy_options::overwrite_existing);
    auto conn = Open(copy);
    EXPECT_TRUE(conn->ExecuteScript("DROP TRIGGER cairn_ledger_no_update; "
                                    "DROP TRIGGER cairn_ledger_no_delete;",
                                    nullptr, nullptr)
                    .ok());
    return copy;
  }

  TempDir dir_;
  std::string path_;
  ledger::VerifyReport report_;
};

TEST_F(IndependentVerifyTest, AgreesWithCairnOnAnIntactLedger) {
  ProcessResult r = RunIndependentVerify(path_, "campus");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "ok " + std::to_string(kEvents) + " " + ledger::ToHex(report_.head.hash) + "\n")
      << r.err;
  EXPECT_EQ(r.err, "");

  auto conn = Open(path_);
  auto store = LedgerStore::For(*conn);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto cafe, store->Verify("caf\xc3\xa9"));
  ASSERT_TRUE(cafe.ok);
  ProcessResult c = RunIndependentVerify(path_, "caf\xc3\xa9");
  EXPECT_EQ(c.exit_code, 0) << c.out << c.err;
  EXPECT_EQ(c.out, "ok 5 " + ledger::ToHex(cafe.head.hash) + "\n");
}

TEST_F(IndependentVerifyTest, EmptyStreamIsOkWithZeroHead) {
  ProcessResult r = RunIndependentVerify(path_, "nothing-here");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "ok 0 " + std::string(64, '0') + "\n");
}

TEST_F(IndependentVerifyTest, ChangedRecordByteIsBadAtThatPosition) {
  const std::string copy = TamperableCopy("tampered.db");
  auto conn = Open(copy);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn, "campus"));
  std::string record = rows[12].record;
  record[3] ^= 0x20;
  CAIRN_ASSERT_OK(
      conn->Execute("UPDATE cairn_ledger SET record = $1 WHERE stream = 'campus' "
                    "AND position = 13",
                    {db::Value(db::Bytes{record})}));
  ProcessResult r = RunIndependentVerify(copy, "campus");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "bad 13 hash mismatch\n") << r.err;
  // cairn says the same.
  auto store = LedgerStore::For(*conn);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store->Verify("campus"));
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 13);
  // The verifier opened the file read-only and left it as it was.
  CAIRN_ASSERT_OK_AND_ASSIGN(auto after, RawRows(*conn, "campus"));
  EXPECT_EQ(after[12].record, record);
}

TEST_F(IndependentVerifyTest, DeletedRowIsGapAndRehashedRecordIsBrokenLink) {
  {
    const std::string copy = TamperableCopy("deleted.db");
    auto conn = Open(copy);
    CAIRN_ASSERT_OK(
        conn->Execute("DELETE FROM cairn_ledger WHERE stream = 'campus' AND "
                      "position = 9"));
    ProcessResult r = RunIndependentVerify(copy, "campus");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "bad 9 gap\n") << r.err;
  }
  {
    const std::string copy = TamperableCopy("rehashed.db");
    auto conn = Open(copy);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn, "campus"));
    const RawRow& row = rows[19];  // position 20
    // An extra (unknown) field 100 = 1: still a well-formed record.
    const std::string record = row.record + "\xa0\x06\x01";
    const std::string hash = ledger::RecordHash("campus", 20, row.prev_hash, record);
    CAIRN_ASSERT_OK(conn->Execute(
        "UPDATE cairn_ledger SET record = $1, hash = $2 WHERE stream = 'campus' AND position = 20",
        {db::Value(db::Bytes{record}), db::Value(db::Bytes{hash})}));
    ProcessResult r = RunIndependentVerify(copy, "campus");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.out, "bad 21 broken link\n") << r.err;
  }
}

TEST_F(IndependentVerifyTest, AgreesWithCairnOnRandomTampering) {
  // Seeded: the same 12 tamperings on every run.
  std::mt19937 rng(20261121);
  const std::vector<std::string> columns = {"record", "prev_hash", "hash"};
  for (int round = 0; round < 12; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string copy = TamperableCopy("random.db");
    auto conn = Open(copy);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn, "campus"));
    const int64_t position = 1 + static_cast<int64_t>(rng() % kEvents);
    const std::string& column = columns[rng() % columns.size()];
    const RawRow& row = rows[position - 1];
    std::string value = column == "record" ? row.record
                        : column == "hash" ? row.hash
                                           : row.prev_hash;
    value[rng() % value.size()] ^= static_cast<char>(1 + rng() % 255);
    CAIRN_ASSERT_OK(conn->Execute(
        "UPDATE cairn_ledger SET " + column + " = $1 WHERE stream = 'campus' AND position = $2",
        {db::Value(db::Bytes{value}), db::Value(position)}));
    auto store = LedgerStore::For(*conn);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store->Verify("campus"));
    ASSERT_FALSE(report.ok);
    // A changed prev_hash breaks the link; anything else is a hash mismatch.
    const std::string kind = column == "prev_hash" ? "broken link" : "hash mismatch";
    EXPECT_EQ(report.first_bad_position, position) << column;
    EXPECT_EQ(report.problem.rfind(kind, 0), 0u) << report.problem;
    ProcessResult r = RunIndependentVerify(copy, "campus");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.out, "bad " + std::to_string(position) + " " + kind + "\n") << r.err;
  }
}

TEST_F(IndependentVerifyTest, MissingFileIsAnErrorNotAVerdict) {
  ProcessResult r = RunIndependentVerify(dir_.File("absent.db"), "campus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("absent.db"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.File("absent.db"))) << "the verifier must not create files";
}

}  // namespace
}  // namespace cairn::testing

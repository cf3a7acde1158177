// Tampering with a ledger written by real `cairn migrate` runs, checked
// through `cairn verify` as a user would run it: every kind of edit must exit
// 5 and name the position. tests/ledger/verify_test.cc covers the store's
// Verify against each kind on a synthetic stream; this suite adds the CLI,
// every row of a real ledger (a byte flipped in each record and each hash),
// and the head anchor (docs/verification.md) that makes a truncated tail and
// a rewritten last event detectable.
#include <gmock/gmock.h>

#include "cairn/base/hash.h"
#include "cairn/store/anchor.h"
#include "clients/cli/exit_codes.h"
#include "tests/faults/fault_util.h"
#include "tests/ledger/ledger_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

class FaultTamperTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    if (!tdb_) return;
    SchemaScenario(GetParam(), 4, 0).WriteMigrations(dir_.path());
    ProcessResult r = RunCairn(tdb_->url(), dir_.path(), {"migrate"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    conn_ = tdb_->Connect();
    ASSERT_TRUE(conn_);
    stream_ = conn_->url().database_name;
    CAIRN_ASSERT_OK_AND_ASSIGN(original_, RawRows(*conn_, stream_));
    ASSERT_GE(original_.size(), 10u);  // run_started, 4 x (started, committed), run_finished
    // An anchor saved by a clean verify, before any tampering.
    anchor_ = dir_.File("campus.head");
    r = Verify({"--anchor", anchor_});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    // The owner of the database can switch the append-only triggers off.
    CAIRN_ASSERT_OK(DisableLedgerGuards(*conn_));
  }

  int64_t Head() const { return static_cast<int64_t>(original_.size()); }
  const RawRow& Original(int64_t position) const { return original_.at(position - 1); }
  std::string ExpectHeadArg() const {
    return std::to_string(Head()) + ":" + ledger::ToHex(Original(Head()).hash);
  }

  ProcessResult Verify(std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), "verify");
    return RunCairn(tdb_->url(), dir_.path(), extra);
  }

  void Exec(const std::string& sql, const db::Params& params = {}) {
    auto r = conn_->Execute(sql, params);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  }
  void SetBytes(int64_t position, const std::string& column, const std::string& bytes) {
    Exec("UPDATE cairn_ledger SET " + column + " = $1 WHERE stream = $2 AND position = $3",
         {db::Value(db::Bytes{bytes}), db::Value(stream_), db::Value(position)});
  }
  void SetPosition(int64_t from, int64_t to) {
    Exec("UPDATE cairn_ledger SET position = $1 WHERE stream = $2 AND position = $3",
         {db::Value(to), db::Value(stream_), db::Value(from)});
  }

  // `cairn verify ARGS` exits 5 with one error line naming `position` and `kind`.
  void ExpectCaught(int64_t position, const std::string& kind,
                    const std::vector<std::string>& args = {}) {
    ProcessResult r = Verify(args);
    EXPECT_EQ(r.exit_code, cli::kExitVerifyFailed) << r.out << r.err;
    EXPECT_THAT(r.err, HasSubstr("at position " + std::to_string(position) + ": " + kind)) << r.err;
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<db::Connection> conn_;
  std::string stream_;
  std::string anchor_;
  std::vector<RawRow> original_;
};

#define SKIP_WITHOUT_DATABASE() \
  if (!tdb_) return

TEST_P(FaultTamperTest, AByteChangedInAnyRecordOrHashIsCaughtAtThatPosition) {
  SKIP_WITHOUT_DATABASE();
  auto store = ledger::LedgerStore::For(*conn_);
  std::mt19937_64 rng(FaultSeed(7));
  for (int64_t p = 1; p <= Head(); ++p) {
    for (const std::string column : {"record", "hash", "prev_hash"}) {
      SCOPED_TRACE(column + " of position " + std::to_string(p));
      const RawRow& o = Original(p);
      std::string bytes = column == "record" ? o.record : column == "hash" ? o.hash : o.prev_hash;
      bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
      SetBytes(p, column, bytes);
      auto report = store->Verify(stream_);
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      EXPECT_FALSE(report->ok);
      EXPECT_EQ(report->first_bad_position, p) << report->problem;
      EXPECT_THAT(report->problem,
                  HasSubstr(column == "prev_hash" ? "broken link" : "hash mismatch"));
      SetBytes(p, column, column == "record" ? o.record : column == "hash" ? o.hash : o.prev_hash);
      if (HasFailure()) return;
    }
  }
  // One of each through the CLI.
  std::string record = Original(3).record;
  record[record.size() / 2] ^= 0x20;
  SetBytes(3, "record", record);
  ExpectCaught(3, "hash mismatch");
}

TEST_P(FaultTamperTest, DeletedRowIsAGap) {
  SKIP_WITHOUT_DATABASE();
  Exec("DELETE FROM cairn_ledger WHERE stream = $1 AND position = 4", {db::Value(stream_)});
  ExpectCaught(4, "gap");
}

TEST_P(FaultTamperTest, ReorderedRowsAreABrokenLink) {
  SKIP_WITHOUT_DATABASE();
  SetPosition(2, 1000);
  SetPosition(5, 2);
  SetPosition(1000, 5);
  ExpectCaught(2, "broken link");
}

TEST_P(FaultTamperTest, InsertedCopyOfARowIsCaught) {
  SKIP_WITHOUT_DATABASE();
  // Row 3 copied (with a fresh event id) to the end, as if replayed.
  RawRow copy = Original(3);
  Exec(
      "INSERT INTO cairn_ledger (stream, position, event_id, event_type, recorded_at, record, "
      "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {db::Value(stream_), db::Value(Head() + 1), db::Value(ledger::NewUuid()),
       db::Value(copy.event_type), db::Value(copy.recorded_at), db::Value(db::Bytes{copy.record}),
       db::Value(db::Bytes{copy.prev_hash}), db::Value(db::Bytes{copy.hash})});
  ExpectCaught(Head() + 1, "broken link");
}

TEST_P(FaultTamperTest, TruncatedTailPassesTheChainButNotTheAnchor) {
  SKIP_WITHOUT_DATABASE();
  const int64_t keep = Head() - 3;
  Exec("DELETE FROM cairn_ledger WHERE stream = $1 AND position > $2",
       {db::Value(stream_), db::Value(keep)});
  // Left in place, the state snapshot saved by the last run gives it away
  // (docs/caches.md)...
  // (reported at the first position the ledger lacks, like a truncation an
  // anchor catches: docs/ledger-format.md, "The state snapshot")...
  ProcessResult r = Verify();
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("at position " + std::to_string(keep + 1) +
                               ": state snapshot at position " + std::to_string(Head()) +
                               " is ahead of the ledger (head " + std::to_string(keep) + ")"));
  // ...but a careful tamperer deletes that cache too, and then the chain
  // alone cannot tell (docs/verification.md).
  Exec("DELETE FROM cairn_state_snapshot", {});
  r = Verify();
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // A head saved before can.
  ExpectCaught(keep + 1, "truncated", {"--expect-head", ExpectHeadArg()});
  const std::string saved = ReadFileOrDie(anchor_);
  ExpectCaught(keep + 1, "truncated", {"--anchor", anchor_});
  EXPECT_EQ(ReadFileOrDie(anchor_), saved) << "a failed verify must not move the anchor";
}

TEST_P(FaultTamperTest, RewrittenLastEventWithAConsistentHashIsAnAnchorMismatch) {
  SKIP_WITHOUT_DATABASE();
  v1::Event e;
  ASSERT_TRUE(e.ParseFromString(Original(Head()).record));
  e.mutable_actor()->set_user("mallory");
  const std::string record = e.SerializeAsString();
  SetBytes(Head(), "record", record);
  SetBytes(Head(), "hash", ledger::RecordHash(stream_, Head(), Original(Head()).prev_hash, record));
  // The state snapshot no longer matches the rewritten head; without it the
  // chain is consistent and only an anchor catches the rewrite.
  ExpectCaught(Head(), "state snapshot at position " + std::to_string(Head()) +
                           " does not match the ledger");
  Exec("DELETE FROM cairn_state_snapshot", {});
  EXPECT_EQ(Verify().exit_code, 0);
  ExpectCaught(Head(), "anchor mismatch", {"--expect-head", ExpectHeadArg()});
  ExpectCaught(Head(), "anchor mismatch", {"--anchor", anchor_});
}

TEST_P(FaultTamperTest, EditedStateSnapshotIsCaughtAtItsPosition) {
  SKIP_WITHOUT_DATABASE();
  Exec("UPDATE cairn_state_snapshot SET position = $1", {db::Value(Head() - 2)});
  ExpectCaught(Head() - 2, "state snapshot at position " + std::to_string(Head() - 2) +
                               " does not match the ledger");
  // Position 0 once made verify fold the whole stream and call the snapshot
  // ahead of the ledger.
  Exec("UPDATE cairn_state_snapshot SET position = 0", {});
  ExpectCaught(1, "state snapshot at position 0 does not match the ledger");
  Exec("UPDATE cairn_state_snapshot SET position = $1", {db::Value(Head() + 3)});
  ExpectCaught(Head() + 1, "state snapshot at position " + std::to_string(Head() + 3) +
                               " is ahead of the ledger");
}

TEST_P(FaultTamperTest, AnchorFollowsAGrowingLedger) {
  SKIP_WITHOUT_DATABASE();
  // New migrations append: the old anchor still holds and moves to the new head.
  SchemaScenario(GetParam(), 6, 0).WriteMigrations(dir_.path());
  ProcessResult r = RunCairn(tdb_->url(), dir_.path(), {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  r = Verify({"--expect-head", ExpectHeadArg(), "--anchor", anchor_});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto anchor = ledger::ParseAnchorFile(ReadFileOrDie(anchor_));
  ASSERT_TRUE(anchor.ok()) << anchor.status().ToString();
  EXPECT_EQ(anchor->stream, stream_);
  EXPECT_EQ(anchor->position, Head() + 1 + 2 * 2 + 1);  // one more run of two migrations
  EXPECT_THAT(r.out, HasSubstr("head position " + std::to_string(anchor->position) + " hash " +
                               ledger::ToHex(anchor->hash)));
}

TEST_P(FaultTamperTest, BadAnchorsAreRefusedBeforeAnythingIsChecked) {
  SKIP_WITHOUT_DATABASE();
  for (const std::string& bad :
       std::vector<std::string>{"12", "x:00", "3:abc", "-1:" + std::string(64, '0')}) {
    ProcessResult r = Verify({"--expect-head=" + bad});
    EXPECT_EQ(r.exit_code, cli::kExitInvalidMigrations) << bad << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("--expect-head")) << r.err;
  }
  WriteFile(anchor_, ledger::FormatAnchorFile({1, std::string(32, '\0'), "elsewhere"}));
  ProcessResult r = Verify({"--anchor", anchor_});
  EXPECT_EQ(r.exit_code, cli::kExitInvalidMigrations) << r.err;
  EXPECT_THAT(r.err, HasSubstr(anchor_ + ": the anchor is for stream 'elsewhere'"));
  WriteFile(anchor_, "not an anchor\n");
  r = Verify({"--anchor", anchor_});
  EXPECT_EQ(r.exit_code, cli::kExitInvalidMigrations) << r.err;
  EXPECT_THAT(r.err, HasSubstr(anchor_ + ": "));
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultTamperTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

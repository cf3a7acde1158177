// Verify against tampering: each test edits a 10-event stream directly in the
// database (with the append-only triggers out of the way, as the database's
// owner could) and checks that Verify names the first bad position and the
// kind of problem, per docs/ledger-format.md, "Verification".
#include <string>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ledger::LedgerStore;

constexpr int kEvents = 10;
constexpr const char* kStream = "campus";

class VerifyTamperingTest : public ConnectedBackendTest {
 protected:
  void SetUp() override {
    ConnectedBackendTest::SetUp();
    if (!conn_) return;
    CAIRN_ASSERT_OK(store_->EnsureSchema());
    CAIRN_ASSERT_OK(AppendTestEvents(*store_, kStream, 1, 1, kEvents));
    // Another stream in the same database, which tampering must not affect.
    CAIRN_ASSERT_OK(AppendTestEvents(*store_, "bystander", 2, 1, 3));
    CAIRN_ASSERT_OK_AND_ASSIGN(original_, RawRows(*conn_, kStream));
    ASSERT_EQ(original_.size(), static_cast<size_t>(kEvents));
    CAIRN_ASSERT_OK_AND_ASSIGN(auto clean, store_->Verify(kStream));
    ASSERT_TRUE(clean.ok) << clean.problem;
    ASSERT_EQ(clean.head.position, kEvents);

    // The owner of the database can switch the append-only triggers off.
    CAIRN_ASSERT_OK(DisableLedgerGuards(*conn_));
  }

  void TearDown() override {
    if (!tdb_ || !conn_) return;
    // Whatever was done to "campus", the other stream still verifies.
    auto other = store_->Verify("bystander");
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    EXPECT_TRUE(other->ok) << other->problem;
    EXPECT_EQ(other->head.position, 3);
  }

  const RawRow& Original(int64_t position) const { return original_.at(position - 1); }

  void Exec(const std::string& sql, const db::Params& params = {}) {
    auto r = conn_->Execute(sql, params);
    ASSERT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
  }

  // Sets one column of one row of kStream.
  void SetColumn(int64_t position, const std::string& column, const db::Value& value) {
    ASSERT_NO_FATAL_FAILURE(
        Exec("UPDATE cairn_ledger SET " + column + " = $1 WHERE stream = $2 AND position = $3",
             {value, db::Value(kStream), db::Value(position)}));
  }

  void SetPosition(int64_t from, int64_t to) {
    ASSERT_NO_FATAL_FAILURE(
        Exec("UPDATE cairn_ledger SET position = $1 WHERE stream = $2 AND position = $3",
             {db::Value(to), db::Value(kStream), db::Value(from)}));
  }

  void InsertRow(const RawRow& row) {
    ASSERT_NO_FATAL_FAILURE(Exec(
        "INSERT INTO cairn_ledger (stream, position, event_id, event_type, recorded_at, "
        "record, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        {db::Value(row.stream), db::Value(row.position), db::Value(row.event_id),
         db::Value(row.event_type), db::Value(row.recorded_at), db::Value(db::Bytes{row.record}),
         db::Value(db::Bytes{row.prev_hash}), db::Value(db::Bytes{row.hash})}));
  }

  // Writes every column of an original row back.
  void Restore(int64_t position) {
    const RawRow& o = Original(position);
    ASSERT_NO_FATAL_FAILURE(
        Exec("UPDATE cairn_ledger SET event_id = $1, event_type = $2, recorded_at = $3, "
             "record = $4, prev_hash = $5, hash = $6 WHERE stream = $7 AND position = $8",
             {db::Value(o.event_id), db::Value(o.event_type), db::Value(o.recorded_at),
              db::Value(db::Bytes{o.record}), db::Value(db::Bytes{o.prev_hash}),
              db::Value(db::Bytes{o.hash}), db::Value(kStream), db::Value(position)}));
  }

  // A well-formed row for `position` after `prev_hash`: what a forger who
  // knows the format would write.
  static RawRow ForgedRow(int64_t position, const std::string& prev_hash, uint64_t seq) {
    v1::Event e = TestEvent(kStream, 66, seq);
    e.set_position(position);
    e.set_prev_hash(prev_hash);
    RawRow row;
    row.stream = kStream;
    row.position = position;
    row.event_id = e.event_id();
    row.event_type = ledger::EventTypeName(e);
    row.recorded_at = TestMicros(seq);
    row.record = e.SerializeAsString();
    row.prev_hash = prev_hash;
    row.hash = ledger::RecordHash(kStream, position, prev_hash, row.record);
    return row;
  }

  ledger::VerifyReport VerifyStream() {
    auto r = store_->Verify(kStream);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ledger::VerifyReport{};
  }

  // Verify reports ok=false at `position` with a problem starting with `kind`,
  // and the head is the last good event before it.
  void ExpectBad(int64_t position, const std::string& kind) {
    ledger::VerifyReport report = VerifyStream();
    EXPECT_FALSE(report.ok);
    EXPECT_EQ(report.first_bad_position, position) << report.problem;
    EXPECT_EQ(report.problem.rfind(kind, 0), 0u)
        << "problem '" << report.problem << "' is not a " << kind;
    EXPECT_EQ(report.events_checked, position - 1);
    EXPECT_EQ(report.head.position, position - 1);
    EXPECT_EQ(report.head.hash,
              position == 1 ? std::string(32, '\0') : Original(position - 1).hash);
  }

  void ExpectOk() {
    ledger::VerifyReport report = VerifyStream();
    EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_position;
    EXPECT_EQ(report.head.position, kEvents);
    EXPECT_EQ(report.head.hash, Original(kEvents).hash);
  }

  std::vector<RawRow> original_;
};

#define SKIP_WITHOUT_DATABASE() \
  if (!tdb_) return

TEST_P(VerifyTamperingTest, ChangedRecordByteIsHashMismatchAtThatPosition) {
  SKIP_WITHOUT_DATABASE();
  for (int64_t position : {1, 6, kEvents}) {
    SCOPED_TRACE("position " + std::to_string(position));
    std::string record = Original(position).record;
    record[record.size() / 2] ^= 0x01;
    SetColumn(position, "record", db::Bytes{record});
    ExpectBad(position, "hash mismatch");
    // Putting the byte back makes the chain whole again.
    Restore(position);
    ExpectOk();
  }
}

TEST_P(VerifyTamperingTest, ChangedHashColumnIsHashMismatchAtThatPosition) {
  SKIP_WITHOUT_DATABASE();
  std::string hash = Original(4).hash;
  hash[0] ^= 0x80;
  SetColumn(4, "hash", db::Bytes{hash});
  ExpectBad(4, "hash mismatch");
}

TEST_P(VerifyTamperingTest, RecordRewrittenWithConsistentHashBreaksLinkAtNextPosition) {
  SKIP_WITHOUT_DATABASE();
  // Change how many rows batch 5 touched, keep the record well-formed, rehash it.
  v1::Event e;
  ASSERT_TRUE(e.ParseFromString(Original(5).record));
  ASSERT_TRUE(e.has_batch_applied());
  e.mutable_batch_applied()->set_rows(999999);
  const std::string record = e.SerializeAsString();
  const std::string hash = ledger::RecordHash(kStream, 5, Original(5).prev_hash, record);
  SetColumn(5, "record", db::Bytes{record});
  SetColumn(5, "hash", db::Bytes{hash});

  ledger::VerifyReport report = VerifyStream();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 6);
  EXPECT_EQ(report.problem.rfind("broken link", 0), 0u) << report.problem;
  // Position 5 itself passes every check: the forgery is only visible downstream.
  EXPECT_EQ(report.events_checked, 5);
  EXPECT_EQ(report.head.position, 5);
  EXPECT_EQ(report.head.hash, hash);
}

TEST_P(VerifyTamperingTest, LastRecordRewrittenWithConsistentHashIsOnlyCaughtByTheSavedHead) {
  SKIP_WITHOUT_DATABASE();
  v1::Event e;
  ASSERT_TRUE(e.ParseFromString(Original(kEvents).record));
  e.mutable_actor()->set_user("mallory");
  const std::string record = e.SerializeAsString();
  const std::string hash =
      ledger::RecordHash(kStream, kEvents, Original(kEvents).prev_hash, record);
  SetColumn(kEvents, "record", db::Bytes{record});
  SetColumn(kEvents, "hash", db::Bytes{hash});
  ledger::VerifyReport report = VerifyStream();
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.head.position, kEvents);
  EXPECT_NE(report.head.hash, Original(kEvents).hash) << "a head saved elsewhere exposes this";
}

TEST_P(VerifyTamperingTest, DeletedMiddleRowIsGapAtItsPosition) {
  SKIP_WITHOUT_DATABASE();
  Exec("DELETE FROM cairn_ledger WHERE stream = $1 AND position = 5", {db::Value(kStream)});
  ExpectBad(5, "gap");
}

TEST_P(VerifyTamperingTest, DeletedFirstRowIsGapAtPositionOne) {
  SKIP_WITHOUT_DATABASE();
  Exec("DELETE FROM cairn_ledger WHERE stream = $1 AND position = 1", {db::Value(kStream)});
  ExpectBad(1, "gap");
}

TEST_P(VerifyTamperingTest, SwappedRowsWithChainLinksKeptInPlaceAreHashMismatch) {
  SKIP_WITHOUT_DATABASE();
  // Rows 3 and 7 trade places; each keeps the prev_hash its new position
  // expects, so the links still line up and only the hash (which covers the
  // position and prev_hash) gives the swap away.
  SetPosition(3, 1000);
  SetPosition(7, 3);
  SetPosition(1000, 7);
  SetColumn(3, "prev_hash", db::Bytes{Original(3).prev_hash});
  SetColumn(7, "prev_hash", db::Bytes{Original(7).prev_hash});
  ExpectBad(3, "hash mismatch");
}

TEST_P(VerifyTamperingTest, SwappedRowsWithTheirOwnPrevHashesAreBrokenLink) {
  SKIP_WITHOUT_DATABASE();
  // Only the position column is swapped: the row now at 3 still names its old
  // predecessor, which step 2 (checked before step 3) reports.
  SetPosition(3, 1000);
  SetPosition(7, 3);
  SetPosition(1000, 7);
  ExpectBad(3, "broken link");
}

TEST_P(VerifyTamperingTest, SwappedAdjacentRowsAreCaughtAtTheFirst) {
  SKIP_WITHOUT_DATABASE();
  SetPosition(5, 1000);
  SetPosition(6, 5);
  SetPosition(1000, 6);
  ExpectBad(5, "broken link");
}

TEST_P(VerifyTamperingTest, ForgedRowInsertedIntoRenumberedTailBreaksLinkAfterIt) {
  SKIP_WITHOUT_DATABASE();
  // Move 6..10 to 7..11 and forge a perfect row 6 that follows row 5.
  Exec("UPDATE cairn_ledger SET position = position + 1000 WHERE stream = $1 AND position >= 6",
       {db::Value(kStream)});
  Exec("UPDATE cairn_ledger SET position = position - 999 WHERE stream = $1 AND position > 1000",
       {db::Value(kStream)});
  const RawRow forged = ForgedRow(6, Original(5).hash, 500);
  InsertRow(forged);

  ledger::VerifyReport report = VerifyStream();
  EXPECT_FALSE(report.ok);
  EXPECT_EQ(report.first_bad_position, 7);
  EXPECT_EQ(report.problem.rfind("broken link", 0), 0u) << report.problem;
  EXPECT_EQ(report.head.position, 6);
  EXPECT_EQ(report.head.hash, forged.hash);
}

TEST_P(VerifyTamperingTest, AppendedRowWithWrongPrevHashIsBrokenLink) {
  SKIP_WITHOUT_DATABASE();
  // A row that chains onto position 9 instead of the head, hashed correctly.
  InsertRow(ForgedRow(kEvents + 1, Original(kEvents - 1).hash, 501));
  ExpectBad(kEvents + 1, "broken link");
}

TEST_P(VerifyTamperingTest, AppendedRowWithBadHashIsHashMismatch) {
  SKIP_WITHOUT_DATABASE();
  RawRow row = ForgedRow(kEvents + 1, Original(kEvents).hash, 502);
  row.hash = ledger::Sha256("not the hash");
  InsertRow(row);
  ExpectBad(kEvents + 1, "hash mismatch");
}

TEST_P(VerifyTamperingTest, RowInsertedPastTheHeadIsGap) {
  SKIP_WITHOUT_DATABASE();
  InsertRow(ForgedRow(kEvents + 2, Original(kEvents).hash, 503));
  ExpectBad(kEvents + 1, "gap");
}

TEST_P(VerifyTamperingTest, ChangedColumnCopiesAreRecordMismatch) {
  SKIP_WITHOUT_DATABASE();
  {
    SCOPED_TRACE("event_type");
    ASSERT_NE(Original(2).event_type, "run_finished");
    SetColumn(2, "event_type", db::Value("run_finished"));
    ExpectBad(2, "record mismatch");
    Restore(2);
    ExpectOk();
  }
  {
    SCOPED_TRACE("recorded_at");
    SetColumn(8, "recorded_at", db::Value(Original(8).recorded_at + 1));
    ExpectBad(8, "record mismatch");
    Restore(8);
    ExpectOk();
  }
  {
    SCOPED_TRACE("event_id");
    SetColumn(4, "event_id", db::Value(TestUuid(7, 7)));
    ExpectBad(4, "record mismatch");
    Restore(4);
    ExpectOk();
  }
}

TEST_P(VerifyTamperingTest, UndecodableRecordWithConsistentHashIsRecordMismatch) {
  SKIP_WITHOUT_DATABASE();
  const std::string garbage("\xff\xff\xff\xff", 4);  // a truncated varint: not a message
  SetColumn(3, "record", db::Bytes{garbage});
  SetColumn(3, "hash", db::Bytes{ledger::RecordHash(kStream, 3, Original(3).prev_hash, garbage)});
  ExpectBad(3, "record mismatch");
}

TEST_P(VerifyTamperingTest, RecordDisagreeingWithItsPositionIsRecordMismatch) {
  SKIP_WITHOUT_DATABASE();
  // A record that claims another position, hashed consistently at this one.
  v1::Event e;
  ASSERT_TRUE(e.ParseFromString(Original(6).record));
  e.set_position(60);
  const std::string record = e.SerializeAsString();
  SetColumn(6, "record", db::Bytes{record});
  SetColumn(6, "hash", db::Bytes{ledger::RecordHash(kStream, 6, Original(6).prev_hash, record)});
  ExpectBad(6, "record mismatch");
}

TEST_P(VerifyTamperingTest, TruncatedTailStillVerifiesButHeadIsSmaller) {
  SKIP_WITHOUT_DATABASE();
  Exec("DELETE FROM cairn_ledger WHERE stream = $1 AND position > 7", {db::Value(kStream)});
  ledger::VerifyReport report = VerifyStream();
  // The chain alone cannot see a truncation (docs/ledger-format.md): every
  // remaining link is intact. Only the head, compared with one saved before,
  // shows it.
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events_checked, 7);
  EXPECT_EQ(report.head.position, 7);
  EXPECT_LT(report.head.position, kEvents);
  EXPECT_EQ(report.head.hash, Original(7).hash);
  EXPECT_NE(report.head.hash, Original(kEvents).hash);
}

INSTANTIATE_TEST_SUITE_P(Backends, VerifyTamperingTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

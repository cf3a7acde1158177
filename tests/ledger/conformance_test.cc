// The conformance suite every LedgerStore backend must pass
// (docs/ledger-format.md): schema, appends and the hash chain, transactions,
// reads, idempotency, head checks, independent streams, append-only triggers,
// and appenders in several processes at once.
#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ledger::LedgerStore;

class LedgerConformanceTest : public ConnectedBackendTest {
 protected:
  // Whether any table named like the ledger's exists, asked of the catalog
  // directly (not through the store under test).
  int64_t LedgerTableCount(db::Connection& conn) {
    auto rows = conn.Query(GetParam() == db::Backend::kSqlite
                               ? "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND "
                                 "name IN ('cairn_ledger', 'cairn_ledger_meta')"
                               : "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename IN "
                                 "('cairn_ledger', 'cairn_ledger_meta')");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0][0].AsInt() : -1;
  }

  std::unique_ptr<db::Connection> OpenConnection(const db::OpenOptions& options = {}) {
    auto url = db::ParseDatabaseUrl(tdb_->url());
    EXPECT_TRUE(url.ok());
    auto conn = db::Connection::Open(*url, options);
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    return conn.ok() ? std::move(*conn) : nullptr;
  }
};

#define SKIP_WITHOUT_DATABASE() \
  if (!tdb_) return

TEST_P(LedgerConformanceTest, EnsureSchemaIsIdempotent) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK_AND_ASSIGN(bool before, store_->Exists());
  EXPECT_FALSE(before);
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK_AND_ASSIGN(bool after, store_->Exists());
  EXPECT_TRUE(after);
  EXPECT_EQ(LedgerTableCount(*conn_), 2);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto meta,
                             conn_->Query("SELECT key, value FROM cairn_ledger_meta ORDER BY key"));
  ASSERT_EQ(meta.size(), 2u);
  EXPECT_EQ(meta[0][0].AsText(), "format");
  EXPECT_EQ(meta[0][1].AsText(), "1");
  // The target's identity (docs/ledger-format.md, "Target identity").
  EXPECT_EQ(meta[1][0].AsText(), "target_id");
  EXPECT_EQ(meta[1][1].AsText().size(), 36u) << meta[1][1].AsText();
  EXPECT_FALSE(conn_->in_transaction());

  // A second connection (as a second process would) sees the schema and its
  // EnsureSchema changes nothing.
  auto other = tdb_->Connect();
  auto other_store = LedgerStore::For(*other);
  CAIRN_ASSERT_OK(other_store->EnsureSchema());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto meta2, other->Query("SELECT count(*) FROM cairn_ledger_meta"));
  EXPECT_EQ(meta2[0][0].AsInt(), 2);
}

TEST_P(LedgerConformanceTest, EnsureSchemaInsideOpenTransactionRollsBackWithIt) {
  SKIP_WITHOUT_DATABASE();
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK(store_->EnsureSchema());
    EXPECT_TRUE(conn_->in_transaction()) << "EnsureSchema must not end the caller's transaction";
    CAIRN_ASSERT_OK_AND_ASSIGN(bool inside, store_->Exists());
    EXPECT_TRUE(inside);
    CAIRN_ASSERT_OK(tx->Rollback());
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(bool after, store_->Exists());
  EXPECT_FALSE(after);
  EXPECT_EQ(LedgerTableCount(*conn_), 0);
}

TEST_P(LedgerConformanceTest, EnsureSchemaFromSeveralProcessesAtOnce) {
  SKIP_WITHOUT_DATABASE();
  conn_.reset();  // no connection crosses fork()
  store_.reset();
  const std::string url = tdb_->url();
  std::vector<int> codes = RunInChildProcesses(4, [&](int) {
    auto parsed = db::ParseDatabaseUrl(url);
    if (!parsed.ok()) return 2;
    auto conn = db::Connection::Open(*parsed);
    if (!conn.ok()) return 3;
    auto store = LedgerStore::For(**conn);
    Status s = store->EnsureSchema();
    if (!s.ok()) {
      std::fprintf(stderr, "child: %s\n", s.ToString().c_str());
      return 4;
    }
    return 0;
  });
  EXPECT_EQ(codes, std::vector<int>(4, 0));
  auto conn = tdb_->Connect();
  EXPECT_EQ(LedgerTableCount(*conn), 2);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto meta, conn->Query("SELECT count(*) FROM cairn_ledger_meta"));
  EXPECT_EQ(meta[0][0].AsInt(), 2);  // format and one target_id
}

TEST_P(LedgerConformanceTest, AppendAssignsGaplessPositionsAndChainsHashes) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  constexpr int kEvents = 12;
  std::vector<ledger::AppendResult> results;
  // Several transactions of different sizes: 1, 2, 3, 6 events.
  int seq = 1;
  for (int batch : {1, 2, 3, 6}) {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    for (int i = 0; i < batch; ++i, ++seq) {
      CAIRN_ASSERT_OK_AND_ASSIGN(auto r, store_->Append(*tx, TestEvent("campus", 1, seq)));
      EXPECT_FALSE(r.duplicate);
      results.push_back(r);
    }
    CAIRN_ASSERT_OK(tx->Commit());
  }
  ASSERT_EQ(results.size(), static_cast<size_t>(kEvents));

  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, "campus"));
  ASSERT_EQ(rows.size(), static_cast<size_t>(kEvents));
  std::string prev = std::string(32, '\0');
  for (int i = 0; i < kEvents; ++i) {
    SCOPED_TRACE("position " + std::to_string(i + 1));
    const RawRow& row = rows[i];
    EXPECT_EQ(results[i].position, i + 1);
    EXPECT_EQ(row.position, i + 1);
    EXPECT_EQ(row.prev_hash, prev);
    EXPECT_EQ(row.hash.size(), 32u);
    EXPECT_EQ(row.hash, ledger::RecordHash("campus", row.position, row.prev_hash, row.record));
    EXPECT_EQ(row.hash, results[i].hash);

    // The record is the event as appended, with the chain fields set and no hash.
    v1::Event stored;
    ASSERT_TRUE(stored.ParseFromString(row.record));
    EXPECT_EQ(stored.stream(), "campus");
    EXPECT_EQ(stored.position(), i + 1);
    EXPECT_EQ(stored.prev_hash(), prev);
    EXPECT_TRUE(stored.hash().empty());
    v1::Event expected = TestEvent("campus", 1, i + 1);
    EXPECT_EQ(stored.event_id(), expected.event_id());
    EXPECT_EQ(row.event_id, expected.event_id());
    EXPECT_EQ(row.event_type, ledger::EventTypeName(expected));
    EXPECT_EQ(row.recorded_at, TestMicros(i + 1));
    expected.set_position(i + 1);
    expected.set_prev_hash(prev);
    EXPECT_EQ(stored.SerializeAsString(), expected.SerializeAsString());
    prev = row.hash;
  }
  EXPECT_EQ(rows[0].event_type, "migration_committed");
  EXPECT_EQ(rows[1].event_type, "batch_applied");
  EXPECT_EQ(rows[2].event_type, "migration_started");

  CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store_->GetHead("campus"));
  EXPECT_EQ(head.position, kEvents);
  EXPECT_EQ(head.hash, rows.back().hash);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify("campus"));
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events_checked, kEvents);
  EXPECT_EQ(report.head.position, kEvents);
  EXPECT_EQ(report.head.hash, rows.back().hash);
  EXPECT_EQ(report.first_bad_position, 0);
  EXPECT_EQ(report.problem, "");
}

TEST_P(LedgerConformanceTest, AppendFillsEventIdAndRecordedAtWhenUnset) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  v1::Event e;
  e.set_stream("campus");
  e.mutable_run_started()->set_direction(v1::DIRECTION_UP);
  const int64_t before = ledger::NowMicros();
  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  CAIRN_ASSERT_OK(store_->Append(*tx, e));
  CAIRN_ASSERT_OK(store_->Append(*tx, e));  // a second event: a new id, not a retry
  CAIRN_ASSERT_OK(tx->Commit());
  const int64_t after = ledger::NowMicros();
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, "campus"));
  ASSERT_EQ(rows.size(), 2u);
  static const std::regex kUuid(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (const RawRow& row : rows) {
    EXPECT_TRUE(std::regex_match(row.event_id, kUuid)) << row.event_id;
    EXPECT_GE(row.recorded_at, before);
    EXPECT_LE(row.recorded_at, after);
    EXPECT_EQ(row.event_type, "run_started");
  }
  EXPECT_NE(rows[0].event_id, rows[1].event_id);
}

TEST_P(LedgerConformanceTest, AppendRejectsEventWithoutStreamOrBody) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  v1::Event no_stream = TestEvent("campus", 1, 1);
  no_stream.clear_stream();
  EXPECT_EQ(store_->Append(*tx, no_stream).status().code(), StatusCode::kInvalidArgument);
  v1::Event no_body = TestEvent("campus", 1, 2);
  no_body.clear_body();
  EXPECT_EQ(store_->Append(*tx, no_body).status().code(), StatusCode::kInvalidArgument);
  CAIRN_ASSERT_OK(tx->Commit());
  CAIRN_ASSERT_OK_AND_ASSIGN(int64_t n, CountRows(*conn_));
  EXPECT_EQ(n, 0);
}

// The writes take the open transaction as a capability (ledger/store.h): one
// that has ended, or one on another connection, is refused before anything
// is written.
TEST_P(LedgerConformanceTest, WritesNeedAnOpenTransactionOnTheStoresConnection) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto ended, conn_->Begin());
  CAIRN_ASSERT_OK(ended->Commit());
  auto r = store_->Append(*ended, TestEvent("campus", 1, 1));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_EQ(store_->AppendAt(*ended, {}, {TestEvent("campus", 1, 1)}).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Import(*ended, {}).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->CheckHead(*ended, "campus", 0).code(), StatusCode::kFailedPrecondition);

  auto other = tdb_->Connect();
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto elsewhere, other->Begin());
    r = store_->Append(*elsewhere, TestEvent("campus", 1, 1));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find("another connection"), std::string::npos);
    EXPECT_EQ(store_->CheckHead(*elsewhere, "campus", 0).code(), StatusCode::kInvalidArgument);
  }  // rolls back
  CAIRN_ASSERT_OK_AND_ASSIGN(int64_t n, CountRows(*conn_));
  EXPECT_EQ(n, 0);
}

TEST_P(LedgerConformanceTest, RolledBackAppendLeavesNoEventAndNextAppendReusesPosition) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, 1));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto head1, store_->GetHead("campus"));

  // Explicit rollback, together with a change to another table.
  CAIRN_ASSERT_OK(conn_->Execute("CREATE TABLE widgets (id INTEGER PRIMARY KEY)"));
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK(conn_->Execute("INSERT INTO widgets (id) VALUES (1)"));
    CAIRN_ASSERT_OK_AND_ASSIGN(auto r, store_->Append(*tx, TestEvent("campus", 1, 2)));
    EXPECT_EQ(r.position, 2);
    CAIRN_ASSERT_OK(tx->Rollback());
  }
  // Rollback by the Transaction's destructor.
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK_AND_ASSIGN(auto r, store_->Append(*tx, TestEvent("campus", 1, 3)));
    EXPECT_EQ(r.position, 2);
  }
  EXPECT_FALSE(conn_->in_transaction());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store_->GetHead("campus"));
  EXPECT_EQ(head.position, 1);
  EXPECT_EQ(head.hash, head1.hash);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto widgets, conn_->Query("SELECT count(*) FROM widgets"));
  EXPECT_EQ(widgets[0][0].AsInt(), 0);

  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto r, store_->Append(*tx, TestEvent("campus", 1, 4)));
  CAIRN_ASSERT_OK(tx->Commit());
  EXPECT_EQ(r.position, 2);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, "campus"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].event_id, TestUuid(1, 4));
  EXPECT_EQ(rows[1].prev_hash, head1.hash);
  // The rolled-back event ids are free to use again: they were never stored.
  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx2, conn_->Begin());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto again, store_->Append(*tx2, TestEvent("campus", 1, 2)));
  EXPECT_FALSE(again.duplicate);
  EXPECT_EQ(again.position, 3);
  CAIRN_ASSERT_OK(tx2->Commit());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify("campus"));
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.head.position, 3);
}

TEST_P(LedgerConformanceTest, ReadFromPositionWithLimitReturnsEventsInOrder) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, 10));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, "campus"));
  ASSERT_EQ(rows.size(), 10u);

  auto read = [&](int64_t from, int64_t limit) {
    std::vector<v1::Event> out;
    Status s = store_->Read("campus", from, limit, [&](const v1::Event& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  };

  std::vector<v1::Event> some = read(4, 3);
  ASSERT_EQ(some.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    const RawRow& row = rows[3 + i];
    EXPECT_EQ(some[i].position(), 4 + i);
    EXPECT_EQ(some[i].event_id(), row.event_id);
    EXPECT_EQ(some[i].hash(), row.hash) << "Read must set each event's hash";
    EXPECT_EQ(some[i].prev_hash(), row.prev_hash);
    v1::Event without_hash = some[i];
    without_hash.clear_hash();
    EXPECT_EQ(without_hash.SerializeAsString(), row.record);
  }

  std::vector<v1::Event> all = read(0, 0);
  ASSERT_EQ(all.size(), 10u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(all[i].position(), i + 1);
  EXPECT_EQ(read(1, 100).size(), 10u);
  EXPECT_EQ(read(10, 0).size(), 1u);
  EXPECT_TRUE(read(11, 0).empty());

  // The callback stops the read.
  int calls = 0;
  CAIRN_ASSERT_OK(store_->Read("campus", 1, 0, [&](const v1::Event&) { return ++calls < 2; }));
  EXPECT_EQ(calls, 2);

  // Another stream of the same database has nothing.
  int other = 0;
  CAIRN_ASSERT_OK(store_->Read("other", 1, 0, [&](const v1::Event&) {
    ++other;
    return true;
  }));
  EXPECT_EQ(other, 0);
}

TEST_P(LedgerConformanceTest, ReadAndVerifyCrossPageBoundaries) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  constexpr int kEvents = 2005;  // more than one page (2000 rows) of reads
  CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, kEvents));
  int64_t expect = 1;
  bool in_order = true;
  CAIRN_ASSERT_OK(store_->Read("campus", 1, 0, [&](const v1::Event& e) {
    in_order = in_order && e.position() == expect;
    ++expect;
    return true;
  }));
  EXPECT_TRUE(in_order);
  EXPECT_EQ(expect - 1, kEvents);

  int64_t n = 0, last = 0;
  CAIRN_ASSERT_OK(store_->Read("campus", 3, 2001, [&](const v1::Event& e) {
    ++n;
    last = e.position();
    return true;
  }));
  EXPECT_EQ(n, 2001);
  EXPECT_EQ(last, 2003);

  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify("campus"));
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.events_checked, kEvents);
  EXPECT_EQ(report.head.position, kEvents);
}

TEST_P(LedgerConformanceTest, ReadsOnDatabaseWithoutLedgerAreEmptyAndCreateNothing) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store_->GetHead("campus"));
  EXPECT_EQ(head.position, 0);
  EXPECT_EQ(head.hash, std::string(32, '\0'));

  int events = 0;
  CAIRN_ASSERT_OK(store_->Read("campus", 1, 0, [&](const v1::Event&) {
    ++events;
    return true;
  }));
  EXPECT_EQ(events, 0);

  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify("campus"));
  EXPECT_TRUE(report.ok);
  EXPECT_EQ(report.events_checked, 0);
  EXPECT_EQ(report.head.position, 0);
  EXPECT_EQ(report.head.hash, std::string(32, '\0'));

  CAIRN_ASSERT_OK_AND_ASSIGN(auto streams, store_->ListStreams());
  EXPECT_TRUE(streams.empty());

  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_EXPECT_OK(store_->CheckHead(*tx, "campus", 0));
    EXPECT_EQ(store_->CheckHead(*tx, "campus", 1).code(), StatusCode::kAborted);
    CAIRN_ASSERT_OK(tx->Commit());
  }

  CAIRN_ASSERT_OK_AND_ASSIGN(bool exists, store_->Exists());
  EXPECT_FALSE(exists);
  EXPECT_EQ(LedgerTableCount(*conn_), 0);
}

TEST_P(LedgerConformanceTest, AppendWithSameIdAndSameContentReturnsOriginalPosition) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  ledger::AppendResult first;
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    CAIRN_ASSERT_OK_AND_ASSIGN(first, store_->Append(*tx, TestEvent("campus", 1, 1)));
    CAIRN_ASSERT_OK(store_->Append(*tx, TestEvent("campus", 1, 2)));
    // A retry inside the same transaction.
    CAIRN_ASSERT_OK_AND_ASSIGN(auto retry, store_->Append(*tx, TestEvent("campus", 1, 1)));
    EXPECT_TRUE(retry.duplicate);
    EXPECT_EQ(retry.position, 1);
    EXPECT_EQ(retry.hash, first.hash);
    CAIRN_ASSERT_OK(tx->Commit());
  }
  EXPECT_FALSE(first.duplicate);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto before, RawRows(*conn_, "campus"));

  // A retry in a later transaction, carrying stale chain fields that must be ignored.
  v1::Event stale = TestEvent("campus", 1, 1);
  stale.set_position(77);
  stale.set_prev_hash(std::string(32, '\x5a'));
  stale.set_hash(std::string(32, '\x33'));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto retry, store_->Append(*tx, stale));
  CAIRN_ASSERT_OK(tx->Commit());
  EXPECT_TRUE(retry.duplicate);
  EXPECT_EQ(retry.position, 1);
  EXPECT_EQ(retry.hash, first.hash);

  CAIRN_ASSERT_OK_AND_ASSIGN(auto after, RawRows(*conn_, "campus"));
  EXPECT_EQ(after, before);
  EXPECT_EQ(after.size(), 2u);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify("campus"));
  EXPECT_TRUE(report.ok) << report.problem;
  EXPECT_EQ(report.head.position, 2);
}

TEST_P(LedgerConformanceTest, AppendWithSameIdAndDifferentContentFailsWithAlreadyExists) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, 2));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto before, RawRows(*conn_, "campus"));

  v1::Event other_body = TestEvent("campus", 1, 1);
  other_body.mutable_migration_committed()->set_duration_micros(123456789);
  v1::Event other_time = TestEvent("campus", 1, 1);
  SetMicros(&other_time, TestMicros(1) + 1);
  v1::Event other_actor = TestEvent("campus", 1, 1);
  other_actor.mutable_actor()->set_user("mallory");
  v1::Event other_stream = TestEvent("elsewhere", 1, 1);  // event ids are unique per table

  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  for (const v1::Event* e : {&other_body, &other_time, &other_actor, &other_stream}) {
    auto r = store_->Append(*tx, *e);
    ASSERT_FALSE(r.ok()) << "appended " << e->ShortDebugString();
    EXPECT_EQ(r.status().code(), StatusCode::kAlreadyExists) << r.status().ToString();
    EXPECT_NE(r.status().message().find(TestUuid(1, 1)), std::string::npos) << r.status().message();
  }
  CAIRN_ASSERT_OK(tx->Commit());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto after, RawRows(*conn_, "campus"));
  EXPECT_EQ(after, before);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto elsewhere, RawRows(*conn_, "elsewhere"));
  EXPECT_TRUE(elsewhere.empty());
}

TEST_P(LedgerConformanceTest, CheckHeadReturnsAbortedWhenHeadMoved) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, 1));
  // This connection planned against head 1; another writer then appends.
  CAIRN_ASSERT_OK_AND_ASSIGN(auto planned, store_->GetHead("campus"));
  ASSERT_EQ(planned.position, 1);
  auto other = tdb_->Connect();
  auto other_store = LedgerStore::For(*other);
  CAIRN_ASSERT_OK(AppendTestEvents(*other_store, "campus", 2, 1, 1));

  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  Status moved = store_->CheckHead(*tx, "campus", planned.position);
  EXPECT_EQ(moved.code(), StatusCode::kAborted) << moved.ToString();
  CAIRN_EXPECT_OK(store_->CheckHead(*tx, "campus", 2));
  // Other streams are not affected.
  CAIRN_EXPECT_OK(store_->CheckHead(*tx, "elsewhere", 0));
  EXPECT_EQ(store_->CheckHead(*tx, "elsewhere", 1).code(), StatusCode::kAborted);
  CAIRN_ASSERT_OK(tx->Rollback());
}

TEST_P(LedgerConformanceTest, CheckHeadHoldsTheAppendLockUntilTransactionEnds) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  // The second writer gives up on a held lock at once instead of waiting.
  db::OpenOptions impatient;
  impatient.busy_timeout = std::chrono::milliseconds(0);
  auto other = OpenConnection(impatient);
  ASSERT_NE(other, nullptr);
  if (GetParam() == db::Backend::kPostgres) {
    CAIRN_ASSERT_OK(other->Execute("SET lock_timeout = '50ms'"));
  }
  auto other_store = LedgerStore::For(*other);

  CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
  CAIRN_ASSERT_OK(store_->CheckHead(*tx, "campus", 0));
  {
    // While the lock is held the other writer cannot append to the stream.
    Status blocked = AppendTestEvents(*other_store, "campus", 2, 1, 1);
    EXPECT_EQ(blocked.code(), StatusCode::kAborted) << blocked.ToString();
    EXPECT_FALSE(other->in_transaction());
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(auto mine, store_->Append(*tx, TestEvent("campus", 1, 1)));
  CAIRN_ASSERT_OK(tx->Commit());
  EXPECT_EQ(mine.position, 1);

  CAIRN_ASSERT_OK(AppendTestEvents(*other_store, "campus", 2, 1, 1));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, "campus"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].event_id, TestUuid(1, 1));
  EXPECT_EQ(rows[1].event_id, TestUuid(2, 1));
}

TEST_P(LedgerConformanceTest, SeveralStreamsInOneDatabaseAreIndependent) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  const std::vector<std::string> names = {"beta", "alpha", "caf\xc3\xa9"};  // "café", UTF-8
  const std::map<std::string, int> counts = {{"alpha", 5}, {"beta", 3}, {"caf\xc3\xa9", 4}};
  // Interleave appends across streams, some in shared transactions.
  uint64_t seq = 1;
  std::map<std::string, std::vector<ledger::AppendResult>> results;
  for (int round = 0; round < 5; ++round) {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    for (const std::string& s : names) {
      if (static_cast<int>(results[s].size()) >= counts.at(s)) continue;
      CAIRN_ASSERT_OK_AND_ASSIGN(auto r, store_->Append(*tx, TestEvent(s, 1, seq++)));
      results[s].push_back(r);
    }
    CAIRN_ASSERT_OK(tx->Commit());
  }
  for (const auto& [s, n] : counts) {
    SCOPED_TRACE(s);
    ASSERT_EQ(results[s].size(), static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) EXPECT_EQ(results[s][i].position, i + 1);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, s));
    ASSERT_EQ(rows.size(), static_cast<size_t>(n));
    EXPECT_EQ(rows[0].prev_hash, std::string(32, '\0'));
    for (const RawRow& row : rows) {
      EXPECT_EQ(row.hash, ledger::RecordHash(s, row.position, row.prev_hash, row.record));
    }
    CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store_->GetHead(s));
    EXPECT_EQ(head.position, n);
    EXPECT_EQ(head.hash, rows.back().hash);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify(s));
    EXPECT_TRUE(report.ok) << report.problem;
    EXPECT_EQ(report.events_checked, n);
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(auto streams, store_->ListStreams());
  EXPECT_EQ(streams, (std::vector<std::string>{"alpha", "beta", "caf\xc3\xa9"}));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto none, store_->GetHead("gamma"));
  EXPECT_EQ(none.position, 0);
}

TEST_P(LedgerConformanceTest, DatabaseRejectsUpdateDeleteAndTruncateOnLedger) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, 3));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto before, RawRows(*conn_, "campus"));

  std::vector<std::string> forbidden = {
      "UPDATE cairn_ledger SET event_type = 'run_finished' WHERE position = 2",
      "UPDATE cairn_ledger SET record = $1 WHERE position = 2",
      "DELETE FROM cairn_ledger WHERE position = 3",
      "DELETE FROM cairn_ledger",
      "UPDATE cairn_ledger_meta SET value = '2'",
      "DELETE FROM cairn_ledger_meta",
  };
  if (GetParam() == db::Backend::kPostgres) {
    forbidden.push_back("TRUNCATE cairn_ledger");
    forbidden.push_back("TRUNCATE cairn_ledger_meta");
  }
  const db::Params forged = {db::Value(db::Bytes{"forged"})};
  for (const std::string& sql : forbidden) {
    auto r = conn_->Execute(sql, sql.find("$1") != std::string::npos ? forged : db::Params{});
    EXPECT_FALSE(r.ok()) << sql << " succeeded";
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("not allowed"), std::string::npos)
          << sql << ": " << r.status().ToString();
    }
  }
  // Inside a transaction, too.
  {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn_->Begin());
    EXPECT_FALSE(conn_->Execute("DELETE FROM cairn_ledger WHERE position = 1").ok());
  }

  CAIRN_ASSERT_OK_AND_ASSIGN(auto after, RawRows(*conn_, "campus"));
  EXPECT_EQ(after, before);
  CAIRN_ASSERT_OK_AND_ASSIGN(
      auto meta, conn_->Query("SELECT key, value FROM cairn_ledger_meta WHERE key = 'format'"));
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0][1].AsText(), "1");
}

TEST_P(LedgerConformanceTest, DatabaseRejectsInsertThatOverwritesALedgerRow) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  CAIRN_ASSERT_OK(AppendTestEvents(*store_, "campus", 1, 1, 3));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto before, RawRows(*conn_, "campus"));
  const RawRow& victim = before[1];
  const db::Params params = {db::Value(victim.stream),
                             db::Value(victim.position),
                             db::Value(victim.event_id),
                             db::Value("run_finished"),
                             db::Value(victim.recorded_at),
                             db::Value(db::Bytes{"forged"}),
                             db::Value(db::Bytes{victim.prev_hash}),
                             db::Value(db::Bytes{victim.hash})};
  const std::string insert =
      "INTO cairn_ledger (stream, position, event_id, event_type, recorded_at, record, prev_hash, "
      "hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
  // An upsert is an UPDATE of the existing row.
  std::vector<std::string> attempts = {
      "INSERT " + insert +
          " ON CONFLICT (stream, position) DO UPDATE SET record = excluded.record, "
          "event_type = excluded.event_type",
      "INSERT " + insert + " ON CONFLICT (event_id) DO UPDATE SET record = excluded.record",
  };
  if (GetParam() == db::Backend::kSqlite) {
    // REPLACE deletes the conflicting row and inserts the new one.
    attempts.push_back("INSERT OR REPLACE " + insert);
    attempts.push_back("REPLACE " + insert);
  }
  for (const std::string& sql : attempts) {
    auto r = conn_->Execute(sql, params);
    EXPECT_FALSE(r.ok()) << sql << " succeeded";
    CAIRN_ASSERT_OK_AND_ASSIGN(auto now, RawRows(*conn_, "campus"));
    EXPECT_EQ(now, before) << sql << " changed the ledger";
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify("campus"));
  EXPECT_TRUE(report.ok) << report.problem;

  const std::string meta_sql =
      GetParam() == db::Backend::kSqlite
          ? "INSERT OR REPLACE INTO cairn_ledger_meta (key, value) VALUES ('format', '2')"
          : "INSERT INTO cairn_ledger_meta (key, value) VALUES ('format', '2') "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value";
  EXPECT_FALSE(conn_->Execute(meta_sql).ok()) << meta_sql << " succeeded";
  CAIRN_ASSERT_OK_AND_ASSIGN(
      auto meta, conn_->Query("SELECT key, value FROM cairn_ledger_meta WHERE key = 'format'"));
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0][1].AsText(), "1");
}

TEST_P(LedgerConformanceTest, ConcurrentAppendersInSeveralProcessesGetGaplessPositions) {
  SKIP_WITHOUT_DATABASE();
  CAIRN_ASSERT_OK(store_->EnsureSchema());
  store_.reset();
  conn_.reset();  // no connection crosses fork()
  constexpr int kChildren = 4;
  constexpr int kPerChild = 50;
  const std::string url = tdb_->url();

  std::vector<int> codes = RunInChildProcesses(kChildren, [&](int child) {
    auto parsed = db::ParseDatabaseUrl(url);
    if (!parsed.ok()) return 2;
    db::OpenOptions options;
    options.busy_timeout = std::chrono::milliseconds(60000);
    auto conn = db::Connection::Open(*parsed, options);
    if (!conn.ok()) {
      std::fprintf(stderr, "child %d: open: %s\n", child, conn.status().ToString().c_str());
      return 3;
    }
    auto store = LedgerStore::For(**conn);
    for (int i = 0; i < kPerChild; ++i) {
      // Two transaction sizes: most events alone, every fifth with a retry of itself.
      auto tx = (*conn)->Begin();
      if (!tx.ok()) {
        std::fprintf(stderr, "child %d: begin: %s\n", child, tx.status().ToString().c_str());
        return 4;
      }
      v1::Event e = TestEvent("campus", 100 + child, i);
      auto r = store->Append(**tx, e);
      if (!r.ok() || r->duplicate) {
        std::fprintf(stderr, "child %d: append: %s\n", child, r.status().ToString().c_str());
        return 5;
      }
      if (i % 5 == 0) {
        auto again = store->Append(**tx, e);
        if (!again.ok() || !again->duplicate || again->position != r->position) return 6;
      }
      Status c = (*tx)->Commit();
      if (!c.ok()) {
        std::fprintf(stderr, "child %d: commit: %s\n", child, c.ToString().c_str());
        return 7;
      }
    }
    return 0;
  });
  EXPECT_EQ(codes, std::vector<int>(kChildren, 0));

  auto conn = tdb_->Connect();
  auto store = LedgerStore::For(*conn);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn, "campus"));
  ASSERT_EQ(rows.size(), static_cast<size_t>(kChildren * kPerChild));
  std::map<std::string, int> seen;
  std::map<int, int> next_seq;  // per child: events must appear in that child's commit order
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].position, static_cast<int64_t>(i + 1));
    ++seen[rows[i].event_id];
  }
  for (int child = 0; child < kChildren; ++child) {
    for (int i = 0; i < kPerChild; ++i) {
      EXPECT_EQ(seen[TestUuid(100 + child, i)], 1) << "child " << child << " event " << i;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kChildren * kPerChild));
  for (const RawRow& row : rows) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(row.record));
    int child = std::stoi(row.event_id.substr(0, 8), nullptr, 16) - 100;
    int seq = std::stoi(e.event_id().substr(24), nullptr, 16);
    EXPECT_EQ(seq, next_seq[child]) << "child " << child << " out of order at " << row.position;
    next_seq[child] = seq + 1;
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store->Verify("campus"));
  EXPECT_TRUE(report.ok) << report.problem << " at " << report.first_bad_position;
  EXPECT_EQ(report.events_checked, kChildren * kPerChild);
  EXPECT_EQ(report.head.position, kChildren * kPerChild);
}

INSTANTIATE_TEST_SUITE_P(Backends, LedgerConformanceTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

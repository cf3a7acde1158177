// The three EventReaders (cairn/store/event_reader.h) on the same ledger,
// on both backends: the database read through its store, a `cairn serve`
// process on a loopback port read through gRPC, and a signed bundle file
// exported from that database. They must list the same streams and give the
// same events for a range, the same stored records, the same events when
// following (the database and the server waiting for a `cairn migrate`
// running in another process), and the same chain verdict, verifying the
// whole stream or as they read, also after a record was tampered with in
// the database.
#include <gtest/gtest.h>

#include <chrono>

#include "cairn/base/hash.h"
#include "cairn/export/bundle_reader.h"
#include "cairn/store/database_reader.h"
#include "clients/client/server_reader.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

using namespace std::chrono_literals;

// Everything a RecordSink is told, one line per call.
class Transcript : public ledger::RecordSink {
 public:
  Status BeginStream(std::string_view stream) override {
    lines.push_back("begin " + std::string(stream));
    return Status::Ok();
  }
  Status Write(const ledger::StoredRecord& r) override {
    lines.push_back("record " + r.stream + " " + std::to_string(r.position) + " " + r.event_id +
                    " " + r.event_type + " " + std::to_string(r.recorded_at) + " " +
                    ledger::ToHex(r.record) + " " + ledger::ToHex(r.prev_hash) + " " +
                    ledger::ToHex(r.hash));
    return Status::Ok();
  }
  Status EndStream(const ledger::Head& head) override {
    lines.push_back("end " + std::to_string(head.position) + " " + ledger::ToHex(head.hash));
    return Status::Ok();
  }
  std::vector<std::string> lines;
};

// Events as comparable bytes (each carries its hash).
std::vector<std::string> Bytes(const std::vector<v1::Event>& events) {
  std::vector<std::string> out;
  for (const v1::Event& e : events) {
    EXPECT_EQ(e.hash().size(), 32u) << "position " << e.position() << " has no hash";
    out.push_back(e.SerializeAsString());
  }
  return out;
}

std::vector<int64_t> Positions(const std::vector<v1::Event>& events) {
  std::vector<int64_t> out;
  for (const v1::Event& e : events) out.push_back(e.position());
  return out;
}

class EventReaderTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    if (!tdb_) return;
    // Two streams of real runs: applied, rolled back and failed migrations.
    std::string bad;
    ASSERT_NO_FATAL_FAILURE(WriteTwoStreamLedger(*tdb_, dir_, other_, 5, &bad));
    std::remove(bad.c_str());

    conn_ = tdb_->Connect();
    store_ = ledger::LedgerStore::For(*conn_);
    database_ = std::make_unique<ledger::DatabaseEventReader>(*store_, conn_->url().redacted,
                                                              std::chrono::milliseconds(5));
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"--database", tdb_->url(), "--tokens-file", WriteTokens(dir_)});
    ASSERT_TRUE(server_->Start());
    client::ClientOptions options;
    options.address = server_->address();
    options.token = kAllToken;  // a reader and an exporter
    CAIRN_ASSERT_OK_AND_ASSIGN(served_, client::ServerEventReader::Connect(options));
    bundle_ = OpenBundle("ledger.bundle");
    ASSERT_TRUE(bundle_);
  }

  // `cairn --database URL --dir DIR --stream campus ARGS`.
  ProcessResult Cairn(std::vector<std::string> args) {
    args.insert(args.begin(), {"--stream", "campus"});
    return RunCairn(tdb_->url(), dir_.path(), args);
  }

  // Exports every stream of the database as a bundle and opens it.
  std::unique_ptr<ledger::BundleEventReader> OpenBundle(const std::string& name) {
    ProcessResult r = Cairn({"export", "--format", "bundle", "--all-streams", "--key",
                             dir_.File("key"), "--out", dir_.File(name)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto pub = ledger::PublicKey::LoadPem(dir_.File("key.pub"));
    EXPECT_TRUE(pub.ok()) << pub.status().ToString();
    if (!pub.ok()) return nullptr;
    auto reader = ledger::BundleEventReader::Open(dir_.File(name), *pub);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    return reader.ok() ? std::move(*reader) : nullptr;
  }

  // The three readers, named for failure messages.
  std::vector<std::pair<std::string, ledger::EventReader*>> Readers() {
    return {{"database", database_.get()}, {"server", served_.get()}, {"bundle", bundle_.get()}};
  }

  TempDir dir_, other_;
  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<ledger::LedgerStore> store_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<ledger::DatabaseEventReader> database_;
  std::unique_ptr<client::ServerEventReader> served_;
  std::unique_ptr<ledger::BundleEventReader> bundle_;
};

TEST_P(EventReaderTest, SameStreamsEventsAndRangesFromEveryReader) {
  if (!tdb_) return;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto all, ledger::ReadAll(*database_, "campus", {}));
  ASSERT_GE(all.size(), 20u);  // run_started ... per run, three runs
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(all[i].position(), int64_t(i) + 1);
  // A time bound in the middle of the history (the events at or after it).
  const int64_t since = ledger::TimestampToMicros(all[all.size() / 2].recorded_at());
  std::vector<v1::Event> recent;
  for (const v1::Event& e : all)
    if (ledger::TimestampToMicros(e.recorded_at()) >= since) recent.push_back(e);
  ASSERT_LT(recent.size(), all.size());

  for (auto& [name, reader] : Readers()) {
    SCOPED_TRACE(name);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto streams, reader->Streams());
    EXPECT_EQ(streams, (std::vector<std::string>{"campus", "other"}));
    CAIRN_ASSERT_OK_AND_ASSIGN(auto got, ledger::ReadAll(*reader, "campus", {}));
    EXPECT_EQ(Bytes(got), Bytes(all));
    // Verified as read: the same events, from the start and from the middle.
    CAIRN_ASSERT_OK_AND_ASSIGN(auto verified, ledger::ReadAll(*reader, "campus", {.verify = true}));
    EXPECT_EQ(Bytes(verified), Bytes(all));
    CAIRN_ASSERT_OK_AND_ASSIGN(
        verified, ledger::ReadAll(*reader, "campus", {.from = 5, .limit = 3, .verify = true}));
    EXPECT_EQ(Positions(verified), (std::vector<int64_t>{5, 6, 7}));
    EXPECT_EQ(reader->Read("campus", {.recorded_since = since, .verify = true}, nullptr).code(),
              StatusCode::kInvalidArgument);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto range, ledger::ReadAll(*reader, "campus", {3, 4}));
    EXPECT_EQ(Positions(range), (std::vector<int64_t>{3, 4, 5, 6}));
    EXPECT_EQ(Bytes(range), Bytes({all.begin() + 2, all.begin() + 6}));
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tail,
                               ledger::ReadAll(*reader, "campus", {int64_t(all.size())}));
    EXPECT_EQ(Positions(tail), (std::vector<int64_t>{int64_t(all.size())}));
    CAIRN_ASSERT_OK_AND_ASSIGN(auto timed,
                               ledger::ReadAll(*reader, "campus", {.recorded_since = since}));
    EXPECT_EQ(Bytes(timed), Bytes(recent));
    // fn returning false stops the read.
    int calls = 0;
    CAIRN_ASSERT_OK(reader->Read("campus", {}, [&](const v1::Event&) { return ++calls < 2; }));
    EXPECT_EQ(calls, 2);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto other, ledger::ReadAll(*reader, "other", {}));
    EXPECT_EQ(other.size(), 4u);  // run_started, started, committed, run_finished
  }
  // A name no stream has: empty from a database and a server; a bundle
  // holds a fixed set of streams and says so.
  CAIRN_ASSERT_OK_AND_ASSIGN(auto none, ledger::ReadAll(*database_, "nope", {}));
  EXPECT_TRUE(none.empty());
  CAIRN_ASSERT_OK_AND_ASSIGN(none, ledger::ReadAll(*served_, "nope", {}));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(ledger::ReadAll(*bundle_, "nope", {}).status().code(), StatusCode::kNotFound);
}

TEST_P(EventReaderTest, SameStoredRecordsFromEveryReader) {
  if (!tdb_) return;
  for (const std::vector<std::string>& streams :
       {std::vector<std::string>{}, std::vector<std::string>{"other", "campus"}}) {
    Transcript want;
    CAIRN_ASSERT_OK_AND_ASSIGN(int64_t n, database_->ReadRecords(streams, want));
    ASSERT_GE(n, 24);
    ASSERT_EQ(want.lines.size(), size_t(n) + 4);  // begin and end of each stream
    EXPECT_EQ(want.lines.front(), streams.empty() ? "begin campus" : "begin other");
    for (auto& [name, reader] : Readers()) {
      SCOPED_TRACE(name + (streams.empty() ? " (every stream)" : " (other, campus)"));
      Transcript got;
      CAIRN_ASSERT_OK_AND_ASSIGN(int64_t m, reader->ReadRecords(streams, got));
      EXPECT_EQ(m, n);
      EXPECT_EQ(got.lines, want.lines);
    }
  }
  for (auto& [name, reader] : Readers()) {
    SCOPED_TRACE(name);
    Transcript t;
    EXPECT_EQ(reader->ReadRecords({"campus", "campus"}, t).status().code(),
              StatusCode::kInvalidArgument);
  }
}

TEST_P(EventReaderTest, FollowWaitsForTheSameNewEvents) {
  if (!tdb_) return;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto all, ledger::ReadAll(*database_, "campus", {}));
  const int64_t head = static_cast<int64_t>(all.size());
  // What is there already: the same from all three (a server's Follow may
  // hand out what its subscription has queued so far: call it again).
  for (auto& [name, reader] : Readers()) {
    SCOPED_TRACE(name);
    std::vector<v1::Event> got;
    while (got.size() < 3) {
      const int64_t last = got.empty() ? 2 : got.back().position();
      CAIRN_ASSERT_OK_AND_ASSIGN(auto more, reader->Follow("campus", last, 3 - got.size(), 30s));
      ASSERT_FALSE(more.empty());
      got.insert(got.end(), more.begin(), more.end());
    }
    EXPECT_EQ(Bytes(got), Bytes({all.begin() + 2, all.begin() + 5}));
  }
  // Nothing new: the database and the server wait out the timeout; a bundle
  // cannot grow and returns at once.
  for (auto& [name, reader] : Readers()) {
    SCOPED_TRACE(name);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto got, reader->Follow("campus", head, 10, 20ms));
    EXPECT_TRUE(got.empty());
  }
  const auto start = std::chrono::steady_clock::now();
  CAIRN_ASSERT_OK_AND_ASSIGN(auto none, bundle_->Follow("campus", head, 10, 60s));
  EXPECT_TRUE(none.empty());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s);

  // Another process migrates while the database and the server follow.
  WriteMigrations(dir_.path(), 8);
  Child migrate({CairnBinary(), "--database", tdb_->url(), "--dir", dir_.path(), "--stream",
                 "campus", "migrate"});
  auto follow = [&](ledger::EventReader& reader) {
    std::vector<v1::Event> out;
    int64_t last = head;
    // Until the run's RunFinished: each call waits for the next events.
    while (out.empty() || !out.back().has_run_finished()) {
      auto got = reader.Follow("campus", last, 4, 60s);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok() || got->empty()) break;  // 60 s without an event
      EXPECT_LE(got->size(), 4u);
      for (const v1::Event& e : *got) EXPECT_EQ(e.position(), ++last);
      out.insert(out.end(), got->begin(), got->end());
    }
    return out;
  };
  std::vector<v1::Event> from_database = follow(*database_);
  std::vector<v1::Event> from_server = follow(*served_);
  ProcessResult r = migrate.Wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_FALSE(from_database.empty());
  EXPECT_EQ(from_database.front().position(), head + 1);
  EXPECT_TRUE(from_database.front().has_run_started());
  CAIRN_ASSERT_OK_AND_ASSIGN(auto fresh, ledger::ReadAll(*database_, "campus", {head + 1}));
  EXPECT_EQ(Bytes(from_database), Bytes(fresh));
  EXPECT_EQ(Bytes(from_server), Bytes(fresh));
}

TEST_P(EventReaderTest, EveryReaderFindsTheSameTamperedRecord) {
  if (!tdb_) return;
  for (auto& [name, reader] : Readers()) {
    SCOPED_TRACE(name);
    for (const char* stream : {"campus", "other"}) {
      CAIRN_ASSERT_OK_AND_ASSIGN(auto chain, reader->Verify(stream));
      EXPECT_TRUE(chain.ok) << chain.problem;
      CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store_->GetHead(stream));
      EXPECT_EQ(chain.head.position, head.position);
      EXPECT_EQ(chain.head.hash, head.hash);
    }
  }
  CAIRN_ASSERT_OK(bundle_->verified().status());

  // One byte of the record at position 4 changes; its hash does not.
  constexpr int64_t kBad = 4;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, RawRows(*conn_, "campus"));
  std::string record = rows.at(kBad - 1).record;
  record.back() ^= 0x01;
  CAIRN_ASSERT_OK(DisableLedgerGuards(*conn_));
  CAIRN_ASSERT_OK(
      conn_
          ->Execute("UPDATE cairn_ledger SET record = $1 WHERE stream = $2 AND "
                    "position = $3",
                    {db::Value(db::Bytes{record}), db::Value("campus"), db::Value(kBad)})
          .status());
  // The tampered ledger exported again: the export carries the record as
  // stored, and the bundle's verification finds it.
  bundle_ = OpenBundle("tampered.bundle");
  ASSERT_TRUE(bundle_);
  EXPECT_EQ(bundle_->verified().status().code(), StatusCode::kDataLoss);

  for (auto& [name, reader] : Readers()) {
    SCOPED_TRACE(name);
    CAIRN_ASSERT_OK_AND_ASSIGN(auto chain, reader->Verify("campus"));
    EXPECT_FALSE(chain.ok);
    EXPECT_EQ(chain.first_bad_position, kBad);
    EXPECT_EQ(chain.head.position, kBad - 1);
    EXPECT_EQ(chain.head.hash, rows.at(kBad - 2).hash);
    EXPECT_NE(chain.problem.find("hash mismatch"), std::string::npos) << chain.problem;
  }
  // Read with verification: the events before the tampered one, then an
  // error naming its position and the fault.
  for (auto& [name, reader] : Readers()) {
    SCOPED_TRACE(name);
    std::vector<int64_t> delivered;
    Status s = reader->Read("campus", {.verify = true}, [&](const v1::Event& e) {
      delivered.push_back(e.position());
      return true;
    });
    EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
    EXPECT_NE(s.message().find("position 4: hash mismatch"), std::string::npos) << s.ToString();
    EXPECT_EQ(delivered, (std::vector<int64_t>{1, 2, 3}));
  }
  // The other stream is untouched: intact on the database and the server
  // (the bundle's pass stopped inside campus, before other).
  for (ledger::EventReader* reader : {static_cast<ledger::EventReader*>(database_.get()),
                                      static_cast<ledger::EventReader*>(served_.get())}) {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto chain, reader->Verify("other"));
    EXPECT_TRUE(chain.ok) << reader->Origin() << ": " << chain.problem;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, EventReaderTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

// Batched subscription delivery (SubscribeRequest.max_batch) and the
// client's silence watchdog (docs/service.md): `cairn serve` as a real
// process, records committed by this process directly into the database,
// responses read raw through the generated stub where their shape matters.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cairn/store/store.h"
#include "tests/service/service_test_util.h"

namespace cairn::testing {
namespace {

constexpr const char* kStream = "feed";

// Appends `n` events to kStream in one transaction, as another process
// than the server (a runner, a forwarder) would.
void AppendDirect(const TestDatabase& tdb, int n, size_t pad = 0) {
  auto conn = tdb.Connect();
  auto store = ledger::LedgerStore::For(*conn);
  ASSERT_TRUE(store->EnsureSchema().ok());
  auto tx = conn->Begin();
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  for (int i = 0; i < n; ++i) {
    v1::Event e;
    e.set_stream(kStream);
    e.mutable_run_started()->set_command_line("cairn migrate #" + std::to_string(i) +
                                              std::string(pad, 'x'));
    auto r = store->Append(**tx, std::move(e));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  ASSERT_TRUE((*tx)->Commit().ok());
}

std::unique_ptr<ServerProcess> StartServer(const TestDatabase& tdb, const TempDir& dir) {
  auto server = std::make_unique<ServerProcess>(
      std::vector<std::string>{"--database", tdb.url(), "--tokens-file", WriteTokens(dir)});
  if (!server->Start()) return nullptr;
  return server;
}

// A raw subscription through the generated stub: every response as sent.
class RawSubscription {
 public:
  RawSubscription(client::LedgerClient& c, const v1::SubscribeRequest& req) {
    c.Prepare(&ctx_);
    ctx_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    reader_ = c.stub().Subscribe(&ctx_, req);
  }
  ~RawSubscription() {
    ctx_.TryCancel();
    reader_->Finish();
  }
  bool Read(v1::SubscribeResponse* resp) { return reader_->Read(resp); }

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader_;
};

// What a raw subscription received, checked as it arrives.
struct Received {
  std::vector<int64_t> positions;
  int singles = 0, batches = 0, largest = 0, checkpoints = 0;
  size_t largest_bytes = 0;  // encoded size of the largest batch's records
  bool caught_up = false;
  int64_t caught_up_at = -1;

  // Reads until `until` records arrived (and CaughtUp when `need_caught_up`).
  void ReadUntil(RawSubscription& sub, size_t until, bool need_caught_up) {
    v1::SubscribeResponse resp;
    while ((positions.size() < until || (need_caught_up && !caught_up)) && sub.Read(&resp)) {
      switch (resp.item_case()) {
        case v1::SubscribeResponse::kRecord:
          ++singles;
          positions.push_back(resp.record().position());
          break;
        case v1::SubscribeResponse::kBatch:
          ++batches;
          EXPECT_GT(resp.batch().records_size(), 0) << "an empty batch";
          largest = std::max(largest, resp.batch().records_size());
          largest_bytes = std::max(largest_bytes, resp.batch().ByteSizeLong());
          for (const auto& r : resp.batch().records()) positions.push_back(r.position());
          break;
        case v1::SubscribeResponse::kCaughtUp:
          caught_up = true;
          ASSERT_EQ(resp.caught_up().positions_size(), 1);
          caught_up_at = resp.caught_up().positions(0).position();
          // Covers everything sent before it, including the last batch.
          EXPECT_EQ(caught_up_at, positions.empty() ? 0 : positions.back());
          break;
        case v1::SubscribeResponse::kCheckpoint:
          ++checkpoints;
          ASSERT_EQ(resp.checkpoint().positions_size(), 1);
          EXPECT_EQ(resp.checkpoint().positions(0).position(),
                    positions.empty() ? 0 : positions.back());
          break;
        default:
          ADD_FAILURE() << "unexpected response item " << resp.item_case();
      }
    }
  }
};

// Handlers that accept every record while `more(record)` says so.
client::SubscribeHandlers Until(std::function<bool(const v1::LedgerRecord&)> more) {
  client::SubscribeHandlers h;
  h.on_record = std::move(more);
  return h;
}

void ExpectPositions(const std::vector<int64_t>& got, int64_t n) {
  ASSERT_EQ(static_cast<int64_t>(got.size()), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(got[i], i + 1) << "at index " << i;
}

class ServiceBatchTest : public ::testing::TestWithParam<db::Backend> {};

TEST_P(ServiceBatchTest, HistoryAndLiveRecordsArriveBatchedInOrder) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  TempDir dir;
  constexpr int kHistory = 3000, kLive = 600;
  AppendDirect(*tdb, kHistory);
  auto server = StartServer(*tdb, dir);
  ASSERT_TRUE(server);
  auto reader = server->Client(kReaderToken);

  v1::SubscribeRequest req;
  req.set_stream(kStream);
  req.set_from_start(true);
  req.set_checkpoint_interval_ms(20);
  req.set_max_batch(500);
  RawSubscription raw(*reader, req);
  Received got;
  got.ReadUntil(raw, kHistory, true);
  ExpectPositions(got.positions, kHistory);
  EXPECT_EQ(got.caught_up_at, kHistory);
  EXPECT_EQ(got.singles, 0) << "a batched subscription got single records";
  EXPECT_GT(got.largest, 1) << "history was not batched";
  EXPECT_LE(got.largest, 500);

  // Live: committed in one transaction by this process, not the server.
  const int history_batches = got.batches;
  AppendDirect(*tdb, kLive);
  got.ReadUntil(raw, kHistory + kLive, false);
  ExpectPositions(got.positions, kHistory + kLive);
  EXPECT_EQ(got.singles, 0);
  EXPECT_LT(got.batches - history_batches, kLive) << "live records were not batched";
  // Checkpoints after the batches cover their last position (checked in
  // ReadUntil); wait for one.
  const int checkpoints = got.checkpoints;
  v1::SubscribeResponse resp;
  while (got.checkpoints == checkpoints && raw.Read(&resp)) {
    ASSERT_EQ(resp.item_case(), v1::SubscribeResponse::kCheckpoint);
    EXPECT_EQ(resp.checkpoint().positions(0).position(), kHistory + kLive);
    ++got.checkpoints;
  }
  EXPECT_GT(got.checkpoints, checkpoints);

  // The C++ client asks for batches by default and hands out single records.
  client::SubscribeStats stats;
  client::SubscribeParams params;
  params.request.set_stream(kStream);
  params.request.set_from_start(true);
  params.stats = &stats;
  Collector sub(server->Client(kReaderToken), params);
  ASSERT_TRUE(WaitFor([&] { return sub.count() >= kHistory + kLive; }));
  sub.Stop();
  auto records = sub.records();
  ASSERT_EQ(records.size(), static_cast<size_t>(kHistory + kLive));
  for (size_t i = 0; i < records.size(); ++i) {
    ASSERT_EQ(records[i].position(), static_cast<int64_t>(i + 1));
    ASSERT_EQ(records[i].stream(), kStream);
    ASSERT_TRUE(records[i].event().has_run_started()) << "at " << i;
  }
  EXPECT_GT(stats.batches.load(), 0);
  EXPECT_GT(stats.largest_batch.load(), 1);
  EXPECT_LE(stats.largest_batch.load(), client::kDefaultSubscribeBatch);
  // Everything existed before the call: the server packs full batches.
  EXPECT_EQ(stats.batches.load(), (kHistory + kLive + client::kDefaultSubscribeBatch - 1) /
                                      client::kDefaultSubscribeBatch);
  EXPECT_EQ(stats.records.load(), kHistory + kLive);
  EXPECT_EQ(stats.connections.load(), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServiceBatchTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// Clients generated from the proto before max_batch existed send 0: they
// get single `record` items as before; 1 means the same.
TEST(ServiceBatchCompatTest, UnsetOrOneMaxBatchGetsSingleRecords) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  TempDir dir;
  AppendDirect(*tdb, 300);
  auto server = StartServer(*tdb, dir);
  ASSERT_TRUE(server);
  auto reader = server->Client(kReaderToken);
  for (int max_batch : {0, 1}) {
    SCOPED_TRACE("max_batch " + std::to_string(max_batch));
    v1::SubscribeRequest req;
    req.set_stream(kStream);
    req.set_from_start(true);
    if (max_batch) req.set_max_batch(max_batch);
    RawSubscription raw(*reader, req);
    Received got;
    got.ReadUntil(raw, 300, true);
    ExpectPositions(got.positions, 300);
    EXPECT_EQ(got.batches, 0);
    EXPECT_EQ(got.singles, 300);
  }
}

// Large records: a batch stops growing at 1 MiB, whatever max_batch says.
TEST(ServiceBatchCompatTest, BatchesStopAtOneMebibyte) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  TempDir dir;
  constexpr int kRecords = 300;
  AppendDirect(*tdb, kRecords, 8000);  // ~16 KB per record with the decoded event
  auto server = StartServer(*tdb, dir);
  ASSERT_TRUE(server);
  auto reader = server->Client(kReaderToken);
  v1::SubscribeRequest req;
  req.set_stream(kStream);
  req.set_from_start(true);
  req.set_max_batch(1000);
  RawSubscription raw(*reader, req);
  Received got;
  got.ReadUntil(raw, kRecords, true);
  ExpectPositions(got.positions, kRecords);
  EXPECT_GE(got.batches, 3) << "4.8 MB of records in fewer than 3 batches";
  EXPECT_GT(got.largest, 1);
  EXPECT_LE(got.largest_bytes, size_t{1} << 20);
  EXPECT_GT(got.largest_bytes, size_t{512} << 10) << "batches were cut far below 1 MiB";
}

TEST(ServiceBatchCompatTest, MaxBatchOutOfRangeIsInvalidArgument) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  TempDir dir;
  AppendDirect(*tdb, 3);
  auto server = StartServer(*tdb, dir);
  ASSERT_TRUE(server);
  auto reader = server->Client(kReaderToken);
  for (int max_batch : {-1, 1001}) {
    client::SubscribeParams params;
    params.request.set_stream(kStream);
    params.request.set_max_batch(max_batch);
    Status s = reader->Subscribe(params, Until([](const v1::LedgerRecord&) { return true; }));
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << max_batch << ": " << s.ToString();
    EXPECT_NE(s.message().find("max_batch"), std::string::npos) << s.ToString();
  }
  // The documented maximum is accepted.
  client::SubscribeParams params;
  params.request.set_stream(kStream);
  params.request.set_max_batch(1000);
  Status s =
      reader->Subscribe(params, Until([](const v1::LedgerRecord& r) { return r.position() < 3; }));
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(server->Alive());
}

// A TCP listener that never accepts: the kernel completes the handshake,
// nobody ever speaks HTTP/2.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::unique_ptr<client::LedgerClient> ClientFor(const std::string& address) {
  client::ClientOptions o;
  o.address = address;
  o.token = kReaderToken;
  auto c = client::LedgerClient::Connect(o);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

TEST(ServiceWatchdogTest, SilentServerFailsWithClearErrorWithinBound) {
  SilentListener silent;
  auto c = ClientFor(silent.address());
  ASSERT_TRUE(c);
  client::SubscribeParams params;
  params.request.set_stream(kStream);
  params.silence_timeout = std::chrono::milliseconds(500);
  const auto start = std::chrono::steady_clock::now();
  Status s = c->Subscribe(params, Until([](const v1::LedgerRecord&) { return true; }));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("no message from the server for 500 ms"), std::string::npos)
      << s.ToString();
  // gRPC's own connect timeout is 20 s: the watchdog must be far quicker.
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(ServiceWatchdogTest, SilentServerIsRetriedWithReconnect) {
  SilentListener silent;
  auto c = ClientFor(silent.address());
  ASSERT_TRUE(c);
  client::SubscribeStats stats;
  client::SubscribeParams params;
  params.request.set_stream(kStream);
  params.silence_timeout = std::chrono::milliseconds(300);
  params.reconnect = true;
  params.stats = &stats;
  Status result;
  std::atomic<bool> done{false};
  std::thread t([&] {
    result = c->Subscribe(params, Until([](const v1::LedgerRecord&) { return true; }));
    done = true;
  });
  const bool retried = WaitFor([&] { return stats.silence_cancels.load() >= 2; }, 20000);
  c->Cancel();
  t.join();
  EXPECT_TRUE(retried) << "silence cancels: " << stats.silence_cancels.load();
  EXPECT_GE(stats.connections.load(), 2);
  EXPECT_EQ(result.code(), StatusCode::kCancelled) << result.ToString();
}

// A reconnecting subscription to kStream from the start, with the given
// checkpoint interval and silence bound, counting into `stats`.
client::SubscribeParams Watched(int checkpoint_ms, int silence_ms, client::SubscribeStats* stats) {
  client::SubscribeParams params;
  params.request.set_stream(kStream);
  params.request.set_from_start(true);
  params.request.set_checkpoint_interval_ms(checkpoint_ms);
  params.silence_timeout = std::chrono::milliseconds(silence_ms);
  params.reconnect = true;
  params.stats = stats;
  return params;
}

// The server is stopped (SIGSTOP) under a live subscription: its socket
// stays open but nothing arrives. The watchdog reconnects until the server
// runs again (SIGCONT); records committed meanwhile arrive once, in order.
TEST(ServiceWatchdogTest, StoppedServerIsReconnectedWithoutLossOrDuplicates) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  TempDir dir;
  AppendDirect(*tdb, 100);
  auto server = StartServer(*tdb, dir);
  ASSERT_TRUE(server);
  client::SubscribeStats stats;
  client::SubscribeParams params = Watched(50, 600, &stats);
  Collector sub(server->Client(kReaderToken), params);
  ASSERT_TRUE(WaitFor([&] { return sub.caught_up() && sub.count() == 100; }));

  server->Signal(SIGSTOP);
  ASSERT_TRUE(WaitFor([&] { return stats.silence_cancels.load() >= 2; }, 20000))
      << "silence cancels: " << stats.silence_cancels.load();
  AppendDirect(*tdb, 50);
  server->Signal(SIGCONT);
  ASSERT_TRUE(WaitFor([&] { return sub.count() >= 150; }))
      << sub.count() << " records, result " << sub.result().ToString();
  AppendDirect(*tdb, 50);
  ASSERT_TRUE(WaitFor([&] { return sub.count() >= 200; })) << sub.count();
  sub.Stop();
  ExpectContiguous(sub.records(), 200);
  EXPECT_GE(stats.connections.load(), 2);
  EXPECT_TRUE(server->Alive());
}

// Checkpoints keep an idle subscription alive: across several watchdog
// periods the call is never cancelled.
TEST(ServiceWatchdogTest, HealthyIdleSubscriptionIsNotDisturbed) {
  auto tdb = TestDatabase::Create(db::Backend::kSqlite);
  if (!tdb) return;
  TempDir dir;
  AppendDirect(*tdb, 5);
  auto server = StartServer(*tdb, dir);
  ASSERT_TRUE(server);
  client::SubscribeStats stats;
  client::SubscribeParams params = Watched(100, 1000, &stats);
  Collector sub(server->Client(kReaderToken), params);
  ASSERT_TRUE(WaitFor([&] { return sub.caught_up(); }));
  // 30 checkpoints at 100 ms: three watchdog periods of idleness.
  ASSERT_TRUE(WaitFor([&] { return sub.checkpoints() >= 30; }));
  EXPECT_EQ(stats.silence_cancels.load(), 0);
  EXPECT_EQ(stats.connections.load(), 1);
  AppendDirect(*tdb, 1);
  ASSERT_TRUE(WaitFor([&] { return sub.count() == 6; })) << sub.count();
  sub.Stop();
  ExpectContiguous(sub.records(), 6);
  EXPECT_EQ(stats.connections.load(), 1);
}

}  // namespace
}  // namespace cairn::testing

// cairn_serve_bench: measures the Ledger service (bench/serve.sh runs it).
//
//   cairn_serve_bench direct  --database URL --events N
//       N appends, each its own durable transaction, straight into the store.
//   cairn_serve_bench append  --server ADDR --token T --events N [--threads K]
//       N Append RPCs (each a durable transaction) from K client threads.
//   cairn_serve_bench latency --server ADDR --token T --subscribers S --rate R
//                             --seconds D [--threads K]
//       S subscribers follow a stream while K threads append R events/s for
//       D seconds; prints p50/p99/max of (time received - event recorded_at).
//
// Output: one JSON object on stdout.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/db/database.h"
#include "cairn/store/store.h"
#include "client/ledger_client.h"

using namespace cairn;
using Clock = std::chrono::steady_clock;

namespace {

std::map<std::string, std::string> Args(int argc, char** argv) {
  std::map<std::string, std::string> m;
  for (int i = 2; i + 1 < argc; i += 2) m[argv[i]] = argv[i + 1];
  return m;
}

int64_t Int(const std::map<std::string, std::string>& a, const char* k, int64_t d) {
  auto it = a.find(k);
  return it == a.end() ? d : std::stoll(it->second);
}

v1::Event SampleEvent(const std::string& stream) {
  v1::Event e;
  e.set_stream(stream);
  e.mutable_run_started()->set_command_line("cairn bench append");
  return e;
}

int Direct(const std::map<std::string, std::string>& a) {
  const int64_t n = Int(a, "--events", 1000);
  auto url = db::ParseDatabaseUrl(a.at("--database"));
  if (!url.ok()) return 2;
  auto conn = db::Connection::Open(*url);
  if (!conn.ok()) return 4;
  auto store = ledger::LedgerStore::For(**conn);
  if (!store->EnsureSchema().ok()) return 4;
  const auto start = Clock::now();
  for (int64_t i = 0; i < n; ++i) {
    auto tx = (*conn)->Begin();
    if (!tx.ok() || !store->Append(**tx, SampleEvent("bench-direct")).ok() ||
        !(*tx)->Commit().ok()) {
      std::fprintf(stderr, "append failed\n");
      return 1;
    }
  }
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("{\"mode\":\"direct\",\"events\":%lld,\"seconds\":%.3f,\"events_per_s\":%.1f}\n",
              static_cast<long long>(n), s, n / s);
  return 0;
}

std::unique_ptr<client::LedgerClient> Connect(const std::map<std::string, std::string>& a) {
  client::ClientOptions o;
  o.address = a.at("--server");
  o.token = a.at("--token");
  auto c = client::LedgerClient::Connect(o);
  if (!c.ok()) return nullptr;
  return std::move(*c);
}

int AppendMode(const std::map<std::string, std::string>& a) {
  const int64_t n = Int(a, "--events", 1000);
  const int threads = static_cast<int>(Int(a, "--threads", 1));
  std::atomic<int64_t> next{0}, failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&] {
      auto c = Connect(a);
      v1::AppendRequest req;
      req.set_stream("bench-grpc");
      req.mutable_event()->mutable_run_started()->set_command_line("cairn bench append");
      while (next.fetch_add(1) < n)
        if (!c || !c->Append(req).ok()) ++failed;
    });
  }
  for (auto& t : ts) t.join();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "{\"mode\":\"append\",\"events\":%lld,\"threads\":%d,\"seconds\":%.3f,\"events_per_s\":%.1f,"
      "\"failed\":%lld}\n",
      static_cast<long long>(n), threads, s, n / s, static_cast<long long>(failed.load()));
  return failed ? 1 : 0;
}

int Latency(const std::map<std::string, std::string>& a) {
  const int subs = static_cast<int>(Int(a, "--subscribers", 100));
  const int64_t rate = Int(a, "--rate", 1000);
  const int64_t seconds = Int(a, "--seconds", 5);
  const int threads = static_cast<int>(Int(a, "--threads", 8));
  // 0: the client's default (batches of 256); 1: one record per response.
  const int max_batch = static_cast<int>(Int(a, "--max-batch", 0));
  std::atomic<int64_t> responses{0}, batched{0};
  const int64_t total = rate * seconds;
  const std::string stream = "bench-latency-" + ledger::NewUuid().substr(0, 8);

  std::mutex mu;
  std::vector<int64_t> lat_us;
  lat_us.reserve(static_cast<size_t>(total * subs));
  std::atomic<int> caught_up{0};
  std::atomic<int64_t> received{0};
  std::vector<std::unique_ptr<client::LedgerClient>> clients;
  std::vector<std::thread> sub_threads;
  for (int i = 0; i < subs; ++i) {
    clients.push_back(Connect(a));
    if (!clients.back()) return 4;
  }
  // The stream must exist to be resolved: one seed event first.
  {
    v1::AppendRequest seed;
    seed.set_stream(stream);
    seed.mutable_event()->mutable_run_started()->set_command_line("seed");
    if (!clients[0]->Append(seed).ok()) return 4;
  }
  for (int i = 0; i < subs; ++i) {
    sub_threads.emplace_back([&, i] {
      client::SubscribeParams p;
      p.request.set_stream(stream);
      p.request.set_from_end(true);
      p.request.set_raw_only(true);
      p.request.set_max_batch(max_batch);
      client::SubscribeStats stats;
      p.stats = &stats;
      // The silence watchdog (on with reconnect) retries a call the server
      // never answers instead of leaving the subscriber waiting forever.
      p.reconnect = true;
      std::vector<int64_t> mine;
      mine.reserve(static_cast<size_t>(total));
      client::SubscribeHandlers h;
      h.on_record = [&](const v1::LedgerRecord& r) {
        const int64_t now = ledger::NowMicros();
        mine.push_back(now - ledger::TimestampToMicros(r.recorded_at()));
        ++received;
        return static_cast<int64_t>(mine.size()) < total;
      };
      h.on_caught_up = [&](const v1::CaughtUp&) {
        ++caught_up;
        return true;
      };
      (void)clients[i]->Subscribe(p, h);
      responses += stats.responses.load();
      batched += stats.batches.load();
      std::lock_guard<std::mutex> lock(mu);
      lat_us.insert(lat_us.end(), mine.begin(), mine.end());
    });
  }
  // Bounded: a subscription that never catches up is a failure to report,
  // not a reason to hang the benchmark.
  const auto caught_up_by = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (caught_up.load() < subs) {
    if (std::chrono::steady_clock::now() > caught_up_by) {
      std::printf(
          "{\"mode\":\"latency\",\"error\":\"%d of %d subscribers caught up within 60 s\"}\n",
          caught_up.load(), subs);
      std::fflush(stdout);
      std::_Exit(3);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }

  // Paced appends: event k is due at start + k / rate.
  std::atomic<int64_t> next{0}, failed{0};
  const auto start = Clock::now();
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&] {
      auto c = Connect(a);
      v1::AppendRequest req;
      req.set_stream(stream);
      req.mutable_event()->mutable_run_started()->set_command_line("cairn bench latency");
      for (int64_t k; (k = next.fetch_add(1)) < total;) {
        std::this_thread::sleep_until(start + std::chrono::microseconds(k * 1000000 / rate));
        if (!c->Append(req).ok()) ++failed;
      }
    });
  }
  for (auto& w : writers) w.join();
  const double append_s = std::chrono::duration<double>(Clock::now() - start).count();
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (received.load() < total * subs && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (auto& c : clients) c->Cancel();
  for (auto& t : sub_threads) t.join();
  std::sort(lat_us.begin(), lat_us.end());
  auto pct = [&](double p) {
    if (lat_us.empty()) return 0.0;
    return lat_us[std::min(lat_us.size() - 1, static_cast<size_t>(p * lat_us.size()))] / 1000.0;
  };
  std::printf(
      "{\"mode\":\"latency\",\"subscribers\":%d,\"rate\":%lld,\"events\":%lld,"
      "\"achieved_rate\":%.1f,\"deliveries\":%zu,\"expected\":%lld,\"failed\":%lld,"
      "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,\"max_batch\":%d,"
      "\"responses\":%lld,\"batch_responses\":%lld}\n",
      subs, static_cast<long long>(rate), static_cast<long long>(total), total / append_s,
      lat_us.size(), static_cast<long long>(total * subs), static_cast<long long>(failed.load()),
      pct(0.50), pct(0.99), pct(1.0), max_batch, static_cast<long long>(responses.load()),
      static_cast<long long>(batched.load()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: cairn_serve_bench direct|append|latency --option value ...\n");
    return 2;
  }
  auto a = Args(argc, argv);
  std::string mode = argv[1];
  if (mode == "direct") return Direct(a);
  if (mode == "append") return AppendMode(a);
  if (mode == "latency") return Latency(a);
  return 2;
}

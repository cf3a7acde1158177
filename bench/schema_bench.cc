// cairn_schema_bench: the library half of the diff benchmark (bench/diff.sh
// runs it). Google Benchmark, one timed operation per iteration, medians
// over --benchmark_repetitions.
//
//   CAIRN_BENCH_LIVE_URL=postgresql://.../live          the live database
//   CAIRN_BENCH_DESIRED_URL=postgresql://.../desired    schema.sql loaded once (psql)
//   CAIRN_BENCH_SCHEMA=desired.sql                      the file itself
//   cairn_schema_bench --benchmark_repetitions=7 --benchmark_filter=...
//
// Benchmarks:
//   introspect/live     schema::Introspect of the live database (catalog
//                       queries and building the model); real time is the
//                       round trips and the server's work, CPU time this
//                       process's share (libpq parsing and model building)
//   introspect/desired  the same for the desired schema's database
//   diff/up+down        schema::Diff live -> desired and desired -> live, on
//                       models read once (pure CPU, no database)
//   canonical/live      schema::Canonical of the live model (what drift
//                       checks and fingerprints cost)
//   load/scratch        what `cairn diff --schema` does before introspecting:
//                       ScratchDatabase::Create, ExecuteScript(schema.sql),
//                       drop the scratch database
// Counters: tables, up and down steps (a sanity check that the diff found
// the planted changes).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cairn/db/database.h"
#include "cairn/schema/diff.h"
#include "cairn/schema/model.h"
#include "cairn/schema/scratch.h"

using namespace cairn;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    std::fprintf(stderr, "cairn_schema_bench: set %s\n", name);
    std::exit(2);
  }
  return v;
}

template <typename T>
T OrDie(StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    std::fprintf(stderr, "cairn_schema_bench: %s: %s\n", what, v.status().message().c_str());
    std::exit(1);
  }
  return std::move(*v);
}

std::unique_ptr<db::Connection> Connect(const char* env) {
  auto url = OrDie(db::ParseDatabaseUrl(Env(env)), env);
  return OrDie(db::Connection::Open(url), env);
}

const schema::Model& LiveModel() {
  static const schema::Model m = [] {
    auto conn = Connect("CAIRN_BENCH_LIVE_URL");
    return OrDie(schema::Introspect(*conn), "introspecting the live database");
  }();
  return m;
}

const schema::Model& DesiredModel() {
  static const schema::Model m = [] {
    auto conn = Connect("CAIRN_BENCH_DESIRED_URL");
    return OrDie(schema::Introspect(*conn), "introspecting the desired database");
  }();
  return m;
}

void Introspect(benchmark::State& state, const char* env) {
  auto conn = Connect(env);
  size_t tables = 0;
  for (auto _ : state) {
    auto m = OrDie(schema::Introspect(*conn), "introspect");
    tables = m.tables.size();
    benchmark::DoNotOptimize(m);
  }
  state.counters["tables"] = static_cast<double>(tables);
}

void BM_IntrospectLive(benchmark::State& state) { Introspect(state, "CAIRN_BENCH_LIVE_URL"); }
void BM_IntrospectDesired(benchmark::State& state) { Introspect(state, "CAIRN_BENCH_DESIRED_URL"); }

void BM_Diff(benchmark::State& state) {
  const schema::Model& live = LiveModel();
  const schema::Model& desired = DesiredModel();
  size_t up_steps = 0, down_steps = 0;
  for (auto _ : state) {
    schema::Plan up = schema::Diff(live, desired, {});
    schema::Plan down = schema::Diff(desired, live, {});
    up_steps = up.steps.size();
    down_steps = down.steps.size();
    benchmark::DoNotOptimize(up);
    benchmark::DoNotOptimize(down);
  }
  state.counters["up_steps"] = static_cast<double>(up_steps);
  state.counters["down_steps"] = static_cast<double>(down_steps);
}

void BM_Canonical(benchmark::State& state) {
  const schema::Model& live = LiveModel();
  for (auto _ : state) benchmark::DoNotOptimize(schema::Canonical(live));
}

void BM_LoadScratch(benchmark::State& state) {
  const std::string path = Env("CAIRN_BENCH_SCHEMA");
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string sql = text.str();
  auto like = OrDie(db::ParseDatabaseUrl(Env("CAIRN_BENCH_LIVE_URL")), "url");
  for (auto _ : state) {
    auto scratch = OrDie(schema::ScratchDatabase::Create(like), "creating the scratch database");
    db::ScriptFailure failure;
    Status s = scratch->connection().ExecuteScript(sql, nullptr, &failure);
    if (!s.ok()) {
      std::fprintf(stderr, "cairn_schema_bench: loading %s: %s\n", path.c_str(),
                   s.message().c_str());
      std::exit(1);
    }
  }  // the scratch database is dropped inside the timed region, as in the command
}

BENCHMARK(BM_IntrospectLive)->Name("introspect/live")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_IntrospectDesired)
    ->Name("introspect/desired")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);
BENCHMARK(BM_Diff)->Name("diff/up+down")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_Canonical)->Name("canonical/live")->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(BM_LoadScratch)
    ->Name("load/scratch")
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

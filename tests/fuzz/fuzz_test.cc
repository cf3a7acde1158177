// Deterministic mutation fuzzing of every target in fuzz_targets.h: seeded,
// bounded, and part of the ordinary test run. Each input is a seed (or an
// earlier input) mutated by a few random edits: flip, insert, delete,
// duplicate, splice another seed, insert a dictionary token, truncate. A
// violated property or a crash aborts the test binary with the target's
// message; the seed and iteration are printed first, so
// CAIRN_FUZZ_SEED=<seed> reproduces the run exactly. CAIRN_FUZZ_ITERATIONS
// raises the bound for longer local runs (docs/fuzzing.md).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "tests/fuzz/fuzz_targets.h"

namespace cairn::fuzz {
namespace {

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string Mutate(std::string s, const Target& t, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 6);
  for (int i = 0; i < edits; ++i) {
    const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 8) {
      case 0:  // flip a bit
        if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // random byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<char>(rng() % 256));
        break;
      case 2:  // delete a run
        if (!s.empty() && pos < s.size()) s.erase(pos, 1 + rng() % 8);
        break;
      case 3:  // duplicate a run
        if (!s.empty() && pos < s.size()) s.insert(pos, s.substr(pos, 1 + rng() % 16));
        break;
      case 4:  // splice part of another seed
        if (!t.seeds.empty()) {
          const std::string& o = t.seeds[rng() % t.seeds.size()];
          const size_t from = o.empty() ? 0 : rng() % o.size();
          s.insert(pos, o.substr(from, 1 + rng() % 32));
        }
        break;
      case 5:
      case 6:  // dictionary token
        if (!t.dictionary.empty()) s.insert(pos, t.dictionary[rng() % t.dictionary.size()]);
        break;
      default:  // truncate
        s.resize(pos);
        break;
    }
  }
  return s;
}

class FuzzTest : public ::testing::TestWithParam<size_t> {};

TEST_P(FuzzTest, MutatedInputsGiveErrorsNeverCrashes) {
  const Target& t = Targets().at(GetParam());
  const uint64_t seed = EnvOr("CAIRN_FUZZ_SEED", 1121);
  const uint64_t iterations = EnvOr("CAIRN_FUZZ_ITERATIONS", t.iterations);
  std::printf("fuzz %s: seed %llu, %llu iterations (CAIRN_FUZZ_SEED, CAIRN_FUZZ_ITERATIONS)\n",
              t.name, static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(iterations));
  std::fflush(stdout);
  std::mt19937_64 rng(seed);
  for (const std::string& s : t.seeds) {
    SetCurrentInput(s);
    t.fn(s);
  }
  SetCurrentInput("");
  t.fn("");
  std::string current;
  for (uint64_t i = 0; i < iterations; ++i) {
    // Mostly mutate a seed; sometimes keep mutating the last input (deeper
    // edits); sometimes pure random bytes.
    const uint64_t pick = rng() % 10;
    std::string input;
    if (pick == 0) {
      input.resize(rng() % 64);
      for (char& c : input) c = static_cast<char>(rng() % 256);
    } else if (pick < 4 && !current.empty()) {
      input = Mutate(current, t, rng);
    } else {
      input = Mutate(t.seeds[rng() % t.seeds.size()], t, rng);
    }
    if (input.size() > 4096) input.resize(4096);
    SetCurrentInput(input);
    t.fn(input);
    current = std::move(input);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzTest, ::testing::Range<size_t>(0, Targets().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return std::string(Targets().at(info.param).name);
                         });

}  // namespace
}  // namespace cairn::fuzz

// `cairn history`'s filters: --limit, --since and --migration, applied the
// same way to a local ledger and to a `cairn serve` (--server).
#ifndef CAIRN_CLIENTS_HISTORY_FILTER_H_
#define CAIRN_CLIENTS_HISTORY_FILTER_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "cairn/base/status.h"
#include "cairn/v1/events.pb.h"

namespace cairn::cli {

struct HistoryFilter {
  int64_t limit = 0;         // --limit N: the newest N matching events; 0: all
  std::string since;         // --since TIME, as given
  std::string migration;     // --migration ID: events whose body names it
  int64_t since_micros = 0;  // --since resolved (Resolve); 0: no bound

  // Adds the three flags to `cmd`.
  void Add(CLI::App* cmd);
  // Resolves --since against `now_micros`. A malformed value is
  // kInvalidArgument with kind kBadFlag (exit 2) naming the flag.
  Status Resolve(int64_t now_micros);
  // Whether `e` passes --since and --migration (migration ids compare by
  // value: --migration 3 names 0003).
  bool Matches(const v1::Event& e) const;
};

// Parses --since: an RFC 3339 time (2026-12-01T09:30:00Z, an offset or a
// fraction allowed), a date (2026-12-01, midnight UTC), or a duration before
// `now_micros` (90s, 30m, 24h, 7d). Microseconds since the epoch.
StatusOr<int64_t> ParseSince(std::string_view text, int64_t now_micros);

// Keeps the newest `limit` events handed to Add (all when limit is 0), in
// order, so that --limit needs memory for N events only.
class NewestEvents {
 public:
  explicit NewestEvents(int64_t limit) : limit_(limit) {}
  void Add(const v1::Event& e);
  const std::deque<v1::Event>& events() const { return events_; }

 private:
  int64_t limit_;
  std::deque<v1::Event> events_;
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_HISTORY_FILTER_H_

#include "history_filter.h"

#include <cctype>
#include <ctime>
#include <optional>

#include "cairn/base/hash.h"
#include "cairn/export/export.h"
#include "cairn/store/state.h"
#include "exit_codes.h"

namespace cairn::cli {
namespace {

// Reads exactly `n` digits at `*p`.
bool Digits(std::string_view s, size_t* p, size_t n, int* out) {
  if (*p + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[*p + i];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* p, std::string_view chars) {
  if (*p >= s.size() || chars.find(s[*p]) == std::string_view::npos) return false;
  ++*p;
  return true;
}

// YYYY-MM-DD[(T| )hh:mm[:ss[.frac]](Z|±hh:mm)]; a date alone is midnight UTC.
std::optional<int64_t> ParseTime(std::string_view s) {
  size_t p = 0;
  std::tm tm{};
  int year, month, day, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &p, 4, &year) || !Expect(s, &p, "-") || !Digits(s, &p, 2, &month) ||
      !Expect(s, &p, "-") || !Digits(s, &p, 2, &day))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  int64_t micros = 0, offset_seconds = 0;
  if (p < s.size()) {
    if (!Expect(s, &p, "Tt ") || !Digits(s, &p, 2, &hour) || !Expect(s, &p, ":") ||
        !Digits(s, &p, 2, &minute))
      return std::nullopt;
    if (p < s.size() && s[p] == ':') {
      ++p;
      if (!Digits(s, &p, 2, &second)) return std::nullopt;
      if (p < s.size() && s[p] == '.') {
        ++p;
        int64_t scale = 100000;
        size_t start = p;
        while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
          micros += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
        if (p == start) return std::nullopt;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
      ++p;
    } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
      const int sign = s[p] == '-' ? -1 : 1;
      ++p;
      int oh, om;
      if (!Digits(s, &p, 2, &oh) || !Expect(s, &p, ":") || !Digits(s, &p, 2, &om))
        return std::nullopt;
      offset_seconds = sign * (oh * 3600 + om * 60);
    } else {
      return std::nullopt;  // RFC 3339 requires the offset
    }
  }
  if (p != s.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const int64_t seconds = static_cast<int64_t>(::timegm(&tm)) - offset_seconds;
  return seconds * 1000000 + micros;
}

// 90s, 30m, 24h, 7d (a positive whole number and one unit).
std::optional<int64_t> ParseAgo(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  int64_t unit = 0;
  switch (s.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  int64_t n = 0;
  for (char c : s.substr(0, s.size() - 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || n > 1000000000) return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n * unit * 1000000;
}

}  // namespace

StatusOr<int64_t> ParseSince(std::string_view text, int64_t now_micros) {
  if (auto t = ParseTime(text)) return *t;
  if (auto ago = ParseAgo(text)) return now_micros - *ago;
  return InvalidArgumentError("--since '" + std::string(text) +
                              "': expected an RFC 3339 time (2026-12-01T09:30:00Z), a date "
                              "(2026-12-01) or a duration ago (90s, 30m, 24h, 7d)")
      .WithKind(kBadFlag);
}

void HistoryFilter::Add(CLI::App* cmd) {
  cmd->add_option("--limit", limit, "only the newest N matching events")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--since", since,
                  "only events recorded at or after TIME (2026-12-01T09:30:00Z, 2026-12-01, "
                  "or ago: 30m, 24h, 7d)");
  cmd->add_option("--migration", migration, "only events of this migration (3 names 0003)");
}

Status HistoryFilter::Resolve(int64_t now_micros) {
  if (since.empty()) return Status::Ok();
  CAIRN_ASSIGN_OR_RETURN(since_micros, ParseSince(since, now_micros));
  return Status::Ok();
}

bool HistoryFilter::Matches(const v1::Event& e) const {
  if (!since.empty() && ledger::TimestampToMicros(e.recorded_at()) < since_micros) return false;
  if (!migration.empty()) {
    const std::string id = ledger::BodyMigrationId(e);
    if (id.empty() || ledger::CompareMigrationIds(id, migration) != 0) return false;
  }
  return true;
}

void NewestEvents::Add(const v1::Event& e) {
  events_.push_back(e);
  if (limit_ > 0 && static_cast<int64_t>(events_.size()) > limit_) events_.pop_front();
}

}  // namespace cairn::cli

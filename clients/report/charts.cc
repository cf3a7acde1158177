#include "charts.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

namespace cairn::report {
namespace {

constexpr double kWidth = 1000;  // every chart's viewBox is 1000 units wide

// A coordinate with at most one decimal, without trailing zeros.
std::string Num(double v) {
  char buf[32];
  double r = std::round(v * 10) / 10;
  if (r == std::floor(r))
    std::snprintf(buf, sizeof buf, "%.0f", r);
  else
    std::snprintf(buf, sizeof buf, "%.1f", r);
  return buf;
}

std::string Int(int64_t v) { return std::to_string(v); }

std::string SvgOpen(const char* id, double height, const std::string& label) {
  return "<svg id=\"" + std::string(id) + "\" class=\"chart\" viewBox=\"0 0 " + Num(kWidth) + " " +
         Num(height) + "\" role=\"img\" aria-label=\"" + HtmlEscape(label) + "\">";
}

std::string Text(double x, double y, const std::string& text, const char* anchor = "start",
                 const char* cls = "lbl") {
  return "<text class=\"" + std::string(cls) + "\" x=\"" + Num(x) + "\" y=\"" + Num(y) +
         "\" text-anchor=\"" + anchor + "\">" + HtmlEscape(text) + "</text>";
}

std::string Line(double x1, double y1, double x2, double y2, const char* cls) {
  return "<line class=\"" + std::string(cls) + "\" x1=\"" + Num(x1) + "\" y1=\"" + Num(y1) +
         "\" x2=\"" + Num(x2) + "\" y2=\"" + Num(y2) + "\"/>";
}

std::string Empty(const char* id, const std::string& what) {
  return SvgOpen(id, 40, what) + Text(kWidth / 2, 24, what, "middle") + "</svg>";
}

// A label for a time on an axis spanning `span` micros.
std::string AxisTime(int64_t micros, int64_t span) {
  std::string t = FormatTime(micros);  // "YYYY-MM-DD HH:MM:SS"
  if (span < 60LL * 1000000) {
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03lld", static_cast<long long>((micros / 1000) % 1000));
    return t.substr(11) + ms;
  }
  if (span < 86400LL * 1000000) return t.substr(11);
  if (span < 14 * 86400LL * 1000000) return t.substr(5, 11);  // "MM-DD HH:MM"
  return t.substr(0, 10);
}

std::string ShortId(const std::string& s) { return s.size() > 8 ? s.substr(0, 8) : s; }

}  // namespace

std::string DayString(int64_t day) { return FormatTime(day * 86400LL * 1000000).substr(0, 10); }

std::string TimelineSvg(const Report& report, const RenderLimits& limits) {
  if (report.runs.empty()) return Empty("timeline-chart", "no runs recorded");
  constexpr double kLeft = 120, kRight = 10, kTop = 6, kLane = 30, kAxis = 26;
  const double plot = kWidth - kLeft - kRight;
  int64_t t0 = report.runs.front().started_at, t1 = t0;
  for (const RunSummary& r : report.runs) {
    t0 = std::min(t0, r.started_at);
    t1 = std::max({t1, r.finished_at, r.last_event_at});
  }
  int64_t span = std::max<int64_t>(t1 - t0, 1000000);  // at least one second
  t0 -= span / 50;                                     // breathing room at both ends
  span += span / 25;
  auto x = [&](int64_t t) { return kLeft + plot * static_cast<double>(t - t0) / span; };
  const size_t lanes = report.targets.size();
  const double height = kTop + kLane * lanes + kAxis;

  std::string out = SvgOpen("timeline-chart", height, "runs over time, coloured by outcome");
  // Lanes and their target names.
  for (size_t i = 0; i < lanes; ++i) {
    double y = kTop + kLane * i;
    out += Line(kLeft, y + kLane - 4, kWidth - kRight, y + kLane - 4, "lane");
    std::string name = report.targets[i].name;
    if (name.size() > 18) name = name.substr(0, 17) + "…";
    out += Text(kLeft - 6, y + kLane / 2 + 4, name, "end");
  }
  // Time axis.
  const double axis_y = kTop + kLane * lanes;
  out += Line(kLeft, axis_y, kWidth - kRight, axis_y, "axis");
  constexpr int kTicks = 6;
  for (int i = 0; i <= kTicks; ++i) {
    int64_t t = t0 + span * i / kTicks;
    double tx = x(t);
    out += Line(tx, axis_y, tx, axis_y + 4, "axis");
    out += Text(tx, axis_y + 16, AxisTime(t, span),
                i == 0 ? "start" : (i == kTicks ? "end" : "middle"));
  }

  auto run_end = [](const RunSummary& r) {
    return r.finished_at ? r.finished_at : r.last_event_at;
  };
  if (report.runs.size() <= limits.max_run_shapes) {
    for (const RunSummary& r : report.runs) {
      double y = kTop + kLane * r.target;
      double x0 = x(r.started_at), w = std::max(2.0, x(run_end(r)) - x0);
      std::string title = std::string(RunKindName(r.kind)) + " run " + ShortId(r.run_id) + ", " +
                          FormatTime(r.started_at) + " to " +
                          (r.finished_at ? FormatTime(r.finished_at) : "(no end recorded)") +
                          ", by " + r.actor + ", " + Int(r.migrations) + " migration(s)";
      if (!r.batch_times.empty()) title += ", " + Int(r.batch_times.size()) + " batch(es)";
      if (!r.command_line.empty()) title += "\n" + r.command_line;
      out += "<g class=\"run k-" + std::string(RunKindName(r.kind)) + "\" data-t=\"" +
             Int(r.target) + "\" data-o=\"" + RunKindName(r.kind) + "\" data-d=\"" +
             Int(DayNumber(r.started_at)) + "\" data-e=\"" + Int(DayNumber(run_end(r))) +
             "\"><title>" + HtmlEscape(title) + "</title><rect x=\"" + Num(x0) + "\" y=\"" +
             Num(y + 10) + "\" width=\"" + Num(w) + "\" height=\"14\"/>";
      // Batches as ticks above the bar, at most one per drawn unit.
      std::set<int> seen;
      for (int64_t bt : r.batch_times) {
        double bx = x(bt);
        if (!seen.insert(static_cast<int>(bx)).second) continue;
        out += Line(bx, y + 3, bx, y + 10, "batch");
      }
      out += "</g>";
    }
  } else {
    // Downsampled: one bar per (target, drawn unit, outcome), with counts.
    struct Bucket {
      int64_t first = 0, last = 0;
      int64_t runs = 0, batches = 0, migrations = 0;
      std::set<int> batch_columns;
    };
    std::map<std::tuple<int, int, int>, Bucket> buckets;
    for (const RunSummary& r : report.runs) {
      int col = static_cast<int>(x(r.started_at));
      Bucket& b = buckets[{r.target, col, static_cast<int>(r.kind)}];
      if (b.runs == 0) b.first = r.started_at;
      b.last = std::max(b.last, run_end(r));
      ++b.runs;
      b.migrations += r.migrations;
      b.batches += static_cast<int64_t>(r.batch_times.size());
      for (int64_t bt : r.batch_times) b.batch_columns.insert(static_cast<int>(x(bt)));
    }
    for (const auto& [key, b] : buckets) {
      const auto [target, col, kind_int] = key;
      const char* kind = RunKindName(static_cast<RunKind>(kind_int));
      double y = kTop + kLane * target;
      double x0 = x(b.first), w = std::max(2.0, x(b.last) - x0);
      std::string title = Int(b.runs) + " " + kind + " run(s), " + FormatTime(b.first) + " to " +
                          FormatTime(b.last) + ", " + Int(b.migrations) + " migration(s)";
      if (b.batches) title += ", " + Int(b.batches) + " batch(es)";
      out += "<g class=\"run k-" + std::string(kind) + "\" data-t=\"" + Int(target) +
             "\" data-o=\"" + kind + "\" data-d=\"" + Int(DayNumber(b.first)) + "\" data-e=\"" +
             Int(DayNumber(b.last)) + "\"><title>" + HtmlEscape(title) + "</title><rect x=\"" +
             Num(x0) + "\" y=\"" + Num(y + 10) + "\" width=\"" + Num(w) + "\" height=\"14\"/>";
      for (int bc : b.batch_columns) out += Line(bc, y + 3, bc, y + 10, "batch");
      out += "</g>";
    }
  }
  out += "</svg>";
  return out;
}

std::string DurationSvg(const Report& report, const RenderLimits& limits) {
  std::vector<const MigrationRow*> rows;
  for (const MigrationRow& m : report.migrations)
    if (m.applied_at) rows.push_back(&m);
  if (rows.empty()) return Empty("duration-chart", "no migration was applied");
  constexpr double kLeft = 70, kRight = 10, kTop = 10, kPlot = 160, kAxis = 22;
  const double plot_w = kWidth - kLeft - kRight;

  // Groups of consecutive migrations of one target, at most max_duration_bars.
  const size_t per_bar = (rows.size() + limits.max_duration_bars - 1) / limits.max_duration_bars;
  struct Bar {
    const MigrationRow* first;
    const MigrationRow* last;
    int64_t max = 0, sum = 0, count = 0;
  };
  std::vector<Bar> bars;
  for (const MigrationRow* m : rows) {
    if (bars.empty() || bars.back().count >= static_cast<int64_t>(per_bar) ||
        bars.back().first->target != m->target)
      bars.push_back(Bar{m, m});
    Bar& b = bars.back();
    b.last = m;
    b.max = std::max(b.max, m->duration_micros);
    b.sum += m->duration_micros;
    ++b.count;
  }
  int64_t top = 1;
  for (const Bar& b : bars) top = std::max(top, b.max);

  std::string out =
      SvgOpen("duration-chart", kTop + kPlot + kAxis, "duration of each migration's last apply");
  const double base = kTop + kPlot;
  out += Line(kLeft, base, kWidth - kRight, base, "axis");
  out += Line(kLeft, kTop, kLeft, base, "axis");
  out += Text(kLeft - 6, kTop + 8, FormatDuration(top), "end");
  out += Text(kLeft - 6, base, "0", "end");
  const double slot = plot_w / bars.size();
  const double bar_w = std::max(0.5, std::min(slot * (slot > 3 ? 0.8 : 1.0), 60.0));
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    double h = std::max(1.0, kPlot * static_cast<double>(b.max) / top);
    std::string title =
        b.count == 1
            ? b.first->id + " " + b.first->description + ": " + FormatDuration(b.max)
            : b.first->id + " to " + b.last->id + " (" + Int(b.count) + " migrations): longest " +
                  FormatDuration(b.max) + ", mean " + FormatDuration(b.sum / b.count);
    out += "<rect class=\"dur\" data-t=\"" + Int(b.first->target) + "\" x=\"" +
           Num(kLeft + slot * i) + "\" y=\"" + Num(base - h) + "\" width=\"" + Num(bar_w) +
           "\" height=\"" + Num(h) + "\"><title>" + HtmlEscape(title) + "</title></rect>";
  }
  out += Text(kLeft, base + 16, rows.front()->id, "start");
  out += Text(kWidth - kRight, base + 16, rows.back()->id, "end");
  out +=
      Text(kLeft + plot_w / 2, base + 16,
           bars.size() == rows.size() ? "migration" : "migrations (longest per group)", "middle");
  out += "</svg>";
  return out;
}

std::string EventsPerDaySvg(const Report& report, const RenderLimits& limits) {
  if (report.events_per_day.empty()) return Empty("events-chart", "no events recorded");
  int64_t d0 = report.events_per_day.begin()->first.second, d1 = d0;
  for (const auto& [key, n] : report.events_per_day) {
    d0 = std::min(d0, key.second);
    d1 = std::max(d1, key.second);
  }
  const int64_t days = d1 - d0 + 1;
  const int64_t per_bar = (days + static_cast<int64_t>(limits.max_day_bars) - 1) /
                          static_cast<int64_t>(limits.max_day_bars);
  const int64_t nbars = (days + per_bar - 1) / per_bar;
  // Counts per (bar, target), and totals per bar for the scale.
  std::map<std::pair<int64_t, int>, int64_t> counts;
  std::vector<int64_t> totals(static_cast<size_t>(nbars), 0);
  for (const auto& [key, n] : report.events_per_day) {
    int64_t bar = (key.second - d0) / per_bar;
    counts[{bar, key.first}] += n;
    totals[static_cast<size_t>(bar)] += n;
  }
  int64_t top = std::max<int64_t>(1, *std::max_element(totals.begin(), totals.end()));

  constexpr double kLeft = 70, kRight = 10, kTop = 10, kPlot = 140, kAxis = 22;
  const double plot_w = kWidth - kLeft - kRight;
  const double base = kTop + kPlot;
  std::string out = SvgOpen("events-chart", kTop + kPlot + kAxis, "ledger events per day");
  out += Line(kLeft, base, kWidth - kRight, base, "axis");
  out += Line(kLeft, kTop, kLeft, base, "axis");
  out += Text(kLeft - 6, kTop + 8, Int(top), "end");
  out += Text(kLeft - 6, base, "0", "end");
  const double slot = plot_w / static_cast<double>(nbars);
  const double bar_w = std::max(0.5, std::min(slot * 0.8, 60.0));
  std::vector<double> stacked(static_cast<size_t>(nbars), 0);
  for (const auto& [key, n] : counts) {
    const auto [bar, target] = key;
    const int64_t first_day = d0 + bar * per_bar;
    const int64_t last_day = std::min(d1, first_day + per_bar - 1);
    double h = std::max(1.0, kPlot * static_cast<double>(n) / top);
    double& below = stacked[static_cast<size_t>(bar)];
    std::string when =
        per_bar == 1 ? DayString(first_day) : DayString(first_day) + " to " + DayString(last_day);
    std::string title = when + ": " + Int(n) + " event(s)";
    if (report.targets.size() > 1) title += " in " + report.targets[target].name;
    out += "<rect class=\"day t" + Int(target % 6) + "\" data-t=\"" + Int(target) + "\" data-d=\"" +
           Int(first_day) + "\" data-e=\"" + Int(last_day) + "\" x=\"" +
           Num(kLeft + slot * static_cast<double>(bar) + (slot - bar_w) / 2) + "\" y=\"" +
           Num(base - below - h) + "\" width=\"" + Num(bar_w) + "\" height=\"" + Num(h) +
           "\"><title>" + HtmlEscape(title) + "</title></rect>";
    below += h;
  }
  out += Text(kLeft, base + 16, DayString(d0), "start");
  if (d1 != d0) out += Text(kWidth - kRight, base + 16, DayString(d1), "end");
  out += "</svg>";
  return out;
}

}  // namespace cairn::report

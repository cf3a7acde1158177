// Renders a Report (report_model.h) as one self-contained HTML page: inline
// CSS, inline SVG charts drawn here, a small inline script for the filters,
// and nothing fetched from anywhere (a Content-Security-Policy in the page
// forbids every network load and admits only the page's own script, by hash).
// The page layout, its element ids and data attributes are described in
// docs/report.md.
//
//   std::string html = report::RenderHtml(r);
//
// Every string that comes from a ledger (descriptions, errors, statements,
// actors, command lines, stream names) goes through HtmlEscape: a description
// `<script>alert(1)</script>` is shown as that text. No ledger data is ever
// placed inside the <script> element.
#ifndef CAIRN_CLIENTS_REPORT_HTML_REPORT_H_
#define CAIRN_CLIENTS_REPORT_HTML_REPORT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "report_model.h"

namespace cairn::report {

// `text` made safe as HTML element content and as a quoted attribute value:
// & < > " ' become entities; bytes that are not valid UTF-8 become U+FFFD,
// and control characters other than tab, newline and carriage return become
// U+FFFD too.
std::string HtmlEscape(std::string_view text);

// "2026-11-21 06:48:05" (UTC, seconds), or "" for 0.
std::string FormatTime(int64_t micros);

// "0.8 ms", "12.3 ms", "1.24 s", "3 min 5 s".
std::string FormatDuration(int64_t micros);

// Standard base64 (RFC 4648, with padding).
std::string Base64(std::string_view bytes);

struct RenderLimits {
  // Above this many runs the timeline draws one bar per target, pixel
  // column and outcome instead of one per run.
  size_t max_run_shapes = 600;
  // Above this many migrations the duration chart draws one bar (the
  // maximum) per group of consecutive migrations.
  size_t max_duration_bars = 400;
  // Above this many days the events-per-day chart groups days.
  size_t max_day_bars = 366;
};

// The whole page.
std::string RenderHtml(const Report& report, const RenderLimits& limits = {});

}  // namespace cairn::report

#endif  // CAIRN_CLIENTS_REPORT_HTML_REPORT_H_

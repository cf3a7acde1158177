// The report's inline SVG drawings (internal to the report library). Each
// returns a complete <svg> element; shapes carry the data attributes the
// page's filters use (docs/report.md, "Filters").
#ifndef CAIRN_CLIENTS_REPORT_CHARTS_H_
#define CAIRN_CLIENTS_REPORT_CHARTS_H_

#include <string>

#include "html_report.h"
#include "report_model.h"

namespace cairn::report {

// Runs on a time axis, one lane per target, coloured by outcome, with their
// batches as ticks above the bar.
std::string TimelineSvg(const Report& report, const RenderLimits& limits);

// Duration of the last apply of each migration, in table order.
std::string DurationSvg(const Report& report, const RenderLimits& limits);

// Ledger events per UTC day, stacked by target.
std::string EventsPerDaySvg(const Report& report, const RenderLimits& limits);

// "2026-11-21" for a day number.
std::string DayString(int64_t day);

}  // namespace cairn::report

#endif  // CAIRN_CLIENTS_REPORT_CHARTS_H_

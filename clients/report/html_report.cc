#include "html_report.h"

#include <cstdio>
#include <ctime>
#include <set>

#include "cairn/base/hash.h"
#include "cairn/export/export.h"
#include "charts.h"

namespace cairn::report {
namespace {

// The page's style: screen, then print (auditors print to PDF).
constexpr const char* kCss = R"CSS(
:root{--ok:#2e7d32;--bad:#c62828;--rb:#1565c0;--open:#8d8d8d;--ink:#1d1d1d;--mute:#666;--line:#ddd}
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--ink);margin:0 auto;max-width:1280px;padding:16px 24px}
h1{font-size:22px;margin:8px 0 12px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}
.banner{padding:14px 18px;margin:0 0 16px;border-radius:4px;font-size:16px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.banner.bad{background:#fdecea;border:3px solid var(--bad);color:#7f1313}
.banner.bad strong{font-size:20px;display:block;margin-bottom:4px}
.banner.warn{background:#fff8e1;border:2px solid #f9a825}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0 0 12px}
dl.facts dt{color:var(--mute)}dl.facts dd{margin:0}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#f4f4f4}
table.mh{position:sticky;top:0;z-index:1}table.mh,table.mt{table-layout:fixed}table.mh th,table.mt td{overflow-wrap:anywhere}table.mt td.w{white-space:normal}
.chunk{content-visibility:auto;contain-intrinsic-size:auto 7200px}
td.n{text-align:right;white-space:nowrap}td.w{white-space:nowrap}
.k{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
.res-ok{color:var(--ok);font-weight:600}.res-bad{color:var(--bad);font-weight:700}
.s-applied{color:var(--ok)}.s-rolled_back{color:var(--rb)}.s-failed{color:var(--bad);font-weight:600}
.e{color:var(--bad);font-size:12px;margin-top:2px}
code.st{display:block;white-space:pre-wrap;font-size:11px;background:#f7f7f7;padding:2px 4px;margin-top:2px}
.untrusted td:first-child::before{content:"\26A0 ";color:var(--bad)}
#filters{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;background:#f7f7f7;padding:8px 12px;border-radius:4px;margin:16px 0}
#filters label{display:flex;flex-direction:column;font-size:12px;color:var(--mute)}
#filter-count{margin-left:auto;color:var(--mute)}
svg.chart{width:100%;height:auto;display:block}
svg .lbl{font-size:11px;fill:#444}svg .axis{stroke:#999;stroke-width:1}svg .lane{stroke:#eee;stroke-width:1}
svg .batch{stroke:#333;stroke-width:1}
svg .k-applied rect{fill:var(--ok)}svg .k-rolled_back rect{fill:var(--rb)}svg .k-failed rect{fill:var(--bad)}
svg .k-open rect,svg .k-other rect{fill:var(--open)}
svg .dur{fill:#5c6bc0}svg .day{fill:#26a69a}svg .t1{fill:#ef6c00}svg .t2{fill:#8e24aa}svg .t3{fill:#6d4c41}svg .t4{fill:#546e7a}svg .t5{fill:#c0ca33}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.charts{display:grid;grid-template-columns:1fr;gap:0 16px}
.muted{color:var(--mute)}footer{margin-top:32px;font-size:12px;color:var(--mute)}
@media print{
 body{max-width:none;padding:0;font-size:9pt}
 #filters,.noprint{display:none!important}
 table.mh{position:static}thead{display:table-header-group}tr{break-inside:avoid}
 .chunk{content-visibility:visible}
 h2{break-after:avoid}
 svg.chart,.banner{break-inside:avoid}
 svg *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
)CSS";

// The filters. Static text: no ledger data is ever placed in the script.
// Elements with data-d (first day) and optional data-e (last day), data-t
// (target index) and data-o (outcome) are shown or hidden.
constexpr const char* kJs = R"JS(
(function(){
"use strict";
function el(id){return document.getElementById(id);}
function day(v){if(!v)return null;var t=Date.parse(v+"T00:00:00Z");return isNaN(t)?null:Math.floor(t/864e5);}
var from=el("f-from"),to=el("f-to"),target=el("f-target"),outcome=el("f-outcome"),count=el("filter-count");
var items=document.querySelectorAll("[data-d]");
var rows=document.querySelectorAll("#migration-table tbody tr");
var chunks=document.querySelectorAll("#migration-table .chunk");
function apply(){
  var a=day(from.value),b=day(to.value),t=target.value,o=outcome.value,shown=0;
  for(var i=0;i<items.length;i++){
    var x=items[i],d=+x.getAttribute("data-d"),e=x.hasAttribute("data-e")?+x.getAttribute("data-e"):d;
    var xo=x.getAttribute("data-o");
    var ok=(a===null||e>=a)&&(b===null||d<=b)&&(t===""||x.getAttribute("data-t")===t)&&(o===""||xo===null||xo===o);
    x.style.display=ok?"":"none";
  }
  for(var j=0;j<rows.length;j++)if(rows[j].style.display!=="none")shown++;
  for(var k=0;k<chunks.length;k++)chunks[k].style.display=chunks[k].querySelector("tr:not([style*=none])")?"":"none";
  count.textContent=shown+" of "+rows.length+" migrations shown";
}
[from,to,target,outcome].forEach(function(x){x.addEventListener("change",apply);x.addEventListener("input",apply);});
el("f-reset").addEventListener("click",function(){from.value="";to.value="";target.value="";outcome.value="";apply();});
// A link may preset the filters: report.html#from=2026-01-01&to=2026-03-31&target=0&outcome=failed
var preset={from:from,to:to,target:target,outcome:outcome},preset_any=false;
location.hash.replace(/^#/,"").split("&").forEach(function(kv){
  var i=kv.indexOf("=");if(i<1)return;
  try{var k=decodeURIComponent(kv.slice(0,i)),v=decodeURIComponent(kv.slice(i+1));}catch(e){return;}
  if(Object.prototype.hasOwnProperty.call(preset,k)){preset[k].value=v;preset_any=true;}
});
el("filters").hidden=false;
// Without a preset everything is shown already: no need to touch every row.
if(preset_any)apply();else count.textContent=rows.length+" of "+rows.length+" migrations shown";
})();
)JS";

std::string Int(int64_t v) { return std::to_string(v); }

// Appends the code point `cp` as UTF-8.
void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns its length, or 0 if invalid
// (overlong forms, surrogates and values above U+10FFFF are invalid).
size_t DecodeUtf8(std::string_view s, size_t i, uint32_t* cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  } else if ((c & 0xE0) == 0xC0) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
  *cp = v;
  return n;
}

// One <option> per target, valued by index.
std::string TargetOptions(const Report& r) {
  std::string out = "<option value=\"\">all</option>";
  for (size_t i = 0; i < r.targets.size(); ++i)
    out += "<option value=\"" + Int(static_cast<int64_t>(i)) + "\">" +
           HtmlEscape(r.targets[i].name) + "</option>";
  return out;
}

std::string VerifyBanner(const Report& r) {
  std::string out;
  for (const TargetSummary& t : r.targets) {
    if (t.verified && t.verify.ok) continue;
    out += "<div class=\"banner bad\" role=\"alert\" data-verify=\"failed\"><strong>";
    if (t.verified) {
      out += "LEDGER VERIFICATION FAILED</strong>Target " + HtmlEscape(t.name) +
             ": the hash chain is broken at position " + Int(t.verify.first_bad_position) + " (" +
             HtmlEscape(t.verify.problem) +
             "). Events from that position on cannot be trusted; the history below is shown as "
             "read from the database, and rows touched at or after that position are marked "
             "\u26A0.";
    } else {
      out += "LEDGER NOT VERIFIED</strong>Target " + HtmlEscape(t.name) +
             ": the hash chain could not be checked: " + HtmlEscape(t.verify_error);
    }
    out += "</div>";
  }
  if (r.bundle == BundleCheck::kInvalid) {
    out +=
        "<div class=\"banner bad\" role=\"alert\" data-bundle=\"invalid\"><strong>BUNDLE "
        "SIGNATURE INVALID</strong>The verification bundle does not verify against the given "
        "public key: " +
        HtmlEscape(r.bundle_detail) +
        ". Its records cannot be trusted as the signer's: they were changed after signing, or "
        "signed by another key.</div>";
  }
  for (const TargetSummary& t : r.targets) {
    if (t.read_error.empty()) continue;
    out +=
        "<div class=\"banner bad\" role=\"alert\" data-read=\"failed\"><strong>HISTORY "
        "INCOMPLETE</strong>Target " +
        HtmlEscape(t.name) + ": the ledger could not be read to its end after " + Int(t.events) +
        " event(s): " + HtmlEscape(t.read_error) + "</div>";
  }
  return out;
}

std::string VerificationTable(const Report& r) {
  std::string out =
      "<table id=\"verification\"><thead><tr><th>Target</th><th>Verification</th><th>Events "
      "checked</th><th>Head position</th><th>Head hash</th></tr></thead><tbody>";
  for (const TargetSummary& t : r.targets) {
    const bool ok = t.verified && t.verify.ok;
    out += "<tr data-verify=\"" + std::string(ok ? "ok" : "failed") + "\"><td>" +
           HtmlEscape(t.name) + "</td><td class=\"" + (ok ? "res-ok" : "res-bad") + "\">";
    if (ok)
      out += "chain intact";
    else if (t.verified)
      out += "FAILED at position " + Int(t.verify.first_bad_position) + ": " +
             HtmlEscape(t.verify.problem);
    else
      out += "NOT CHECKED: " + HtmlEscape(t.verify_error);
    out += "</td><td class=\"n\">" + Int(t.verify.events_checked) + "</td><td class=\"n\">" +
           Int(t.verify.head.position) + "</td><td class=\"k\">" +
           ledger::ToHex(t.verify.head.hash) + "</td></tr>";
  }
  out += "</tbody></table>";
  if (!r.AllVerified())
    out +=
        "<p class=\"muted\">For a broken chain the head shown is the last event that passed "
        "every check.</p>";
  return out;
}

std::string BundleLine(const Report& r) {
  std::string out = "<p id=\"bundle-status\">Bundle signature: ";
  switch (r.bundle) {
    case BundleCheck::kNotChecked:
      out += "<span data-bundle=\"not-checked\">not checked</span>";
      break;
    case BundleCheck::kValid:
      out += "<span data-bundle=\"valid\" class=\"res-ok\">signature valid</span>";
      break;
    case BundleCheck::kInvalid:
      out += "<span data-bundle=\"invalid\" class=\"res-bad\">signature INVALID</span>";
      break;
  }
  out += " <span class=\"muted\">(" +
         HtmlEscape(r.bundle_detail.empty() ? "no bundle given: the events were read from the "
                                              "database directly"
                                            : r.bundle_detail) +
         ")</span></p>";
  return out;
}

std::string StateLabel(const std::string& state) {
  return state == "rolled_back" ? "rolled back" : state;
}

// The first bad position of `target`'s chain, or 0.
int64_t FirstBad(const Report& r, int target) {
  const TargetSummary& t = r.targets[target];
  return t.verified && !t.verify.ok ? t.verify.first_bad_position : 0;
}

// Rows per chunk of the migration table. Each chunk is its own fixed-layout
// table in a `content-visibility: auto` box, so the browser lays out only
// the chunks on screen: a 10,000-row report opens in a fraction of the time
// one big table takes (BENCHMARKS.md, "cairn report").
constexpr size_t kRowsPerChunk = 200;

// Column widths shared by the header and every chunk, so columns line up.
std::string MigrationColumns(bool many) {
  // Percent widths: [Target] ID, Description, Type, State, Applied, Rolled back, By, Duration,
  // Checksum.
  static constexpr int kOne[] = {6, 22, 8, 8, 11, 11, 10, 7, 17};
  static constexpr int kMany[] = {8, 6, 16, 8, 7, 10, 10, 9, 7, 19};
  std::string out = "<colgroup>";
  auto add = [&](const auto& widths) {
    for (int w : widths) out += "<col style=\"width:" + std::to_string(w) + "%\">";
  };
  if (many)
    add(kMany);
  else
    add(kOne);
  return out + "</colgroup>";
}

std::string MigrationTable(const Report& r) {
  const bool many = r.targets.size() > 1;
  const std::string cols = MigrationColumns(many);
  std::string out = "<div id=\"migration-table\"><table class=\"mh\">" + cols + "<thead><tr>";
  if (many) out += "<th>Target</th>";
  out +=
      "<th>ID</th><th>Description</th><th>Type</th><th>State</th><th>Applied</th><th>Rolled "
      "back</th><th>By</th><th>Duration</th><th>Checksum</th></tr></thead></table>";
  out.reserve(out.size() + r.migrations.size() * 360);
  size_t in_chunk = 0;
  for (const MigrationRow& m : r.migrations) {
    if (in_chunk == 0) out += "<div class=\"chunk\"><table class=\"mt\">" + cols + "<tbody>";
    const int64_t bad = FirstBad(r, m.target);
    out += "<tr data-t=\"" + Int(m.target) + "\" data-o=\"" + m.state + "\" data-d=\"" +
           Int(DayNumber(m.last_event_at)) + "\"";
    if (bad && m.last_position >= bad) out += " class=\"untrusted\"";
    out += ">";
    if (many) out += "<td>" + HtmlEscape(r.targets[m.target].name) + "</td>";
    out += "<td class=\"w\">" + HtmlEscape(m.id) + "</td><td>" + HtmlEscape(m.description);
    if (!m.error.empty()) {
      std::string where = m.error_file.empty() ? m.file : m.error_file;
      out += "<div class=\"e\">" + HtmlEscape(where) + ":" + Int(m.error_line) + ": " +
             HtmlEscape(m.error) + "</div>";
    }
    out += "</td><td>" + std::string(ledger::StorageTypeName(m.storage_type)) +
           "</td><td class=\"s-" + m.state + "\">" + StateLabel(m.state) + "</td><td class=\"w\">" +
           FormatTime(m.applied_at) + "</td><td class=\"w\">" + FormatTime(m.rolled_back_at) +
           "</td><td>" + HtmlEscape(m.applied_by);
    if (!m.rolled_back_by.empty() && m.rolled_back_by != m.applied_by)
      out += "<br>\u21A9 " + HtmlEscape(m.rolled_back_by);
    out += "</td><td class=\"n\">" + (m.applied_at ? FormatDuration(m.duration_micros) : "") +
           "</td><td class=\"k\">" + HtmlEscape(m.checksum) + "</td></tr>";
    if (++in_chunk == kRowsPerChunk) {
      out += "</tbody></table></div>";
      in_chunk = 0;
    }
  }
  if (in_chunk) out += "</tbody></table></div>";
  out += "</div>";
  if (r.migrations.empty()) out += "<p class=\"muted\">No migration is recorded.</p>";
  return out;
}

std::string FailureTable(const Report& r) {
  if (r.failures.empty())
    return "<p class=\"muted\" id=\"no-failures\">No failure is recorded.</p>";
  const bool many = r.targets.size() > 1;
  std::string out = "<table id=\"failure-table\"><thead><tr><th>When</th>";
  if (many) out += "<th>Target</th>";
  out +=
      "<th>Position</th><th>Migration</th><th>Direction</th><th>Where</th><th>Error</th></tr>"
      "</thead><tbody>";
  for (const FailureRow& f : r.failures) {
    out += "<tr data-t=\"" + Int(f.target) + "\" data-o=\"failed\" data-d=\"" +
           Int(DayNumber(f.at)) + "\"><td class=\"w\">" + FormatTime(f.at) + "</td>";
    if (many) out += "<td>" + HtmlEscape(r.targets[f.target].name) + "</td>";
    out += "<td class=\"n\">" + Int(f.position) + "</td><td class=\"w\">" +
           HtmlEscape(f.migration_id) + "</td><td>" +
           (f.direction == v1::DIRECTION_DOWN ? "down" : "up") + "</td><td class=\"w\">" +
           HtmlEscape(f.file) + ":" + Int(f.line) + "</td><td>" + HtmlEscape(f.message);
    if (!f.statement.empty()) out += "<code class=\"st\">" + HtmlEscape(f.statement) + "</code>";
    out += "</td></tr>";
  }
  out += "</tbody></table>";
  if (r.failures_omitted)
    out += "<p class=\"muted\">" + Int(r.failures_omitted) + " older failure(s) beyond the first " +
           Int(static_cast<int64_t>(r.failures.size())) +
           " are not listed; `cairn history` shows them all.</p>";
  return out;
}

std::string Legend() {
  return "<p class=\"legend\"><span><i style=\"background:var(--ok)\"></i>applied</span>"
         "<span><i style=\"background:var(--rb)\"></i>rolled back</span>"
         "<span><i style=\"background:var(--bad)\"></i>failed</span>"
         "<span><i style=\"background:var(--open)\"></i>no end recorded / nothing to do</span>"
         "<span>| batch</span></p>";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t n = DecodeUtf8(text, i, &cp);
    if (n == 0) {
      AppendUtf8(out, 0xFFFD);
      ++i;
      continue;
    }
    i += n;
    switch (cp) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out.push_back(static_cast<char>(cp));
        break;
      default:
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
          AppendUtf8(out, 0xFFFD);
        else
          AppendUtf8(out, cp);
    }
  }
  return out;
}

std::string FormatTime(int64_t micros) {
  if (micros == 0) return "";
  std::time_t secs =
      static_cast<std::time_t>(micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string FormatDuration(int64_t micros) {
  char buf[48];
  if (micros < 1000000)
    std::snprintf(buf, sizeof buf, "%.1f ms", static_cast<double>(micros) / 1000.0);
  else if (micros < 60 * 1000000LL)
    std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(micros) / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(micros / 60000000),
                  static_cast<long long>((micros / 1000000) % 60));
  return buf;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string RenderHtml(const Report& r, const RenderLimits& limits) {
  std::string out;
  out.reserve(4096 + r.migrations.size() * 420);
  // No network, no plugins, no frames; only this page's own script (by hash)
  // and its inline styles. An injected <script> would not run even if it
  // ever got past the escaping.
  const std::string script_hash = Base64(ledger::Sha256(kJs));
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
      "style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
      script_hash +
      "'; base-uri 'none'; form-action 'none'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"" +
      HtmlEscape(r.tool_version) + "\">\n<title>" + HtmlEscape(r.title) + "</title>\n<style>" +
      kCss + "</style></head>\n<body>\n<header id=\"summary\">\n";
  out += VerifyBanner(r);
  out += "<h1>" + HtmlEscape(r.title) + "</h1>\n<dl class=\"facts\"><dt>Target" +
         std::string(r.targets.size() > 1 ? "s" : "") + "</dt><dd id=\"targets\">";
  for (size_t i = 0; i < r.targets.size(); ++i)
    out += (i ? ", " : "") + HtmlEscape(r.targets[i].name);
  out +=
      "</dd><dt>Source</dt><dd>" + HtmlEscape(r.origin) + "</dd><dt>Period</dt><dd id=\"period\">";
  if (r.total_events)
    out += FormatTime(r.period_start) + " to " + FormatTime(r.period_end) + " UTC";
  else
    out += "no events";
  out += "</dd><dt>Events</dt><dd>" + Int(r.total_events) + " in " +
         Int(static_cast<int64_t>(r.runs.size())) + " run(s), " +
         Int(static_cast<int64_t>(r.migrations.size())) + " migration(s)</dd>" +
         "<dt>Generated</dt><dd>" + FormatTime(r.generated_at) + " UTC by " +
         HtmlEscape(r.tool_version) + "</dd></dl>\n";
  out += VerificationTable(r);
  out += BundleLine(r);
  out += "</header>\n";

  // The filters appear only when the script runs (hidden otherwise).
  out +=
      "<div id=\"filters\" class=\"noprint\" hidden>"
      "<label>From (UTC)<input type=\"date\" id=\"f-from\"></label>"
      "<label>To (UTC)<input type=\"date\" id=\"f-to\"></label>"
      "<label>Target<select id=\"f-target\">" +
      TargetOptions(r) +
      "</select></label><label>Outcome<select id=\"f-outcome\"><option value=\"\">all"
      "</option><option value=\"applied\">applied</option><option value=\"rolled_back\">"
      "rolled back</option><option value=\"failed\">failed</option></select></label>"
      "<button type=\"button\" id=\"f-reset\">Reset</button><span id=\"filter-count\">" +
      Int(static_cast<int64_t>(r.migrations.size())) + " migrations</span></div>\n";

  out += "<section id=\"timeline\"><h2>Runs over time</h2>" + Legend() + TimelineSvg(r, limits) +
         "</section>\n";
  out += "<section class=\"charts\"><div id=\"durations\"><h2>Duration per migration</h2>" +
         DurationSvg(r, limits) + "</div><div id=\"events-per-day\"><h2>Events per day</h2>" +
         EventsPerDaySvg(r, limits) + "</div></section>\n";
  out += "<section id=\"migrations\"><h2>Migrations</h2>" + MigrationTable(r) + "</section>\n";
  out += "<section id=\"failures\"><h2>Failures</h2>" + FailureTable(r) + "</section>\n";
  out +=
      "<footer>Times are UTC. The verification above recomputed every link of the hash chain "
      "(docs/ledger-format.md). The chain does not show a truncated tail: compare the head "
      "position and hash with a copy saved elsewhere.</footer>\n";
  out += "<script>";
  out += kJs;
  out += "</script>\n</body></html>\n";
  return out;
}

}  // namespace cairn::report

// The report model and HTML renderer on events built in memory: escaping,
// what the model folds (runs, batches, failures with file and line), the
// page's script policy, and the size of a report over 10,000 migrations.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>
#include <string>
#include <vector>

#include "cairn/base/hash.h"
#include "report/html_report.h"
#include "report/report_model.h"

namespace cairn::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kT0 = 1795256130000000LL;  // 2026-11-21 10:15:30 UTC
constexpr int64_t kSecond = 1000000;

// An EventReader over events held in memory: a sequence of events per
// stream plus a VerifyReport, whatever the reader behind a real report.
class MemorySource : public ledger::EventReader {
 public:
  std::string Origin() const override { return "memory"; }
  StatusOr<std::vector<std::string>> Streams() override { return targets; }
  Status Read(std::string_view stream, const ledger::ReadRange&,
              const ledger::EventFn& fn) override {
    for (const v1::Event& e : events)
      if (e.stream() == stream && !fn(e)) break;
    return read_status;
  }
  StatusOr<std::vector<v1::Event>> Follow(std::string_view, int64_t, int,
                                          std::chrono::milliseconds) override {
    return UnimplementedError("the report does not follow");
  }
  StatusOr<int64_t> ReadRecords(const std::vector<std::string>&, ledger::RecordSink&) override {
    return UnimplementedError("the report does not read records");
  }
  StatusOr<ledger::VerifyReport> Verify(std::string_view) override { return verify; }

  std::vector<std::string> targets = {"campus"};
  std::vector<v1::Event> events;
  ledger::VerifyReport verify;
  Status read_status;
};

// Appends events to a MemorySource with increasing positions and times.
class Recorder {
 public:
  explicit Recorder(MemorySource& src, std::string stream = "campus")
      : src_(src), stream_(std::move(stream)) {}

  v1::Event& Add(int64_t at) {
    v1::Event& e = src_.events.emplace_back();
    e.set_stream(stream_);
    e.set_position(++position_);
    e.set_event_id(ledger::NewUuid());
    e.set_run_id(run_id_);
    ledger::MicrosToTimestamp(at, e.mutable_recorded_at());
    e.mutable_actor()->set_user("alice");
    e.mutable_actor()->set_host("db1");
    return e;
  }
  void StartRun(int64_t at, v1::Direction d) {
    run_id_ = ledger::NewUuid();
    Add(at).mutable_run_started()->set_direction(d);
  }
  void FinishRun(int64_t at, v1::RunOutcome outcome) {
    Add(at).mutable_run_finished()->set_outcome(outcome);
  }
  void Started(int64_t at, const std::string& id, const std::string& description,
               v1::Direction d = v1::DIRECTION_UP) {
    auto* m = Add(at).mutable_migration_started();
    m->set_migration_id(id);
    m->set_description(description);
    m->set_checksum("sha256:" + std::string(64, 'c'));
    m->set_direction(d);
    m->set_storage_type(v1::STORAGE_TYPE_TABLE);
    m->set_file(id + "_x.sql");
  }
  void Committed(int64_t at, const std::string& id, int64_t duration) {
    auto* m = Add(at).mutable_migration_committed();
    m->set_migration_id(id);
    m->set_duration_micros(duration);
    m->set_direction(v1::DIRECTION_UP);
  }

 private:
  MemorySource& src_;
  std::string stream_;
  int64_t position_ = 0;
  std::string run_id_;
};

// One run applying `ids`, each started and committed: positions 1 to
// 1 + 2 * ids.size(), and one more for the RunFinished if `finish`.
void ApplyInOneRun(Recorder& rec, const std::vector<std::string>& ids, bool finish) {
  rec.StartRun(kT0, v1::DIRECTION_UP);
  int64_t at = kT0;
  for (const std::string& id : ids) {
    rec.Started(at++, id, "create " + id);
    rec.Committed(at++, id, 5);
  }
  if (finish) rec.FinishRun(at, v1::RUN_OUTCOME_SUCCEEDED);
}

// Everything a table row of `id` renders, or "" when there is none.
std::string RowOf(const std::string& html, const std::string& id) {
  std::regex row("<tr data-t=\"\\d+\" data-o=\"[a-z_]+\" data-d=\"-?\\d+\"[^>]*><td class=\"w\">" +
                 id + "</td>.*?</tr>");
  std::smatch m;
  return std::regex_search(html, m, row) ? m.str() : "";
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos;
       p = haystack.find(needle, p + needle.size()))
    ++n;
  return n;
}

TEST(ClientsReportEscape, MarkupBecomesText) {
  EXPECT_EQ(HtmlEscape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("a & \"b\" 'c'"), "a &amp; &quot;b&quot; &#39;c&#39;");
  EXPECT_EQ(HtmlEscape("é ✓ 😀"), "é ✓ 😀");
  EXPECT_EQ(HtmlEscape("line\nnext\ttab"), "line\nnext\ttab");
}

TEST(ClientsReportEscape, InvalidUtf8AndControlsBecomeReplacementCharacters) {
  EXPECT_EQ(HtmlEscape(std::string("a\xff"
                                   "b")),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(HtmlEscape(std::string("\xC0\xBC")), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '<'
  EXPECT_EQ(HtmlEscape(std::string("\xED\xA0\x80")),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_EQ(HtmlEscape(std::string("x\x01y", 3)), "x\xEF\xBF\xBDy");
  EXPECT_EQ(HtmlEscape(std::string("\xE2\x80", 2)), "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut short
}

TEST(ClientsReportFormat, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST(ClientsReportFormat, TimesAndDurations) {
  EXPECT_EQ(FormatTime(kT0), "2026-11-21 10:15:30");
  EXPECT_EQ(FormatTime(0), "");
  EXPECT_EQ(FormatDuration(1500), "1.5 ms");
  EXPECT_EQ(FormatDuration(2500000), "2.50 s");
  EXPECT_EQ(FormatDuration(185 * kSecond), "3 min 5 s");
  EXPECT_EQ(DayNumber(kT0), 20778);
  EXPECT_EQ(DayNumber(-1), -1);
}

TEST(ClientsReportModel, FoldsRunsBatchesAndFailures) {
  MemorySource src;
  Recorder rec(src);
  rec.StartRun(kT0, v1::DIRECTION_UP);
  rec.Started(kT0 + 1, "0001", "create users");
  rec.Committed(kT0 + 2, "0001", 1200);
  rec.Started(kT0 + 3, "0002", "backfill");
  for (int i = 1; i <= 3; ++i) {
    auto* b = rec.Add(kT0 + 3 + i * kSecond).mutable_batch_applied();
    b->set_migration_id("0002");
    b->set_batch_number(i);
  }
  rec.Committed(kT0 + 5 * kSecond, "0002", 4 * kSecond);
  rec.FinishRun(kT0 + 5 * kSecond, v1::RUN_OUTCOME_SUCCEEDED);

  rec.StartRun(kT0 + 60 * kSecond, v1::DIRECTION_UP);
  rec.Started(kT0 + 61 * kSecond, "0003", "broken");
  auto* f = rec.Add(kT0 + 61 * kSecond).mutable_migration_failed();
  f->set_migration_id("0003");
  f->set_direction(v1::DIRECTION_UP);
  f->set_error_message("no such table: nope");
  f->set_file("0003_broken.sql");
  f->set_line(10);
  f->set_statement("INSERT INTO nope VALUES (1)");
  rec.FinishRun(kT0 + 61 * kSecond, v1::RUN_OUTCOME_FAILED);

  rec.StartRun(kT0 + 86400 * kSecond, v1::DIRECTION_DOWN);
  rec.Started(kT0 + 86400 * kSecond, "0002", "backfill", v1::DIRECTION_DOWN);
  auto* rb = rec.Add(kT0 + 86401 * kSecond).mutable_migration_rolled_back();
  rb->set_migration_id("0002");
  rec.FinishRun(kT0 + 86401 * kSecond, v1::RUN_OUTCOME_SUCCEEDED);
  rec.StartRun(kT0 + 86500 * kSecond, v1::DIRECTION_UP);  // never finished: the process died

  auto built = BuildReport(src, src.targets, ReportOptions{});
  ASSERT_TRUE(built.ok()) << built.status().ToString();
  const Report& r = *built;
  EXPECT_EQ(r.total_events, static_cast<int64_t>(src.events.size()));
  EXPECT_EQ(r.period_start, kT0);
  EXPECT_EQ(r.period_end, kT0 + 86500 * kSecond);
  ASSERT_EQ(r.runs.size(), 4u);
  EXPECT_EQ(r.runs[0].kind, RunKind::kApplied);
  EXPECT_EQ(r.runs[0].migrations, 2);
  EXPECT_EQ(r.runs[0].batch_times.size(), 3u);
  EXPECT_EQ(r.runs[1].kind, RunKind::kFailed);
  EXPECT_EQ(r.runs[2].kind, RunKind::kRolledBack);
  EXPECT_EQ(r.runs[3].kind, RunKind::kOpen);
  EXPECT_EQ(r.runs[3].finished_at, 0);

  ASSERT_EQ(r.migrations.size(), 3u);
  EXPECT_EQ(r.migrations[0].id, "0001");
  EXPECT_EQ(r.migrations[0].state, "applied");
  EXPECT_EQ(r.migrations[0].duration_micros, 1200);
  EXPECT_EQ(r.migrations[0].applied_by, "alice@db1");
  EXPECT_EQ(r.migrations[1].state, "rolled_back");
  EXPECT_EQ(r.migrations[1].rolled_back_at, kT0 + 86401 * kSecond);
  EXPECT_EQ(r.migrations[1].rolled_back_by, "alice@db1");
  EXPECT_EQ(r.migrations[2].state, "failed");
  EXPECT_EQ(r.migrations[2].error, "no such table: nope");
  EXPECT_EQ(r.migrations[2].error_file, "0003_broken.sql");
  EXPECT_EQ(r.migrations[2].error_line, 10);
  ASSERT_EQ(r.failures.size(), 1u);
  EXPECT_EQ(r.failures[0].line, 10);
  // Two UTC days with events.
  EXPECT_EQ(r.events_per_day.size(), 2u);

  std::string html = RenderHtml(r);
  EXPECT_THAT(RowOf(html, "0003"), HasSubstr("0003_broken.sql:10: no such table: nope"));
  EXPECT_THAT(RowOf(html, "0002"), HasSubstr("rolled back"));
  EXPECT_THAT(html, HasSubstr("chain intact"));
  EXPECT_THAT(html, HasSubstr("data-bundle=\"not-checked\""));
  EXPECT_EQ(Count(html, "<g class=\"run k-"), 4u);
  // The three batches lie within one drawn unit of a timeline spanning a day.
  EXPECT_EQ(Count(html, "class=\"batch\""), 1u);
}

TEST(ClientsReportRender, LedgerStringsAreEscapedEverywhere) {
  const std::string evil = "<script>alert(1)</script>";
  MemorySource src;
  src.targets = {evil};
  Recorder rec(src, evil);
  rec.StartRun(kT0, v1::DIRECTION_UP);
  rec.Started(kT0, "0001", evil);
  rec.Committed(kT0 + 1, "0001", 5);
  auto* f = rec.Add(kT0 + 2).mutable_migration_failed();
  f->set_migration_id("0002");
  f->set_error_message(evil);
  f->set_file(evil);
  f->set_statement("\"</script><img src=x onerror=alert(2)>");
  rec.FinishRun(kT0 + 3, v1::RUN_OUTCOME_FAILED);

  ReportOptions options;
  options.title = "title " + evil;
  auto built = BuildReport(src, src.targets, options);
  ASSERT_TRUE(built.ok());
  std::string html = RenderHtml(*built);
  EXPECT_THAT(html, Not(HasSubstr(evil)));
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  // The page's own script is the only one, and the policy admits it by hash.
  EXPECT_EQ(Count(html, "<script"), 1u);
  size_t open = html.find("<script>"), close = html.find("</script>");
  ASSERT_NE(open, std::string::npos);
  std::string js = html.substr(open + 8, close - open - 8);
  EXPECT_THAT(html, HasSubstr("script-src 'sha256-" + Base64(ledger::Sha256(js)) + "'"));
  EXPECT_THAT(html, HasSubstr("default-src 'none'"));
  EXPECT_THAT(html, HasSubstr("@media print{"));
  // Nothing is loaded from anywhere.
  EXPECT_THAT(html, Not(HasSubstr("http://")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  // No element has a src attribute (escaped text may mention one).
  EXPECT_FALSE(std::regex_search(html, std::regex("<[a-zA-Z][^<>]*\\ssrc=")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, Not(HasSubstr("url(")));
}

TEST(ClientsReportRender, TamperedChainPutsABannerFirst) {
  MemorySource src;
  Recorder rec(src);
  ApplyInOneRun(rec, {"0001", "0002"}, /*finish=*/false);
  src.verify.ok = false;
  src.verify.first_bad_position = 4;
  src.verify.problem = "hash mismatch";
  src.verify.head.position = 3;
  auto built = BuildReport(src, src.targets, ReportOptions{});
  ASSERT_TRUE(built.ok());
  EXPECT_FALSE(built->AllVerified());
  std::string html = RenderHtml(*built);
  size_t banner = html.find("<div class=\"banner bad\" role=\"alert\" data-verify=\"failed\">");
  ASSERT_NE(banner, std::string::npos);
  EXPECT_LT(banner, html.find("<h1>"));
  EXPECT_THAT(html, HasSubstr("broken at position 4 (hash mismatch)"));
  EXPECT_THAT(html, HasSubstr("FAILED at position 4: hash mismatch"));
  // 0001 was last touched before the break, 0002 at it.
  EXPECT_THAT(RowOf(html, "0001"), Not(HasSubstr("untrusted")));
  EXPECT_THAT(RowOf(html, "0002"), HasSubstr("class=\"untrusted\""));
}

// A baseline or an accepted checksum is an event about its migration too:
// after the break, the migration's row cannot be trusted either.
TEST(ClientsReportRender, BaselinesAndAcceptedChecksumsAfterTheBreakAreUntrusted) {
  MemorySource src;
  Recorder rec(src);
  ApplyInOneRun(rec, {"0001", "0002", "0003"}, /*finish=*/true);             // positions 1 to 8
  rec.Add(kT0 + 7).mutable_checksum_accepted()->set_migration_id("0001");    // 9
  rec.Add(kT0 + 8).mutable_migration_baselined()->set_migration_id("0002");  // 10
  src.verify.ok = false;
  src.verify.first_bad_position = 9;
  src.verify.problem = "hash mismatch";
  src.verify.head.position = 10;
  auto built = BuildReport(src, src.targets, ReportOptions{});
  ASSERT_TRUE(built.ok());
  std::string html = RenderHtml(*built);
  EXPECT_THAT(RowOf(html, "0001"), HasSubstr("class=\"untrusted\""));
  EXPECT_THAT(RowOf(html, "0002"), HasSubstr("class=\"untrusted\""));
  EXPECT_THAT(RowOf(html, "0003"), Not(HasSubstr("untrusted")));
}

TEST(ClientsReportRender, UnreadableHistoryIsShownNotHidden) {
  MemorySource src;
  Recorder rec(src);
  rec.StartRun(kT0, v1::DIRECTION_UP);
  src.read_status = DataLossError("position 2: record does not decode");
  auto built = BuildReport(src, src.targets, ReportOptions{});
  ASSERT_TRUE(built.ok());
  EXPECT_THAT(built->targets[0].read_error, HasSubstr("does not decode"));
  EXPECT_THAT(RenderHtml(*built), HasSubstr("HISTORY INCOMPLETE"));
}

TEST(ClientsReportRender, TenThousandMigrationsStayUnderFiveMegabytes) {
  MemorySource src;
  Recorder rec(src);
  // 10,000 migrations, one run each, a failure every 100th, a day apart
  // every 1,000: the worst case for the timeline (10,000 runs).
  for (int i = 1; i <= 10000; ++i) {
    int64_t at = kT0 + static_cast<int64_t>(i) * 60 * kSecond;
    char id[8];
    std::snprintf(id, sizeof id, "%05d", i);
    rec.StartRun(at, v1::DIRECTION_UP);
    rec.Started(at, id, "create table number " + std::to_string(i));
    if (i % 100 == 0) {
      auto* f = rec.Add(at + kSecond).mutable_migration_failed();
      f->set_migration_id(id);
      f->set_error_message("no such table: t_" + std::to_string(i));
      f->set_file(std::string(id) + "_create.sql");
      f->set_line(3);
      f->set_statement("INSERT INTO t_" + std::to_string(i) + " VALUES (1)");
      rec.FinishRun(at + kSecond, v1::RUN_OUTCOME_FAILED);
    } else {
      rec.Committed(at + kSecond, id, 1000 + i);
      rec.FinishRun(at + kSecond, v1::RUN_OUTCOME_SUCCEEDED);
    }
  }
  auto built = BuildReport(src, src.targets, ReportOptions{});
  ASSERT_TRUE(built.ok());
  ASSERT_EQ(built->migrations.size(), 10000u);
  RenderLimits limits;
  std::string html = RenderHtml(*built, limits);
  EXPECT_LT(html.size(), 5u * 1000 * 1000) << html.size();
  // Every migration has its row; the drawings are downsampled.
  EXPECT_EQ(Count(html, "<tr data-t=\"0\" data-o="), 10000u + 100u);  // + failure rows
  EXPECT_LE(Count(html, "<g class=\"run"), 3 * 1000u);                // per drawn unit and outcome
  EXPECT_LE(Count(html, "class=\"dur\""), limits.max_duration_bars);
}

}  // namespace
}  // namespace cairn::report

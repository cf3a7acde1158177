// `cairn report` end to end, on both backends: a real ledger written by the
// cairn binary (migrate with a failing migration, rollback) plus a run
// appended through LedgerStore with a hostile description, rendered by
// `cairn report`, then opened by headless Chromium with no network access.
// The test reads the DOM Chromium built (after the page's script ran) and
// keeps a screenshot under the build directory (artifacts/).
//
// Chromium comes from Debian (scripts/install-deps.sh). Without it these
// tests skip with a reason, unless CAIRN_REQUIRE_PG=1 (the mode of
// scripts/test.sh and CI), where they fail.
#include <gmock/gmock.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

#include "cairn/base/hash.h"
#include "cairn/store/store.h"
#include "tests/ledger/ledger_test_util.h"
#include "tests/runner/runner_test_util.h"
#include "tests/service/service_test_util.h"

#ifndef CAIRN_ARTIFACT_DIR
#error "CAIRN_ARTIFACT_DIR must name the directory for kept screenshots"
#endif

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kEvil = "<script>alert(1)</script>";

// $CAIRN_CHROMIUM if set, else chromium on PATH (absolute path); "" when
// there is no executable.
std::string FindChromium() {
  if (const char* c = std::getenv("CAIRN_CHROMIUM"); c && *c)
    return ::access(c, X_OK) == 0 ? c : "";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      std::string p = dir + "/" + name;
      if (::access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return "";
}

// Runs Chromium headless on file `html` with every network request refused
// (a dead proxy and a resolver that finds nothing), bounded by timeout(1).
ProcessResult Chromium(const std::string& chromium, const TempDir& profile,
                       const std::vector<std::string>& mode, const std::string& html) {
  std::vector<std::string> argv = {"/usr/bin/timeout",
                                   "-k",
                                   "5",
                                   "90",
                                   chromium,
                                   "--headless",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--disable-extensions",
                                   "--disable-background-networking",
                                   "--proxy-server=127.0.0.1:9",
                                   "--host-resolver-rules=MAP * ~NOTFOUND",
                                   "--user-data-dir=" + profile.path()};
  argv.insert(argv.end(), mode.begin(), mode.end());
  argv.push_back("file://" + html);
  return RunProcess(argv);
}

// The rows of the migration table in the DOM, keyed by migration id.
std::map<std::string, std::string> MigrationRows(const std::string& dom) {
  std::map<std::string, std::string> rows;
  // The table is a header and chunks of rows inside one container.
  size_t table = dom.find("<div id=\"migration-table\">");
  if (table == std::string::npos) return rows;
  size_t end = dom.find("</section>", table);
  std::string body = dom.substr(table, end - table);
  std::regex row(
      R"(<tr data-t="\d+" data-o="[a-z_]+" data-d="-?\d+"[^>]*><td class="w">([^<]*)</td>.*?</tr>)");
  for (auto it = std::sregex_iterator(body.begin(), body.end(), row); it != std::sregex_iterator();
       ++it)
    rows[(*it)[1]] = (*it)[0];
  return rows;
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos;
       p = haystack.find(needle, p + needle.size()))
    ++n;
  return n;
}

uint32_t BigEndian32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

class ClientsReportBrowserTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    chromium_ = FindChromium();
    if (chromium_.empty()) {
      const char* req = std::getenv("CAIRN_REQUIRE_PG");
      if (req != nullptr && std::string(req) == "1")
        FAIL() << "chromium is not installed (scripts/install-deps.sh installs it) and "
                  "CAIRN_REQUIRE_PG=1 requires the browser tests to run";
      GTEST_SKIP() << "chromium not found on PATH: install it (scripts/install-deps.sh)";
    }
    tdb_ = TestDatabase::Create(GetParam());
  }

  ProcessResult Cairn(const std::vector<std::string>& args) {
    return RunCairn(tdb_->url(), dir_.File("migrations"), args);
  }

  // A ledger with every kind of row: applied, rolled back, failed (its error
  // carries markup too), and a migration described by kEvil with batches.
  void WriteHistory() {
    std::filesystem::create_directories(dir_.File("migrations"));
    WriteFile(dir_.File("migrations/0001_create_users.sql"),
              "-- cairn:up\nCREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n"
              "-- cairn:down\nDROP TABLE users;\n");
    WriteFile(dir_.File("migrations/0002_create_courses.sql"),
              "-- cairn:up\nCREATE TABLE courses (id INTEGER PRIMARY KEY);\n"
              "-- cairn:down\nDROP TABLE courses;\n");
    WriteFile(dir_.File("migrations/0003_enroll.sql"),
              "-- cairn:up\n"                                  // 1
              "CREATE TABLE enrollments (user_id INTEGER);\n"  // 2
              "\n"                                             // 3
              "INSERT INTO \"" +
                  kEvil +
                  "\" VALUES (1);\n"  // 4: no such table
                  "-- cairn:down\nDROP TABLE enrollments;\n");
    ProcessResult r = Cairn({"migrate"});
    ASSERT_EQ(r.exit_code, 1) << r.out << r.err;  // 0001 and 0002 applied, 0003 failed
    r = Cairn({"rollback", "--steps", "1"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;  // 0002 rolled back

    r = Cairn({"verify", "--json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    stream_ = json::parse(r.out)["stream"];

    // A run recorded the way a C++ data migration records it: through the
    // LedgerStore, with a description no file name could carry.
    auto conn = tdb_->Connect();
    auto store = ledger::LedgerStore::For(*conn);
    auto tx = conn->Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    const std::string run_id = ledger::NewUuid();
    auto event = [&] {
      v1::Event e;
      e.set_stream(stream_);
      e.set_run_id(run_id);
      e.mutable_actor()->set_user("mallory");
      e.mutable_actor()->set_host("ops");
      return e;
    };
    std::vector<v1::Event> events;
    events.push_back(event());
    events.back().mutable_run_started()->set_direction(v1::DIRECTION_UP);
    events.push_back(event());
    auto* ms = events.back().mutable_migration_started();
    ms->set_migration_id("0100");
    ms->set_description(kEvil);
    ms->set_checksum("sha256:" + std::string(64, 'e'));
    ms->set_direction(v1::DIRECTION_UP);
    ms->set_storage_type(v1::STORAGE_TYPE_DOCUMENT);
    for (int i = 1; i <= 3; ++i) {
      events.push_back(event());
      auto* b = events.back().mutable_batch_applied();
      b->set_migration_id("0100");
      b->set_batch_number(i);
      b->set_rows(100);
    }
    events.push_back(event());
    events.back().mutable_migration_committed()->set_migration_id("0100");
    events.back().mutable_migration_committed()->set_duration_micros(2500);
    events.push_back(event());
    events.back().mutable_run_finished()->set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
    for (const v1::Event& e : events) {
      auto appended = store->Append(**tx, e);
      ASSERT_TRUE(appended.ok()) << appended.status().ToString();
    }
    ASSERT_TRUE((*tx)->Commit().ok());
  }

  // Drops the append-only triggers and changes one byte of the record of
  // the event at `position`, as the database's owner could.
  void Tamper(int64_t position) {
    auto conn = tdb_->Connect();
    if (conn->backend() == db::Backend::kSqlite) {
      ASSERT_TRUE(
          conn->ExecuteScript("DROP TRIGGER cairn_ledger_no_update;", nullptr, nullptr).ok());
    } else {
      ASSERT_TRUE(conn->Execute("ALTER TABLE cairn_ledger DISABLE TRIGGER USER").ok());
    }
    auto rows = RawRows(*conn, stream_);
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    std::string record = rows->at(static_cast<size_t>(position - 1)).record;
    size_t at = record.find("create users");
    ASSERT_NE(at, std::string::npos) << "position " << position << " is not 0001's start";
    record[at + 11] = 'z';  // "create userz": still a valid record
    auto changed =
        conn->Execute("UPDATE cairn_ledger SET record = $1 WHERE stream = $2 AND position = $3",
                      {db::Value(db::Bytes{record}), db::Value(stream_), db::Value(position)});
    ASSERT_TRUE(changed.ok()) << changed.status().ToString();
    ASSERT_EQ(*changed, 1);
  }

  // WriteHistory, a key pair (key, key.pub) and the ledger exported as the
  // signed bundle a.bundle.
  void WriteHistoryAndBundle() {
    ASSERT_NO_FATAL_FAILURE(WriteHistory());
    ASSERT_EQ(RunProcess({CairnBinary(), "keygen", "--out", dir_.File("key")}).exit_code, 0);
    ASSERT_EQ(Cairn({"export", "--format", "bundle", "--key", dir_.File("key"), "--out",
                     dir_.File("a.bundle")})
                  .exit_code,
              0);
  }

  std::string DumpDom(const std::string& html) {
    TempDir profile;
    ProcessResult r = Chromium(chromium_, profile, {"--dump-dom"}, html);
    EXPECT_EQ(r.exit_code, 0) << "chromium: " << r.err.substr(0, 4000);
    return r.out;
  }

  std::string chromium_;
  std::unique_ptr<TestDatabase> tdb_;
  TempDir dir_;
  std::string stream_;
};

TEST_P(ClientsReportBrowserTest, ChromiumShowsRowsVerificationAndEscapedText) {
  if (!tdb_) return;
  ASSERT_NO_FATAL_FAILURE(WriteHistory());
  const std::string html = dir_.File("report.html");
  ProcessResult r = Cairn({"report", "--out", html, "--title", "Campus audit"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote " + html + ": 4 migration(s)"));

  const std::string dom = DumpDom(html);
  ASSERT_THAT(dom, HasSubstr("<h1>Campus audit</h1>"));

  // The rows, as the browser parsed them.
  auto rows = MigrationRows(dom);
  ASSERT_EQ(rows.size(), 4u) << dom.substr(0, 20000);
  EXPECT_THAT(rows["0001"], HasSubstr("data-o=\"applied\""));
  EXPECT_THAT(rows["0001"], HasSubstr("create users"));
  EXPECT_THAT(rows["0001"], HasSubstr("sha256:"));
  EXPECT_THAT(rows["0002"], HasSubstr("data-o=\"rolled_back\""));
  EXPECT_THAT(rows["0002"], HasSubstr("rolled back"));
  EXPECT_THAT(rows["0003"], HasSubstr("data-o=\"failed\""));
  EXPECT_THAT(rows["0003"], HasSubstr("0003_enroll.sql:4: "));
  EXPECT_THAT(rows["0100"], HasSubstr("document"));
  EXPECT_THAT(rows["0100"], HasSubstr("mallory@ops"));

  // The hostile strings are text: escaped in the DOM, no element made of them.
  EXPECT_THAT(rows["0100"], HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(rows["0003"], HasSubstr("&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_THAT(dom, Not(HasSubstr(kEvil)));
  EXPECT_EQ(Count(dom, "<script"), 1u);  // the page's own filter script only

  // The verification result, and the page's script ran (the filter counter
  // is written by it; the policy admits the script by its hash).
  auto verify = RunCairn(tdb_->url(), dir_.path(), {"verify", "--json"});
  json v = json::parse(verify.out);
  EXPECT_THAT(dom, HasSubstr("<tr data-verify=\"ok\">"));
  EXPECT_THAT(dom, HasSubstr("chain intact"));
  EXPECT_THAT(dom, HasSubstr("<td class=\"n\">" + std::to_string(v["head"]["position"].get<int>()) +
                             "</td><td class=\"k\">" + v["head"]["hash"].get<std::string>()));
  EXPECT_THAT(dom, Not(HasSubstr("data-verify=\"failed\"")));
  EXPECT_THAT(dom, HasSubstr("4 of 4 migrations shown"));
  EXPECT_THAT(dom, HasSubstr("data-bundle=\"not-checked\""));
  // The timeline: a failed, a rolled-back and two applied runs; three batch ticks.
  EXPECT_EQ(Count(dom, "<g class=\"run k-failed\""), 1u);
  EXPECT_EQ(Count(dom, "<g class=\"run k-rolled_back\""), 1u);
  EXPECT_EQ(Count(dom, "<g class=\"run k-applied\""), 1u);
  EXPECT_GE(Count(dom, "class=\"batch\""), 1u);

  // The filters, preset from the link's fragment, run in the browser.
  const std::string failed_only = DumpDom(html + "#outcome=failed");
  EXPECT_THAT(failed_only, HasSubstr("1 of 4 migrations shown"));
  auto filtered = MigrationRows(failed_only);
  EXPECT_THAT(filtered["0001"], HasSubstr("display: none"));
  EXPECT_THAT(filtered["0003"], Not(HasSubstr("display: none")));
  EXPECT_THAT(DumpDom(html + "#from=2001-01-01&to=2001-12-31"),
              HasSubstr("0 of 4 migrations shown"));

  // A screenshot, kept as an artifact of the test run.
  std::filesystem::create_directories(CAIRN_ARTIFACT_DIR);
  const std::string png = std::string(CAIRN_ARTIFACT_DIR) + "/report-" +
                          std::string(db::BackendName(GetParam())) + ".png";
  std::filesystem::remove(png);
  TempDir profile;
  ProcessResult shot =
      Chromium(chromium_, profile, {"--screenshot=" + png, "--window-size=1280,2000"}, html);
  ASSERT_EQ(shot.exit_code, 0) << shot.err.substr(0, 4000);
  const std::string bytes = ReadFileOrDie(png);
  ASSERT_GT(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(bytes.substr(12, 4), "IHDR");
  EXPECT_EQ(BigEndian32(bytes, 16), 1280u);  // width
  EXPECT_EQ(BigEndian32(bytes, 20), 2000u);  // height
  // A blank page compresses to a few kilobytes; this one has text and charts.
  EXPECT_GT(bytes.size(), 30000u) << png;
}

TEST_P(ClientsReportBrowserTest, ChromiumShowsATamperedLedgerProminently) {
  if (!tdb_) return;
  ASSERT_NO_FATAL_FAILURE(WriteHistory());
  // Position 2 is 0001's MigrationStarted (1 is the first RunStarted).
  ASSERT_NO_FATAL_FAILURE(Tamper(2));
  const std::string html = dir_.File("tampered.html");
  ProcessResult r = Cairn({"report", "--out", html});
  EXPECT_EQ(r.exit_code, 5) << r.out << r.err;  // written, and verification failed
  EXPECT_THAT(r.err, HasSubstr("verification FAILED"));

  const std::string dom = DumpDom(html);
  // The banner is the first thing in the page, before the title.
  size_t banner = dom.find("<div class=\"banner bad\" role=\"alert\" data-verify=\"failed\">");
  ASSERT_NE(banner, std::string::npos) << dom.substr(0, 4000);
  EXPECT_LT(banner, dom.find("<h1>"));
  EXPECT_THAT(dom.substr(banner, 600), HasSubstr("LEDGER VERIFICATION FAILED"));
  EXPECT_THAT(dom.substr(banner, 600), HasSubstr("broken at position 2 (hash mismatch"));
  EXPECT_THAT(dom, HasSubstr("<tr data-verify=\"failed\">"));
  EXPECT_THAT(dom, HasSubstr("FAILED at position 2: hash mismatch"));
  EXPECT_THAT(dom, Not(HasSubstr("chain intact")));
  // The forged text is shown as read, and its row marked untrusted.
  auto rows = MigrationRows(dom);
  EXPECT_THAT(rows["0001"], HasSubstr("create userz"));
  EXPECT_THAT(rows["0001"], HasSubstr("class=\"untrusted\""));
}

// The page with the two things that differ between two runs over the same
// events blanked: where the events came from and when it was generated.
std::string WithoutSourceAndTime(const std::string& html) {
  static const std::regex source(R"(<dt>Source</dt><dd>[^<]*</dd>)");
  static const std::regex generated(R"(<dt>Generated</dt><dd>[^<]*)");
  return std::regex_replace(std::regex_replace(html, source, "<dt>Source</dt><dd></dd>"), generated,
                            "<dt>Generated</dt><dd>");
}

TEST_P(ClientsReportBrowserTest, ChromiumShowsTheSamePageThroughTheServer) {
  if (!tdb_) return;
  ASSERT_NO_FATAL_FAILURE(WriteHistory());
  ServerProcess server({"--database", tdb_->url(), "--tokens-file", WriteTokens(dir_)});
  ASSERT_TRUE(server.Start());
  const std::string direct = dir_.File("direct.html"), remote = dir_.File("remote.html");
  ProcessResult d = Cairn({"report", "--out", direct});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  ProcessResult r = RunProcess({CairnBinary(), "report", "--out", remote, "--stream", stream_,
                                "--server", server.address(), "--token", kReaderToken},
                               {{"DATABASE_URL", ""}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wrote " + remote + ": 4 migration(s)"));
  // The same page, but for the source line and the generation time.
  const std::string remote_html = ReadFileOrDie(remote);
  EXPECT_THAT(remote_html, HasSubstr("<dt>Source</dt><dd>grpc://" + server.address() + "</dd>"));
  EXPECT_EQ(WithoutSourceAndTime(remote_html), WithoutSourceAndTime(ReadFileOrDie(direct)));

  const std::string dom = DumpDom(remote);
  auto rows = MigrationRows(dom);
  ASSERT_EQ(rows.size(), 4u) << dom.substr(0, 20000);
  EXPECT_EQ(rows, MigrationRows(DumpDom(direct)));
  EXPECT_THAT(dom, HasSubstr("<tr data-verify=\"ok\">"));
  EXPECT_THAT(dom, HasSubstr("data-bundle=\"not-checked\""));

  // Refused: a wrong token, a server that is gone. One line each.
  auto one_line = [](const ProcessResult& p) {
    return Count(p.err, "\n") == 1 && p.err.rfind("cairn: error: ", 0) == 0;
  };
  ProcessResult denied = RunProcess({CairnBinary(), "report", "--out", dir_.File("x.html"),
                                     "--server", server.address(), "--token", "wrong"},
                                    {{"DATABASE_URL", ""}});
  EXPECT_EQ(denied.exit_code, 19) << denied.err;
  EXPECT_TRUE(one_line(denied)) << denied.err;
  server.Kill(SIGKILL);
  ProcessResult down = RunProcess({CairnBinary(), "report", "--out", dir_.File("x.html"),
                                   "--server", server.address(), "--token", kReaderToken},
                                  {{"DATABASE_URL", ""}});
  EXPECT_EQ(down.exit_code, 4) << down.err;
  EXPECT_TRUE(one_line(down)) << down.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("x.html")));
}

TEST_P(ClientsReportBrowserTest, ChromiumShowsAValidBundleSignature) {
  if (!tdb_) return;
  ASSERT_NO_FATAL_FAILURE(WriteHistoryAndBundle());
  const std::string direct = dir_.File("direct.html");
  ASSERT_EQ(Cairn({"report", "--out", direct}).exit_code, 0);
  const auto direct_rows = MigrationRows(DumpDom(direct));

  // From the bundle alone, offline: the same rows, the chain, the signature.
  const std::string alone = dir_.File("bundle.html");
  ProcessResult r = RunProcess({CairnBinary(), "report", "--out", alone, "--bundle",
                                dir_.File("a.bundle"), "--pubkey", dir_.File("key.pub")},
                               {{"DATABASE_URL", ""}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string dom = DumpDom(alone);
  EXPECT_THAT(dom, HasSubstr("<span data-bundle=\"valid\" class=\"res-ok\">signature valid"));
  EXPECT_THAT(dom, Not(HasSubstr("BUNDLE SIGNATURE INVALID")));
  EXPECT_THAT(dom, HasSubstr("<tr data-verify=\"ok\">"));
  EXPECT_EQ(MigrationRows(dom), direct_rows);
  EXPECT_THAT(dom, HasSubstr("<dt>Source</dt><dd>bundle " + dir_.File("a.bundle")));

  // Beside the database: the database's events, the bundle's signature.
  const std::string beside = dir_.File("beside.html");
  r = Cairn({"report", "--out", beside, "--bundle", dir_.File("a.bundle"), "--pubkey",
             dir_.File("key.pub")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  dom = DumpDom(beside);
  EXPECT_THAT(dom, HasSubstr("data-bundle=\"valid\""));
  EXPECT_EQ(MigrationRows(dom), direct_rows);
}

TEST_P(ClientsReportBrowserTest, ChromiumShowsAnInvalidBundleProminently) {
  if (!tdb_) return;
  ASSERT_NO_FATAL_FAILURE(WriteHistoryAndBundle());
  // One changed record: 0001's description in its MigrationStarted (position 2).
  std::string bytes = ReadFileOrDie(dir_.File("a.bundle"));
  size_t at = bytes.find("create users");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 11] = 'z';
  WriteFile(dir_.File("changed.bundle"), bytes);

  auto expect_banner = [&](const std::string& dom) {
    size_t banner = dom.find("<div class=\"banner bad\" role=\"alert\" data-bundle=\"invalid\">");
    ASSERT_NE(banner, std::string::npos) << dom.substr(0, 4000);
    EXPECT_LT(banner, dom.find("<h1>"));  // before the title, like the tamper banner
    EXPECT_THAT(dom.substr(banner, 600), HasSubstr("BUNDLE SIGNATURE INVALID"));
    EXPECT_THAT(dom.substr(banner, 600), HasSubstr("position 2: hash mismatch"));
    EXPECT_THAT(dom,
                HasSubstr("<span data-bundle=\"invalid\" class=\"res-bad\">signature INVALID"));
    EXPECT_THAT(dom, Not(HasSubstr("signature valid")));
  };
  const std::string alone = dir_.File("alone.html");
  ProcessResult r = RunProcess({CairnBinary(), "report", "--out", alone, "--bundle",
                                dir_.File("changed.bundle"), "--pubkey", dir_.File("key.pub")},
                               {{"DATABASE_URL", ""}});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_THAT(r.err, HasSubstr("signature INVALID"));
  std::string dom = DumpDom(alone);
  ASSERT_NO_FATAL_FAILURE(expect_banner(dom));
  // The bundle's chain breaks at the changed record; what came before shows.
  EXPECT_THAT(dom, HasSubstr("FAILED at position 2: hash mismatch"));

  const std::string beside = dir_.File("beside.html");
  r = Cairn({"report", "--out", beside, "--bundle", dir_.File("changed.bundle"), "--pubkey",
             dir_.File("key.pub")});
  EXPECT_EQ(r.exit_code, 5) << r.err;
  dom = DumpDom(beside);
  ASSERT_NO_FATAL_FAILURE(expect_banner(dom));
  EXPECT_THAT(dom, HasSubstr("<tr data-verify=\"ok\">"));  // the database itself is intact
}

INSTANTIATE_TEST_SUITE_P(Backends, ClientsReportBrowserTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

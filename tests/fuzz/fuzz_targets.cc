#include "tests/fuzz/fuzz_targets.h"

#include <google/protobuf/stubs/logging.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cairn/base/hash.h"
#include "cairn/db/database.h"
#include "cairn/db/sql_splitter.h"
#include "cairn/runner/migration.h"
#include "cairn/store/anchor.h"
#include "cairn/store/state.h"
#include "cairn/store/store.h"
#include "cairn/v1/events.pb.h"

namespace cairn::fuzz {
namespace {

std::string_view current_input;

// Aborts with `what` and the input (C-escaped) when a property does not hold.
void Check(bool ok, const char* target, const std::string& what) {
  if (ok) return;
  std::string escaped;
  for (unsigned char c : current_input) {
    char buf[8];
    if (c == '\\' || c == '"') {
      escaped += '\\';
      escaped += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      escaped += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02x\"\"", c);
      escaped += buf;
    }
  }
  std::fprintf(stderr, "fuzz target %s: property violated: %s\ninput: \"%s\"\n", target,
               what.c_str(), escaped.c_str());
  std::abort();
}

std::string ToCrlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace

void SetCurrentInput(std::string_view data) { current_input = data; }

void FuzzMigrationFile(std::string_view data) {
  const std::string path = "migrations/0007_fuzz.sql";
  auto m = runner::ParseMigration(path, "0007_fuzz.sql", data);
  if (!m.ok()) {
    // Errors name the file.
    Check(m.status().message().find(path) != std::string::npos, "migration",
          "error does not name the file: " + m.status().message());
    return;
  }
  Check(m->id == "0007", "migration", "id is " + m->id);
  Check(m->checksum == runner::CanonicalChecksum(data), "migration", "checksum differs");
  Check(m->up.first_line >= 1, "migration", "up section starts before line 1");
  if (m->down) Check(m->down->first_line > m->up.first_line, "migration", "down before up");
  // Line endings do not change the checksum (when the file has no bare CR
  // already, converting LF to CRLF is a pure line-ending change).
  if (data.find('\r') == std::string_view::npos)
    Check(runner::CanonicalChecksum(ToCrlf(data)) == m->checksum, "migration",
          "checksum depends on line endings");
}

void FuzzSqlSplitter(std::string_view data) {
  size_t last_end = 0;
  for (const db::SqlStatement& st : db::SplitSqlStatements(data)) {
    Check(st.offset >= last_end, "splitter", "statements overlap or go backwards");
    Check(st.offset + st.text.size() <= data.size(), "splitter", "statement runs past the end");
    Check(!st.text.empty(), "splitter", "empty statement returned");
    Check(st.text.data() == data.data() + st.offset, "splitter", "text is not at its offset");
    last_end = st.offset + st.text.size();
  }
}

void FuzzDatabaseUrl(std::string_view data) {
  auto url = db::ParseDatabaseUrl(data);
  if (!url.ok()) {
    Check(url.status().code() == StatusCode::kInvalidArgument, "url",
          "error is not kInvalidArgument: " + url.status().ToString());
    return;
  }
  if (url->backend == db::Backend::kSqlite) {
    Check(!url->sqlite_path.empty(), "url", "sqlite URL without a path");
    return;
  }
  // A password never survives into the redacted form: read the redacted URL
  // as libpq reads user info (up to the last '@' before the first '/' after
  // "://"); its password part, if any, is "***".
  const std::string& r = url->redacted;
  size_t scheme = r.find("://");
  Check(scheme != std::string::npos, "url", "postgres URL without '://' accepted: " + r);
  std::string_view rest = std::string_view(r).substr(scheme + 3);
  size_t at = rest.substr(0, rest.find('/')).rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos)
      Check(userinfo.substr(colon + 1) == "***", "url", "password visible in " + r);
  }
}

void FuzzLedgerRecord(std::string_view data) {
  // Invalid UTF-8 in string fields is an expected parse failure here, not
  // something to log a million times.
  static const bool quiet = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)quiet;
  // Decoding and replay: any bytes that decode fold without crashing.
  v1::Event e;
  if (e.ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    ledger::StateBuilder builder("fuzz");
    builder.Apply(e);
    builder.Apply(e);  // the same event twice: replay must not assume uniqueness
    (void)builder.state().CurrentVersion();
  }

  // Verification: a two-event ledger whose second row carries the bytes as
  // its record, with a consistent hash, so every check runs on them.
  static std::unique_ptr<db::Connection> conn = [] {
    auto url = db::ParseDatabaseUrl("sqlite::memory:");
    auto c = db::Connection::Open(*url);
    Check(c.ok(), "record", "cannot open an in-memory SQLite database");
    auto store = ledger::LedgerStore::For(**c);
    Check(store->EnsureSchema().ok(), "record", "cannot create the ledger");
    auto tx = (*c)->Begin();
    v1::Event first;
    first.set_stream("fuzz");
    first.mutable_run_started()->set_command_line("fuzz");
    Check(store->Append(**tx, first).ok(), "record", "cannot append");
    Check((*tx)->Commit().ok(), "record", "cannot commit");
    // Fuzzed rows are removed again after each input.
    Check((*c)->ExecuteScript("DROP TRIGGER cairn_ledger_no_delete;", nullptr, nullptr).ok(),
          "record", "cannot drop the delete trigger");
    return std::move(*c);
  }();
  auto store = ledger::LedgerStore::For(*conn);
  auto head = store->GetHead("fuzz");
  Check(head.ok() && head->position == 1, "record", "unexpected head");
  const std::string record(data);
  const std::string hash = ledger::RecordHash("fuzz", 2, head->hash, record);
  auto ins = conn->Execute(
      "INSERT INTO cairn_ledger (stream, position, event_id, event_type, recorded_at, record, "
      "prev_hash, hash) VALUES ('fuzz', 2, $1, $2, $3, $4, $5, $6)",
      {db::Value(e.event_id().empty() ? std::string("fuzz-event") : e.event_id()),
       db::Value(ledger::EventTypeName(e)), db::Value(ledger::TimestampToMicros(e.recorded_at())),
       db::Value(db::Bytes{record}), db::Value(db::Bytes{head->hash}), db::Value(db::Bytes{hash})});
  if (ins.ok()) {
    auto report = store->Verify("fuzz");
    Check(report.ok(), "record", "Verify could not run: " + report.status().ToString());
    // Either the bytes are a record that agrees with its row, or position 2 is reported.
    Check(report->ok || report->first_bad_position == 2, "record",
          "bad position " + std::to_string(report->first_bad_position));
    if (report->ok) Check(report->head.position == 2, "record", "record accepted but head != 2");
    auto state = ledger::ReplayStream(*store, "fuzz");
    Check(state.ok() || !report->ok, "record", "a verified ledger does not replay");
  }
  Check(conn->Execute("DELETE FROM cairn_ledger WHERE position = 2").ok(), "record",
        "cannot remove the fuzzed row");
}

void FuzzAnchor(std::string_view data) {
  auto a = ledger::ParseAnchorFile(data);
  if (a.ok()) {
    Check(a->position >= 0 && a->hash.size() == ledger::kHashSize, "anchor", "bad anchor fields");
    auto again = ledger::ParseAnchorFile(ledger::FormatAnchorFile(*a));
    Check(again.ok() && again->position == a->position && again->hash == a->hash &&
              again->stream == a->stream,
          "anchor", "anchor file does not round-trip");
  }
  auto h = ledger::ParseExpectHead(data);
  if (h.ok()) Check(h->hash.size() == ledger::kHashSize, "anchor", "hash is not 32 bytes");
}

const std::vector<Target>& Targets() {
  static const std::vector<Target> targets = {
      {"migration_file",
       FuzzMigrationFile,
       {"-- cairn:up\nCREATE TABLE t (id INT);\n-- cairn:down\nDROP TABLE t;\n",
        "-- a comment\n-- cairn:up\nINSERT INTO t VALUES ('a;b');\n",
        "-- cairn:up\r\nSELECT 1;\r\n-- cairn:down\r\nSELECT 2;\r\n",
        "-- cairn:up\nDO $$ BEGIN PERFORM 1; END $$;\n-- cairn:down\n",
        "-- cairn:up\n/* BEGIN; */ SELECT 'COMMIT';\n-- cairn:down\nROLLBACK;\n"},
       {"-- cairn:up\n", "-- cairn:down\n", "-- cairn:", "BEGIN;", "COMMIT;", "ROLLBACK", "$$",
        "/*", "*/", "'", "\"", "\r\n", "\n", ";", "--", " \t"}},
      {"sql_splitter",
       FuzzSqlSplitter,
       {"SELECT 1; SELECT 2;", "INSERT INTO t VALUES ('a;b', E'c\\'d;', \"x;y\");",
        "DO $tag$ BEGIN ; END $tag$; SELECT $$;$$;", "/* a /* nested ; */ ; */ SELECT 1;",
        "-- comment ;\nSELECT 1"},
       {"$$", "$a$", "'", "E'", "\\'", "\"", "/*", "*/", "--", "\n", ";", " "}},
      {"database_url",
       FuzzDatabaseUrl,
       {"sqlite:campus.db", "sqlite:///tmp/x.db", "sqlite::memory:", "sqlite://rel/x.sqlite",
        "postgres://alice:s3cret-pw@db.example:5432/campus?sslmode=require",
        "postgresql://localhost/campus", "postgres://u@[::1]:5432/d",
        // Found by this fuzzer: a '?' before the '@' hid the password from redaction.
        "postgres://alic?e:s3cret-pw@db.example:543]2/campus?sslmode=zequire"},
       {"postgres://", "postgresql://", "sqlite:", "sqlite://", "@", ":", "/", "?", "&", "=", "%",
        "%40", "[", "]", "secretpw"}},
      {"ledger_record",
       FuzzLedgerRecord,
       {std::string("\x0a\x06\x63\x61\x6d\x70\x75\x73", 8),
        [] {
          v1::Event e;
          e.set_stream("fuzz");
          e.set_position(2);
          e.set_event_id("00000000-0000-4000-8000-000000000002");
          e.mutable_migration_committed()->set_migration_id("0001");
          return e.SerializeAsString();
        }(),
        [] {
          v1::Event e;
          e.set_stream("fuzz");
          e.mutable_migration_started()->set_migration_id("0002");
          e.mutable_migration_started()->set_direction(v1::DIRECTION_DOWN);
          return e.SerializeAsString();
        }()},
       {std::string("\x0a\x04", 2) + "fuzz", std::string("\x10\x02", 2), std::string("\xff", 1),
        std::string("\x80\x80\x80\x80", 4)},
       4000},  // each input is a SQLite insert, verify and replay
      {"anchor",
       FuzzAnchor,
       {"cairn-anchor-v1 12 " + std::string(64, 'a') + " campus\n",
        "cairn-anchor-v1 0 " + std::string(64, '0') + " a stream with spaces\n",
        "42:" + std::string(64, 'F')},
       {"cairn-anchor-v1 ", " ", "\n", ":", "0", "9223372036854775807", "99999999999999999999", "-",
        "+", std::string(64, 'f')}},
  };
  return targets;
}

}  // namespace cairn::fuzz

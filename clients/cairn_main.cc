// cairn: the command-line client. Exit codes are listed in README.md and
// defined in cairn/runner/runner.h; Status codes map to them in ExitFor().
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cairn/ledger/hash.h"
#include "cairn/runner/runner.h"

namespace {

using cairn::Status;
using cairn::StatusCode;
using namespace cairn::runner;
namespace v1 = cairn::v1;
using nlohmann::json;

// The one place where a Status becomes an exit code.
int ExitFor(const Status& s, bool connecting) {
  if (s.ok()) return kExitOk;
  if (connecting) return kExitDatabase;
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kFailedPrecondition:
      return kExitInvalidMigrations;
    case StatusCode::kUnavailable:
    case StatusCode::kPermissionDenied:
    case StatusCode::kResourceExhausted:
      return kExitDatabase;
    case StatusCode::kDataLoss:
      return kExitVerifyFailed;
    case StatusCode::kAborted:
      return kExitConflict;
    default:
      return kExitInternal;
  }
}

int Fail(const Status& s, bool connecting = false) {
  std::string m = s.message();
  // One error per line, each prefixed, so scripts can grep them.
  size_t start = 0;
  while (start <= m.size()) {
    size_t nl = m.find('\n', start);
    std::fprintf(stderr, "cairn: error: %s\n", m.substr(start, nl - start).c_str());
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return ExitFor(s, connecting);
}

std::string EventSummary(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kRunStarted: {
      const auto& r = e.run_started();
      std::string ids;
      for (const auto& id : r.planned_migration_ids()) ids += (ids.empty() ? "" : ",") + id;
      return std::string(r.direction() == v1::DIRECTION_DOWN ? "rollback" : "migrate") + " [" +
             ids + "]";
    }
    case v1::Event::kMigrationStarted: {
      const auto& m = e.migration_started();
      return m.migration_id() + " " + (m.direction() == v1::DIRECTION_DOWN ? "down" : "up") + " (" +
             m.description() + ") " + m.checksum().substr(0, 19);
    }
    case v1::Event::kMigrationCommitted: {
      const auto& m = e.migration_committed();
      return m.migration_id() + " " + std::to_string(m.statements_executed()) +
             " statement(s) in " + std::to_string(m.duration_micros() / 1000) + " ms";
    }
    case v1::Event::kMigrationRolledBack:
      return e.migration_rolled_back().migration_id() + " (" + e.migration_rolled_back().reason() +
             ")";
    case v1::Event::kMigrationFailed: {
      const auto& m = e.migration_failed();
      return m.migration_id() + " " + m.file() + ":" + std::to_string(m.line()) + ": " +
             m.error_message();
    }
    case v1::Event::kBatchApplied:
      return e.batch_applied().migration_id() + " batch " +
             std::to_string(e.batch_applied().batch_number()) + " cursor " +
             e.batch_applied().cursor();
    case v1::Event::kRunFinished:
      return v1::RunOutcome_Name(e.run_finished().outcome()).substr(12);
    default:
      return "";
  }
}

json EventJson(const v1::Event& e) {
  json j;
  j["stream"] = e.stream();
  j["position"] = e.position();
  j["event_id"] = e.event_id();
  j["run_id"] = e.run_id();
  j["type"] = cairn::ledger::EventTypeName(e);
  j["recorded_at"] = cairn::ledger::FormatMicros(cairn::ledger::TimestampToMicros(e.recorded_at()));
  j["actor"] = {{"user", e.actor().user()},
                {"host", e.actor().host()},
                {"tool_version", e.actor().tool_version()}};
  j["prev_hash"] = cairn::ledger::ToHex(e.prev_hash());
  j["hash"] = cairn::ledger::ToHex(e.hash());
  j["summary"] = EventSummary(e);
  switch (e.body_case()) {
    case v1::Event::kMigrationStarted:
      j["migration_id"] = e.migration_started().migration_id();
      j["checksum"] = e.migration_started().checksum();
      j["direction"] = v1::Direction_Name(e.migration_started().direction());
      break;
    case v1::Event::kMigrationCommitted:
      j["migration_id"] = e.migration_committed().migration_id();
      j["duration_micros"] = e.migration_committed().duration_micros();
      break;
    case v1::Event::kMigrationRolledBack:
      j["migration_id"] = e.migration_rolled_back().migration_id();
      break;
    case v1::Event::kMigrationFailed:
      j["migration_id"] = e.migration_failed().migration_id();
      j["error"] = e.migration_failed().error_message();
      j["file"] = e.migration_failed().file();
      j["line"] = e.migration_failed().line();
      j["statement"] = e.migration_failed().statement();
      break;
    case v1::Event::kRunFinished:
      j["outcome"] = v1::RunOutcome_Name(e.run_finished().outcome());
      break;
    default:
      break;
  }
  return j;
}

void PrintRun(const RunReport& r, bool up) {
  if (r.outcome == v1::RUN_OUTCOME_NOTHING_TO_DO) {
    std::printf("nothing to %s: %s\n", up ? "migrate" : "roll back",
                r.version_after.empty() ? "no migration is applied"
                                        : ("database is at version " + r.version_after).c_str());
    return;
  }
  for (const auto& id : up ? r.applied : r.rolled_back)
    std::printf("%s %s\n", up ? "applied" : "rolled back", id.c_str());
  if (r.failure) {
    std::fprintf(stderr, "cairn: error: %s:%d: migration %s failed: %s\n", r.failure->file.c_str(),
                 r.failure->line, r.failure->migration_id.c_str(), r.failure->message.c_str());
    if (!r.failure->statement.empty())
      std::fprintf(stderr, "cairn: error: failing statement: %s\n",
                   r.failure->statement.substr(0, 500).c_str());
    std::fprintf(stderr, "cairn: the failed migration was rolled back; version is %s\n",
                 r.version_after.empty() ? "(none)" : r.version_after.c_str());
    return;
  }
  std::printf("version %s -> %s (run %s)\n",
              r.version_before.empty() ? "(none)" : r.version_before.c_str(),
              r.version_after.empty() ? "(none)" : r.version_after.c_str(), r.run_id.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cairn: database migrations recorded in a tamper-evident ledger"};
  app.require_subcommand(1);
  std::string database, dir = "migrations", stream;
  bool verbose = false, quiet = false;
  if (const char* env = std::getenv("DATABASE_URL")) database = env;
  app.add_option("--database,-d", database,
                 "sqlite:PATH or postgres://... (default: $DATABASE_URL)");
  app.add_option("--dir", dir, "migrations directory")->capture_default_str();
  app.add_option("--stream", stream, "ledger stream name (default: the database's name)");
  app.add_flag("--verbose,-v", verbose, "log each step in detail");
  app.add_flag("--quiet,-q", quiet, "log only errors");

  bool allow_out_of_order = false;
  std::optional<std::string> migrate_to;
  auto* migrate = app.add_subcommand("migrate", "apply pending migrations");
  migrate->add_option("--to", migrate_to, "apply up to and including this migration id");
  migrate->add_flag("--allow-out-of-order", allow_out_of_order,
                    "apply pending files numbered below the current version");

  int steps = 1;
  std::optional<std::string> rollback_to;
  auto* rollback = app.add_subcommand("rollback", "revert applied migrations, newest first");
  auto* steps_opt = rollback->add_option("--steps,-n", steps, "how many migrations to revert")
                        ->capture_default_str();
  rollback->add_option("--to", rollback_to, "revert everything applied after this id (0: all)")
      ->excludes(steps_opt);

  bool json_out = false;
  auto* status = app.add_subcommand("status", "show applied and pending migrations");
  status->add_flag("--json", json_out, "print JSON");
  auto* history = app.add_subcommand("history", "show the ledger's events");
  history->add_flag("--json", json_out, "print one JSON object per line");
  auto* verify = app.add_subcommand("verify", "recompute the ledger's hash chain");
  verify->add_flag("--json", json_out, "print JSON");
  std::string new_name;
  auto* create = app.add_subcommand("new", "create the next numbered migration file");
  create->add_option("name", new_name, "what the migration does, e.g. add_users_email")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  auto logger = spdlog::stderr_color_mt("cairn");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$ %v");
  spdlog::set_level(quiet     ? spdlog::level::err
                    : verbose ? spdlog::level::debug
                              : spdlog::level::warn);
  if (migrate->parsed() || rollback->parsed()) {
    if (!quiet && !verbose) spdlog::set_level(spdlog::level::warn);
  }

  if (create->parsed()) {
    auto path = CreateMigrationFile(dir, new_name);
    if (!path.ok()) return Fail(path.status());
    std::printf("%s\n", path->c_str());
    return kExitOk;
  }

  RunnerOptions options;
  options.dir = dir;
  options.stream = stream;
  options.allow_out_of_order = allow_out_of_order;
  // The command line goes into the append-only ledger: never a password.
  std::string redacted_url = database;
  if (auto parsed = cairn::db::ParseDatabaseUrl(database); parsed.ok())
    redacted_url = parsed->redacted;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == database)
      arg = redacted_url;
    else if (arg.rfind("--database=", 0) == 0)
      arg = "--database=" + redacted_url;
    options.command_line += (i > 1 ? " " : "") + arg;
  }
  auto runner_or = Runner::Open(database, options);
  if (!runner_or.ok()) return Fail(runner_or.status(), /*connecting=*/true);
  Runner& runner = **runner_or;

  if (migrate->parsed() || rollback->parsed()) {
    const bool up = migrate->parsed();
    cairn::StatusOr<RunReport> report = up ? runner.Migrate(MigrateOptions{migrate_to})
                                           : runner.Rollback(RollbackOptions{steps, rollback_to});
    if (!report.ok()) return Fail(report.status());
    PrintRun(*report, up);
    return report->outcome == v1::RUN_OUTCOME_FAILED ? kExitMigrationFailed : kExitOk;
  }

  if (status->parsed()) {
    auto r = runner.GetStatus();
    if (!r.ok()) return Fail(r.status());
    if (json_out) {
      json j;
      j["stream"] = r->stream;
      j["version"] = r->version;
      j["head"] = {{"position", r->head.position}, {"hash", cairn::ledger::ToHex(r->head.hash)}};
      j["pending"] = r->pending;
      j["problems"] = r->problems;
      j["migrations"] = json::array();
      for (const auto& v : r->migrations) {
        json m = {
            {"id", v.id},       {"description", v.description}, {"file", v.file},
            {"state", v.state}, {"has_down", v.has_down},       {"file_checksum", v.file_checksum}};
        if (v.record) {
          m["ledger_checksum"] = v.record->checksum;
          if (v.record->applied_at)
            m["applied_at"] = cairn::ledger::FormatMicros(v.record->applied_at);
          m["applied_by"] = v.record->applied_by;
          if (!v.record->last_error.empty()) m["last_error"] = v.record->last_error;
        }
        j["migrations"].push_back(m);
      }
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("target:  %s (%s)\n", r->stream.c_str(),
                  runner.connection().url().redacted.c_str());
      std::printf("version: %s\n", r->version.empty() ? "(none)" : r->version.c_str());
      std::printf(
          "ledger:  %lld event(s), head %s\n", static_cast<long long>(r->head.position),
          r->head.position ? cairn::ledger::ToHex(r->head.hash).substr(0, 16).c_str() : "-");
      std::printf("\n%-8s %-12s %-27s %-20s %s\n", "ID", "STATE", "APPLIED AT", "BY",
                  "DESCRIPTION");
      for (const auto& v : r->migrations) {
        std::string at = v.record && v.record->applied_at && v.state != "pending" &&
                                 v.state != "rolled_back" && v.state != "failed"
                             ? cairn::ledger::FormatMicros(v.record->applied_at)
                             : "";
        std::string by = at.empty() ? "" : v.record->applied_by;
        std::printf("%-8s %-12s %-27s %-20s %s\n", v.id.c_str(), v.state.c_str(), at.c_str(),
                    by.c_str(), v.description.c_str());
      }
      std::printf("\n%d pending\n", r->pending);
      for (const auto& p : r->problems) std::printf("warning: %s\n", p.c_str());
    }
    return kExitOk;
  }

  if (history->parsed()) {
    Status s = runner.History([&](const v1::Event& e) {
      if (json_out) {
        std::printf("%s\n", EventJson(e).dump().c_str());
      } else {
        std::printf(
            "%6lld  %s  %-21s %-14s %s\n", static_cast<long long>(e.position()),
            cairn::ledger::FormatMicros(cairn::ledger::TimestampToMicros(e.recorded_at())).c_str(),
            cairn::ledger::EventTypeName(e).c_str(), (e.actor().user()).c_str(),
            EventSummary(e).c_str());
      }
      return true;
    });
    if (!s.ok()) return Fail(s);
    return kExitOk;
  }

  if (verify->parsed()) {
    auto r = runner.Verify();
    if (!r.ok()) return Fail(r.status());
    if (json_out) {
      json j = {
          {"stream", runner.stream()},
          {"ok", r->ok},
          {"events_checked", r->events_checked},
          {"head", {{"position", r->head.position}, {"hash", cairn::ledger::ToHex(r->head.hash)}}}};
      if (!r->ok) {
        j["first_bad_position"] = r->first_bad_position;
        j["problem"] = r->problem;
      }
      std::printf("%s\n", j.dump(2).c_str());
    } else if (r->ok) {
      std::printf("ok: stream %s, %lld event(s) verified, head position %lld hash %s\n",
                  runner.stream().c_str(), static_cast<long long>(r->events_checked),
                  static_cast<long long>(r->head.position),
                  cairn::ledger::ToHex(r->head.hash).c_str());
    }
    if (!r->ok) {
      std::fprintf(stderr,
                   "cairn: error: ledger verification FAILED for stream %s at position %lld: %s\n",
                   runner.stream().c_str(), static_cast<long long>(r->first_bad_position),
                   r->problem.c_str());
      return kExitVerifyFailed;
    }
    return kExitOk;
  }
  return kExitUsage;
}

// cairn status, cairn history: read-only views of a target (verify: cmd_verify.cc).
#include <cstdio>
#include <memory>

#include "cairn/base/hash.h"
#include "cairn/runner/unfinished.h"
#include "cairn/store/database_reader.h"
#include "cairn/store/state.h"
#include "cairn/store/store.h"
#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/history_filter.h"
#include "cli/json_output.h"
#include "cli/net_commands.h"

namespace cairn::cli {
namespace {

using nlohmann::json;

int ShowStatus(runner::Runner& runner, bool json_out) {
  auto r = runner.GetStatus();
  if (!r.ok()) return Fail(r.status());
  auto why = WhyNoEvents(runner, r->head.position);
  if (!why.ok()) return Fail(why.status());
  const std::string target = runner.connection().url().redacted;
  runner.CloseInBackground();
  if (JsonDocument* doc = json_out ? ActiveJson() : nullptr) {
    json j;
    j["stream"] = r->stream;
    if (!why->empty()) j["no_events"] = *why;
    j["version"] = r->version;
    j["head"] = {{"position", r->head.position}, {"hash", cairn::ledger::ToHex(r->head.hash)}};
    j["pending"] = r->pending;
    j["problems"] = r->problems;
    if (!r->prepared_run.empty()) j["prepared_run"] = r->prepared_run;
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
        m["baselined"] = v.record->baselined;
      }
      j["migrations"].push_back(m);
    }
    for (const auto& [key, value] : j.items()) doc->Field(key, value);
  } else {
    if (!why->empty()) std::printf("%s\n", why->c_str());
    std::printf("target:  %s (%s)\n", r->stream.c_str(), target.c_str());
    std::printf("version: %s\n", r->version.empty() ? "(none)" : r->version.c_str());
    std::printf("ledger:  %lld event(s), head %s\n", static_cast<long long>(r->head.position),
                r->head.position ? cairn::ledger::ToHex(r->head.hash).substr(0, 16).c_str() : "-");
    std::printf("\n%-8s %-12s %-27s %-20s %s\n", "ID", "STATE", "APPLIED AT", "BY", "DESCRIPTION");
    for (const auto& v : r->migrations) {
      std::string at = v.record && v.record->applied_at && v.state != "pending" &&
                               v.state != "rolled_back" && v.state != "failed"
                           ? cairn::ledger::FormatMicros(v.record->applied_at)
                           : "";
      std::string by = at.empty() ? "" : v.record->applied_by;
      const bool baselined = v.state == "applied" && v.record && v.record->baselined;
      const bool in_binary = v.state == "in_binary";
      std::printf("%-8s %-12s %-27s %-20s %s\n", v.id.c_str(),
                  baselined   ? "baselined"
                  : in_binary ? "c++ step"
                              : v.state.c_str(),
                  at.c_str(), by.c_str(), v.description.c_str());
    }
    for (const auto& v : r->migrations)
      if (v.state == "in_binary")
        std::printf(
            "note: %s (%s) is a C++ data step: a runner binary built with it applied it, and "
            "only such a binary can roll it back (docs/data-migrations.md)\n",
            v.id.c_str(), v.file.c_str());
    std::printf("\n%d pending\n", r->pending);
    for (const auto& p : r->problems) std::printf("warning: %s\n", p.c_str());
  }
  return kExitOk;
}

int ShowHistory(runner::Runner& runner, bool json_out, const HistoryFilter& filter) {
  // Folded on the way, so that unfinished work is named after the events
  // (docs/transactions.md, "Interrupted runs"); the filters choose only what
  // is printed.
  cairn::ledger::StateBuilder state("");
  bool prepare = false;  // the last run was prepared: `cairn commit`/`abort` ends it
  int64_t seen = 0;
  NewestEvents newest(filter.limit);
  JsonDocument* doc = json_out ? ActiveJson() : nullptr;
  if (doc != nullptr) {
    doc->Field("stream", runner.stream());
    doc->BeginArray("events");
  }
  // Every event (the fold needs them all), through the same reader as a
  // server's history (net/remote_options.cc).
  cairn::ledger::DatabaseEventReader reader(runner.store(), runner.connection().url().redacted);
  Status s = reader.Read(runner.stream(), {}, [&](const v1::Event& e) {
    if (filter.Matches(e)) {
      if (filter.limit > 0)
        newest.Add(e);
      else
        PrintHistoryEvent(e, json_out);
    }
    state.Apply(e);
    if (e.has_run_started()) prepare = e.run_started().prepare();
    ++seen;
    return true;
  });
  if (!s.ok()) return Fail(s);
  for (const v1::Event& e : newest.events()) PrintHistoryEvent(e, json_out);
  if (doc != nullptr) doc->End();  // events
  auto why = WhyNoEvents(runner, seen);
  if (!why.ok()) return Fail(why.status());
  const std::vector<std::string> unfinished = runner::UnfinishedWork(state.state(), prepare);
  if (doc != nullptr) {  // the same lines as fields; stderr keeps them for people
    if (!why->empty()) doc->Field("no_events", *why);
    doc->Field("unfinished", unfinished);
  }
  // --json keeps stdout to the document; the other lines go to stderr.
  if (!why->empty()) std::fprintf(json_out ? stderr : stdout, "%s\n", why->c_str());
  for (const std::string& p : unfinished)
    std::fprintf(json_out ? stderr : stdout, "warning: %s\n", p.c_str());
  return kExitOk;
}

// A read-only view with a --json flag: opens the target, then calls show.
// `files`: show reads the migration folder first (prefetch_files).
CommandSetup View(const char* json_help, int (*show)(runner::Runner&, bool json),
                  bool files = false) {
  return [json_help, show, files](CLI::App* cmd) -> CommandAction {
    auto json_out = std::make_shared<bool>(false);
    cmd->add_flag("--json", *json_out, json_help);
    return [json_out, show, files](CliContext& ctx) -> int {
      int rc;
      runner::RunnerOptions options = ctx.ReadOnlyRunnerOptions();
      options.prefetch_files = files;
      auto runner = ctx.OpenRunner(options, &rc);
      if (!runner) return rc;
      return show(*runner, *json_out);
    };
  };
}

// history, or with --server, the stream as a `cairn serve` returns it.
CommandAction HistorySetup(CLI::App* cmd) {
  auto remote = std::make_shared<RemoteFlags>();
  remote->Add(cmd);
  auto json_out = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json_out,
                "print one JSON document, the events in an array, one per line (docs/json.md)");
  auto filter = std::make_shared<HistoryFilter>();
  filter->Add(cmd);
  return [remote, json_out, filter](CliContext& ctx) -> int {
    if (Status s = filter->Resolve(ledger::NowMicros()); !s.ok()) return Fail(s);
    if (!remote->server.empty()) {                                      // net/remote_options.cc
      if (JsonDocument* doc = ActiveJson()) doc->BeginArray("events");  // closed by Finish
      return RunNetwork(Network().history, *remote, ctx.stream, *json_out, *filter);
    }
    int rc;
    auto runner = ctx.OpenRunner(ctx.ReadOnlyRunnerOptions(), &rc);
    if (!runner) return rc;
    return ShowHistory(*runner, *json_out, *filter);
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(status, "show applied and pending migrations", 30,
                       View("print one JSON document (docs/json.md)", ShowStatus, /*files=*/true));
CAIRN_REGISTER_COMMAND(history, "show the ledger's events", 40, HistorySetup);

}  // namespace cairn::cli

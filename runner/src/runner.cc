#include "cairn/runner/runner.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <set>

#include "batch.h"
#include "cairn/ledger/hash.h"

namespace cairn::runner {
namespace {

constexpr const char* kToolVersion = "cairn 0.1.0";

v1::Actor CurrentActor() {
  v1::Actor a;
  if (const passwd* pw = getpwuid(geteuid()); pw != nullptr && pw->pw_name) {
    a.set_user(pw->pw_name);
  } else if (const char* u = getenv("USER")) {
    a.set_user(u);
  } else {
    a.set_user("uid:" + std::to_string(geteuid()));
  }
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) == 0) a.set_host(host);
  a.set_tool_version(kToolVersion);
  return a;
}

int64_t ElapsedMicros(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// One refusal per line, as the CLI prints them.
std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

// The version after a run: what was applied before, less what the run
// reverted, plus what it applied. Derived, so no second replay is needed.
std::string VersionAfter(const ledger::StreamState& before, const RunReport& report) {
  std::set<std::string> reverted(report.rolled_back.begin(), report.rolled_back.end());
  std::string best;
  auto consider = [&](const std::string& id) {
    if (best.empty() || ledger::CompareMigrationIds(id, best) > 0) best = id;
  };
  for (const std::string& id : before.applied_order)
    if (!reverted.count(id)) consider(id);
  for (const std::string& id : report.applied) consider(id);
  return best;
}

int LineOf(const Section& section, size_t offset) {
  int line = section.first_line;
  for (size_t i = 0; i < offset && i < section.sql.size(); ++i)
    if (section.sql[i] == '\n') ++line;
  return line;
}

}  // namespace

StatusOr<std::unique_ptr<Runner>> Runner::Open(const std::string& database_url,
                                               RunnerOptions options) {
  CAIRN_ASSIGN_OR_RETURN(db::DatabaseUrl url, db::ParseDatabaseUrl(database_url));
  CAIRN_ASSIGN_OR_RETURN(auto conn, db::Connection::Open(url, options.open));
  return std::make_unique<Runner>(std::move(conn), std::move(options));
}

Runner::Runner(std::unique_ptr<db::Connection> conn, RunnerOptions options)
    : conn_(std::move(conn)),
      store_(ledger::LedgerStore::For(*conn_)),
      options_(std::move(options)),
      stream_(options_.stream.empty() ? conn_->url().database_name : options_.stream),
      actor_(CurrentActor()) {}

Runner::~Runner() = default;

Status Runner::Load(std::vector<Migration>* files, ledger::StreamState* state) {
  // Reading the files (system calls) and replaying the ledger (database reads
  // and decoding) are independent: overlap them. The file reader touches no
  // shared state; the connection stays on this thread.
  auto loaded = std::async(std::launch::async, LoadMigrations, options_.dir);
  auto replayed = ledger::ReplayStream(*store_, stream_);
  auto read = loaded.get();
  CAIRN_RETURN_IF_ERROR(read.status());  // file errors first: they name the file
  CAIRN_RETURN_IF_ERROR(replayed.status());
  *files = std::move(*read);
  CAIRN_RETURN_IF_ERROR(internal::MergeRegisteredSteps(files));  // C++ data migrations
  *state = std::move(*replayed);
  return Status::Ok();
}

StatusOr<RunReport> Runner::Migrate(const MigrateOptions& options) {
  std::vector<Migration> files;
  ledger::StreamState state;
  CAIRN_RETURN_IF_ERROR(Load(&files, &state));

  std::vector<std::string> refusals;
  for (const Migration& m : files) {
    auto it = state.migrations.find(m.id);
    if (it == state.migrations.end() || it->second.status != ledger::MigrationStatus::kApplied)
      continue;
    if (!it->second.checksum.empty() && it->second.checksum != m.checksum) {
      refusals.push_back(m.path + ": migration " + m.id +
                         " was changed after it was applied (applied " + it->second.checksum +
                         ", file now " + m.checksum + ")");
    }
  }
  if (options.to) {
    bool known = std::any_of(files.begin(), files.end(),
                             [&](const Migration& m) { return m.id == *options.to; });
    if (!known)
      refusals.push_back("--to " + *options.to + ": no migration file has that number in " +
                         options_.dir);
  }
  const std::string version = state.CurrentVersion();
  std::vector<const Migration*> plan;
  for (const Migration& m : files) {
    if (state.IsApplied(m.id)) continue;
    if (options.to && ledger::CompareMigrationIds(m.id, *options.to) > 0) continue;
    if (!version.empty() && ledger::CompareMigrationIds(m.id, version) < 0 &&
        !options_.allow_out_of_order) {
      refusals.push_back(m.path + ": migration " + m.id +
                         " is numbered below the current version " + version +
                         " (out of order); renumber it or pass --allow-out-of-order");
    }
    plan.push_back(&m);
  }
  internal::AddDataRefusals(*conn_, plan, state, &refusals);
  if (!refusals.empty()) {
    return FailedPreconditionError(JoinLines(refusals));
  }
  if (plan.empty()) {
    RunReport report;
    report.version_before = report.version_after = version;
    return report;
  }
  return Execute(v1::DIRECTION_UP, plan, state, "", options.to);
}

StatusOr<RunReport> Runner::Rollback(const RollbackOptions& options) {
  std::vector<Migration> files;
  ledger::StreamState state;
  CAIRN_RETURN_IF_ERROR(Load(&files, &state));
  std::map<std::string, const Migration*, ledger::MigrationIdLess> by_id;
  for (const Migration& m : files) by_id[m.id] = &m;

  std::vector<std::string> targets;  // newest first
  const auto& order = state.applied_order;
  if (options.to) {
    if (*options.to != "0" && !by_id.count(*options.to) && !state.migrations.count(*options.to))
      return FailedPreconditionError("--to " + *options.to + ": no migration has that number");
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      if (ledger::CompareMigrationIds(*it, *options.to) > 0) targets.push_back(*it);
  } else {
    if (options.steps < 1) return InvalidArgumentError("--steps must be at least 1");
    for (auto it = order.rbegin();
         it != order.rend() && static_cast<int>(targets.size()) < options.steps; ++it)
      targets.push_back(*it);
  }
  std::vector<std::string> refusals;
  std::vector<const Migration*> plan;
  for (const std::string& id : targets) {
    auto f = by_id.find(id);
    const ledger::MigrationRecord& rec = state.migrations.at(id);
    if (f == by_id.end()) {
      refusals.push_back("migration " + id + " (" + rec.file +
                         ") is applied but its file is missing from " + options_.dir +
                         ": it cannot be rolled back");
      continue;
    }
    const Migration& m = *f->second;
    if (!rec.checksum.empty() && rec.checksum != m.checksum) {
      refusals.push_back(m.path + ": migration " + id +
                         " was changed after it was applied (applied " + rec.checksum +
                         ", file now " + m.checksum +
                         "): its down section may not match what was applied");
      continue;
    }
    if (!m.down) {
      refusals.push_back(m.path + ": migration " + id +
                         (m.step ? " is irreversible (a data migration without a down step)"
                                 : " has no '-- cairn:down' section") +
                         ": it cannot be rolled back");
      continue;
    }
    plan.push_back(&m);
  }
  if (!refusals.empty()) {
    return FailedPreconditionError(JoinLines(refusals) + "\nnothing was rolled back");
  }
  if (plan.empty()) {
    RunReport report;
    report.version_before = report.version_after = state.CurrentVersion();
    return report;
  }
  std::string reason = options.to ? "rollback --to " + *options.to
                                  : "rollback --steps " + std::to_string(options.steps);
  return Execute(v1::DIRECTION_DOWN, plan, state, reason, options.to);
}

StatusOr<RunReport> Runner::Execute(v1::Direction direction,
                                    const std::vector<const Migration*>& plan,
                                    const ledger::StreamState& state, const std::string& reason,
                                    const std::optional<std::string>& target) {
  const bool up = direction == v1::DIRECTION_UP;
  RunReport report;
  report.run_id = ledger::NewUuid();
  report.version_before = state.CurrentVersion();
  CAIRN_RETURN_IF_ERROR(store_->EnsureSchema());

  int64_t expected_head = state.head.position;
  auto make_event = [&]() {
    v1::Event e;
    e.set_stream(stream_);
    e.set_run_id(report.run_id);
    *e.mutable_actor() = actor_;
    return e;
  };
  // Begins a transaction that fails with kAborted if another runner has
  // appended to the stream since this run last looked.
  auto begin = [&]() -> StatusOr<std::unique_ptr<db::Transaction>> {
    CAIRN_ASSIGN_OR_RETURN(auto tx, conn_->Begin());
    CAIRN_RETURN_IF_ERROR(store_->CheckHead(stream_, expected_head));
    return tx;
  };
  auto append = [&](const v1::Event& e) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto r, store_->Append(e));
    expected_head = r.position;
    return Status::Ok();
  };

  {
    v1::Event e = make_event();
    auto* rs = e.mutable_run_started();
    rs->set_direction(direction);
    rs->set_mode(v1::TRANSACTION_MODE_PER_MIGRATION);
    for (const Migration* m : plan) rs->add_planned_migration_ids(m->id);
    rs->set_command_line(options_.command_line);
    if (target) rs->set_target_id(*target);
    CAIRN_ASSIGN_OR_RETURN(auto tx, begin());
    CAIRN_RETURN_IF_ERROR(append(e));
    CAIRN_RETURN_IF_ERROR(tx->Commit());
  }
  spdlog::info("run {} started: {} {} migration(s) on {}", report.run_id,
               up ? "applying" : "rolling back", plan.size(), stream_);

  Status fatal;  // a failure of the machinery (not of a migration's SQL)
  for (const Migration* m : plan) {
    if (internal::IsDataStep(*m, direction)) {  // batched: docs/data-migrations.md
      internal::StepEnv env{*conn_,     stream_, options_.batch, options_.open, reason,
                            make_event, begin,   append,         &expected_head};
      CAIRN_ASSIGN_OR_RETURN(bool go_on, internal::RunDataStep(env, *m, direction, state, &report));
      if (go_on) continue;
      report.version_after = VersionAfter(state, report);
      return report;
    }
    const Section& section = up ? m->up : *m->down;
    v1::Event started = make_event();
    auto* ms = started.mutable_migration_started();
    ms->set_migration_id(m->id);
    ms->set_description(m->description);
    ms->set_checksum(m->checksum);
    ms->set_direction(direction);
    ms->set_storage_type(v1::STORAGE_TYPE_TABLE);
    ms->set_file(m->file);
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t head_before = expected_head;

    int64_t executed = 0;
    db::ScriptFailure where;
    Status sql_status;
    {
      auto tx = begin();
      if (!tx.ok()) {
        fatal = tx.status();
        break;
      }
      Status s = append(started);
      if (s.ok()) {
        sql_status = conn_->ExecuteScript(section.sql, &executed, &where);
        if (sql_status.ok()) {
          v1::Event done = make_event();
          if (up) {
            auto* mc = done.mutable_migration_committed();
            mc->set_migration_id(m->id);
            mc->set_duration_micros(ElapsedMicros(t0));
            mc->set_statements_executed(executed);
            mc->set_direction(direction);
          } else {
            auto* mr = done.mutable_migration_rolled_back();
            mr->set_migration_id(m->id);
            mr->set_reason(reason);
            mr->set_duration_micros(ElapsedMicros(t0));
            mr->set_statements_executed(executed);
          }
          s = append(done);
          if (s.ok()) s = (*tx)->Commit();
          if (!s.ok()) {
            // The SQL ran but its events or the commit failed: nothing of it
            // remains. Record it as a failure of this migration.
            sql_status = s;
            where = db::ScriptFailure{};
          }
        } else {
          where.message = sql_status.message();
        }
      } else {
        fatal = s;
        break;
      }
    }  // an uncommitted transaction rolls back here
    if (sql_status.ok()) {
      (up ? report.applied : report.rolled_back).push_back(m->id);
      spdlog::info("{} {} ({}) in {:.1f} ms, {} statement(s)", up ? "applied" : "rolled back",
                   m->id, m->description, ElapsedMicros(t0) / 1000.0, executed);
      continue;
    }
    expected_head = head_before;  // the failed transaction appended nothing
    if (sql_status.code() == StatusCode::kUnavailable) {
      // The connection is gone: nothing more can be recorded.
      fatal = sql_status.Annotate("migration " + m->id);
      break;
    }
    Failure f;
    f.migration_id = m->id;
    f.file = m->path;
    f.line = where.statement.empty() ? section.first_line : LineOf(section, where.offset);
    f.statement = where.statement;
    f.message = sql_status.message();
    report.failure = f;
    report.outcome = v1::RUN_OUTCOME_FAILED;
    spdlog::error("{}:{}: migration {} failed: {}", f.file, f.line, m->id, f.message);

    v1::Event failed = make_event();
    auto* mf = failed.mutable_migration_failed();
    mf->set_migration_id(m->id);
    mf->set_direction(direction);
    mf->set_error_message(f.message);
    mf->set_file(m->file);
    mf->set_line(f.line);
    mf->set_statement(f.statement);
    mf->set_duration_micros(ElapsedMicros(t0));
    v1::Event finished = make_event();
    auto* rf = finished.mutable_run_finished();
    rf->set_outcome(v1::RUN_OUTCOME_FAILED);
    rf->set_migrations_applied(static_cast<int32_t>(report.applied.size()));
    rf->set_migrations_rolled_back(static_cast<int32_t>(report.rolled_back.size()));
    rf->set_error_message(m->file + ":" + std::to_string(f.line) + ": " + f.message);
    auto tx = begin();
    if (!tx.ok()) return tx.status().Annotate("cannot record the failure of " + m->id);
    CAIRN_RETURN_IF_ERROR(append(started));
    CAIRN_RETURN_IF_ERROR(append(failed));
    CAIRN_RETURN_IF_ERROR(append(finished));
    CAIRN_RETURN_IF_ERROR((*tx)->Commit().Annotate("cannot record the failure of " + m->id));
    report.version_after = VersionAfter(state, report);
    return report;
  }
  if (!fatal.ok()) return fatal;

  v1::Event finished = make_event();
  auto* rf = finished.mutable_run_finished();
  rf->set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  rf->set_migrations_applied(static_cast<int32_t>(report.applied.size()));
  rf->set_migrations_rolled_back(static_cast<int32_t>(report.rolled_back.size()));
  CAIRN_ASSIGN_OR_RETURN(auto tx, begin());
  CAIRN_RETURN_IF_ERROR(append(finished));
  CAIRN_RETURN_IF_ERROR(tx->Commit());
  report.outcome = v1::RUN_OUTCOME_SUCCEEDED;
  report.version_after = VersionAfter(state, report);
  return report;
}

StatusOr<StatusReport> Runner::GetStatus() {
  StatusReport r;
  std::vector<Migration> files;
  CAIRN_RETURN_IF_ERROR(Load(&files, &r.state));
  r.stream = stream_;
  r.version = r.state.CurrentVersion();
  r.head = r.state.head;
  std::map<std::string, const Migration*, ledger::MigrationIdLess> by_id;
  for (const Migration& m : files) by_id[m.id] = &m;
  // Walk files and ledger entries together, by id.
  auto f = by_id.begin();
  auto l = r.state.migrations.begin();
  while (f != by_id.end() || l != r.state.migrations.end()) {
    int c = f == by_id.end()                ? 1
            : l == r.state.migrations.end() ? -1
                                            : ledger::CompareMigrationIds(f->first, l->first);
    MigrationView v;
    if (c <= 0) {
      const Migration& m = *f->second;
      v.id = m.id;
      v.description = m.description;
      v.file = m.file;
      v.file_checksum = m.checksum;
      v.has_down = m.down.has_value();
    }
    if (c >= 0) {
      const ledger::MigrationRecord& rec = l->second;
      v.record = &rec;
      if (c > 0) {
        v.id = rec.id;
        v.description = rec.description;
        v.file = rec.file;
      }
    }
    if (v.record == nullptr) {
      v.state = "pending";
    } else if (v.record->status == ledger::MigrationStatus::kApplied) {
      if (c > 0)
        v.state = "missing";
      else if (!v.record->checksum.empty() && v.record->checksum != v.file_checksum)
        v.state = "changed";
      else
        v.state = "applied";
    } else {
      v.state = v.record->status == ledger::MigrationStatus::kFailed ? "failed" : "rolled_back";
      if (c > 0) v.state = "gone";  // never applied now, and no file: nothing to do
    }
    if (v.state == "pending" || v.state == "failed" || v.state == "rolled_back") {
      ++r.pending;
      if (!r.version.empty() && ledger::CompareMigrationIds(v.id, r.version) < 0)
        r.problems.push_back("out of order: " + v.file + " is numbered below the current version " +
                             r.version);
    }
    if (v.state == "changed")
      r.problems.push_back("changed: " + v.file + " (applied " + v.record->checksum +
                           ", file now " + v.file_checksum + ")");
    if (v.state == "missing")
      r.problems.push_back("missing: migration " + v.id + " (" + v.file +
                           ") is applied but its file is gone");
    if (v.state != "gone") r.migrations.push_back(std::move(v));
    if (c <= 0) ++f;
    if (c >= 0) ++l;
  }
  return r;
}

Status Runner::History(const std::function<bool(const v1::Event&)>& fn) {
  return store_->Read(stream_, 1, 0, fn);
}

StatusOr<ledger::VerifyReport> Runner::Verify() { return store_->Verify(stream_); }

}  // namespace cairn::runner

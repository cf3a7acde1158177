#include "cairn/runner/runner.h"

#include <pwd.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <set>

#include "cairn/base/hash.h"
#include "cairn/runner/checks.h"
#include "cairn/runner/data_migration.h"
#include "cairn/runner/schema_ops.h"
#include "cairn/runner/unfinished.h"
#include "cairn/store/identity.h"
#include "checks/data_checks.h"
#include "execute/interrupt.h"
#include "execute/strategies.h"
#include "plan/migrate_plan.h"
#include "record/abandoned_run.h"
#include "record/ledger_recorder.h"
#include "source/registered_steps.h"

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
    if (ledger::IsRepeatableMigrationId(id)) return;  // never the version (docs/formats.md)
    if (best.empty() || ledger::CompareMigrationIds(id, best) > 0) best = id;
  };
  for (const std::string& id : before.applied_order)
    if (!reverted.count(id)) consider(id);
  for (const std::string& id : report.applied) consider(id);
  return best;
}

// The request the execute stage runs, with what every run of this runner
// shares; Migrate and Rollback add their plan and options.
ExecutionRequest NewRequest(const RunnerOptions& options, v1::Direction direction,
                            const ledger::StreamState& state, v1::TransactionMode mode,
                            const RunnerLock& lock) {
  ExecutionRequest req;
  req.direction = direction;
  req.mode = mode == v1::TRANSACTION_MODE_UNSPECIFIED ? v1::TRANSACTION_MODE_PER_MIGRATION : mode;
  req.lock_wait_micros = lock.waited().count() * 1000;
  req.command_line = options.command_line;
  req.state = &state;
  req.batch = options.batch;
  req.open = options.open;
  return req;
}

// The checks a caller asked Migrate to make before its first write
// (MigrateOptions::drift, ::preflight): the same policies `cairn migrate`
// applies before it takes the lock.
Status CheckBeforeWrite(Runner& runner, const MigrateOptions& options, const MigratePlan& planned) {
  if (options.drift) {
    CAIRN_ASSIGN_OR_RETURN(DriftReport drift, CheckDrift(runner));
    if (drift.drifted && *options.drift == DriftPolicy::kWarn) {
      spdlog::warn("schema drift: the live schema ({}) differs from the ledger's ({})",
                   drift.live_fingerprint, drift.recorded_fingerprint);
      for (const std::string& line : drift.differences) spdlog::warn("  {}", line);
    }
    CAIRN_RETURN_IF_ERROR(ApplyDriftPolicy(*options.drift, drift));
  }
  if (options.preflight) {
    CAIRN_RETURN_IF_ERROR(ApplyPreflightPolicy(
        *options.preflight, MakeReviewedPlan(runner.stream(), v1::DIRECTION_UP, planned.steps,
                                             /*with_statements=*/false)));
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<Runner>> Runner::Open(const std::string& database_url,
                                               RunnerOptions options) {
  std::future<StatusOr<std::vector<MigrationSummary>>> prefetch;
  if (options.prefetch_files)
    prefetch = std::async(std::launch::async, [dir = options.dir, env = options.env] {
      return ScanMigrations(dir, *env);
    });
  // On an error below, the future's destructor waits for the read to end.
  CAIRN_ASSIGN_OR_RETURN(db::DatabaseUrl url, db::ParseDatabaseUrl(database_url));
  // The target's own file I/O sees the runner's Env (a SQLite VFS shim for a
  // non-default one), unless the caller chose another for it.
  if (options.open.env == nullptr) options.open.env = options.env;
  CAIRN_ASSIGN_OR_RETURN(auto conn, db::Connection::Open(url, options.open));
  auto runner = std::make_unique<Runner>(std::move(conn), std::move(options));
  runner->prefetched_ = std::move(prefetch);
  // The stream is the ledger's own, whatever the database is called now
  // (docs/ledger-format.md, "Stream names").
  const RunnerOptions& o = runner->options_;
  CAIRN_ASSIGN_OR_RETURN(runner->stream_, ledger::ResolveStream(*runner->store_,
                                                                {.stream = o.stream,
                                                                 .new_stream = o.new_stream,
                                                                 .any_stream = o.any_stream},
                                                                runner->conn_->url()));
  return runner;
}

std::future<StatusOr<std::vector<MigrationSummary>>> Runner::ScanInBackground() {
  if (prefetched_.valid()) return std::move(prefetched_);
  return std::async(std::launch::async,
                    [dir = options_.dir, env = options_.env] { return ScanMigrations(dir, *env); });
}

Runner::Runner(std::unique_ptr<db::Connection> conn, RunnerOptions options)
    : conn_(std::move(conn)),
      store_(ledger::LedgerStore::For(*conn_)),
      options_(std::move(options)),
      stream_(options_.stream.empty() ? conn_->url().database_name : options_.stream),
      actor_(CurrentActor()) {}

Runner::~Runner() {
  if (closing_.joinable()) closing_.join();
}

void Runner::CloseInBackground() {
  if (conn_ == nullptr || closing_.joinable()) return;
  closing_ = std::thread([store = std::move(store_), conn = std::move(conn_)]() mutable {
    store.reset();  // refers to the connection
    conn.reset();
  });
}

// Replays the ledger (database reads and decoding) while `loaded` reads the
// files (system calls) on another thread: they are independent. The file
// reader touches no shared state; the connection stays on this thread.
template <typename Files>
Status LoadBoth(Env& env, std::future<StatusOr<Files>> loaded, ledger::LedgerStore& store,
                const std::string& stream, Files* files, ledger::StreamState* state) {
  const auto t0 = env.NowMonotonic();
  auto ms_since = [&env, t0] {
    return std::chrono::duration<double, std::milli>(env.NowMonotonic() - t0).count();
  };
  auto replayed = ledger::ReplayStream(store, stream);
  spdlog::debug("ledger replayed in {:.1f} ms", ms_since());
  auto read = loaded.get();
  spdlog::debug("files read {:.1f} ms after the replay began", ms_since());
  CAIRN_RETURN_IF_ERROR(read.status());  // file errors first: they name the file
  CAIRN_RETURN_IF_ERROR(replayed.status());
  *files = std::move(*read);
  *state = std::move(*replayed);
  return Status::Ok();
}

Status Runner::Load(std::vector<Migration>* files, ledger::StreamState* state) {
  CAIRN_RETURN_IF_ERROR(LoadBoth(*options_.env,
                                 std::async(std::launch::async, &LoadMigrations, options_.dir),
                                 *store_, stream_, files, state));
  return internal::MergeRegisteredSteps(files);  // C++ data migrations
}

// The registered C++ data migrations (data_migration.h) as summaries, added
// to those of the files. Id clashes are reported by the full path (Load).
Status AddRegisteredSummaries(std::vector<MigrationSummary>* files) {
  std::vector<Migration> steps;
  CAIRN_RETURN_IF_ERROR(internal::MergeRegisteredSteps(&steps));
  if (steps.empty()) return Status::Ok();
  for (const Migration& m : steps) {
    files->push_back(
        MigrationSummary{m.id, m.name, m.description, m.file, m.path, m.checksum,
                         m.down.has_value() || (m.step != nullptr && !m.step->irreversible)});
  }
  std::sort(files->begin(), files->end(), [](const MigrationSummary& a, const MigrationSummary& b) {
    return ledger::CompareMigrationIds(a.id, b.id) < 0;
  });
  return Status::Ok();
}

std::optional<RunReport> Runner::NothingPending(const MigrateOptions& options) {
  std::vector<MigrationSummary> files;
  ledger::StreamState state;
  pending_to_ = options.to;  // unless the answer below is "nothing"
  if (!LoadBoth(*options_.env, ScanInBackground(), *store_, stream_, &files, &state).ok() ||
      !AddRegisteredSummaries(&files).ok())
    return std::nullopt;  // the full path reports the error
  if (!NothingPendingIn(files, state, options, options_)) return std::nullopt;
  pending_to_.reset();
  RunReport report;
  report.version_before = report.version_after = state.CurrentVersion();
  return report;
}

StatusOr<RunReport> Runner::Migrate(const MigrateOptions& options) {
  // Decided from the checksum cache and the state snapshot when they show
  // nothing to do; anything else reads every file (the cache never decides
  // what SQL runs). A reviewed plan hash is always checked the long way.
  // A caller that just asked NothingPending with the same --to has the
  // answer: the folder is not read again for it.
  const bool asked = pending_to_.has_value() && *pending_to_ == options.to;
  pending_to_.reset();
  if (!options.expected_plan_hash && !asked) {
    if (auto quick = NothingPending(options)) return *quick;
  }
  int64_t head_before = 0;
  CAIRN_ASSIGN_OR_RETURN(auto lock, Lock(&head_before));
  CAIRN_ASSIGN_OR_RETURN(MigratePlan planned, PlanMigrate(options));
  if (!planned.steps.empty()) CAIRN_RETURN_IF_ERROR(CheckBeforeWrite(*this, options, planned));
  CAIRN_ASSIGN_OR_RETURN(v1::RunStarted extra, PrepareRun(options, planned));
  if (planned.steps.empty()) {
    RunReport report;
    report.version_before = report.version_after = planned.state.CurrentVersion();
    report.handover = Handover(planned.state, head_before, *lock);
    CAIRN_RETURN_IF_ERROR(CloseAbandonedRun(*conn_, *store_, stream_, actor_, planned.state));
    return report;
  }
  ExecutionRequest req = NewRequest(options_, v1::DIRECTION_UP, planned.state, options.tx, *lock);
  for (const Migration& m : planned.steps) req.plan.push_back(&m);
  req.target = options.to;
  req.prepare = options.prepare;
  req.run_started_extra = std::move(extra);
  auto report = Finish(Execute(req));
  if (report.ok()) report->handover = Handover(planned.state, head_before, *lock);
  return report;
}

StatusOr<MigratePlan> Runner::PlanMigrate(const MigrateOptions& options) {
  MigratePlan planned;
  const ledger::StreamState& state = planned.state;
  CAIRN_RETURN_IF_ERROR(Load(&planned.files, &planned.state));
  CAIRN_RETURN_IF_ERROR(RefuseIfPrepared(state));

  std::vector<std::string> refusals, warnings;
  std::vector<const Migration*> plan = PlanUp(options, options_, &planned, &refusals);
  const FolderPolicy folder{.allow_out_of_order = options_.allow_out_of_order,
                            .refuse_missing_files = options.refuse_missing_files};
  ApplyFolderPolicy(folder, planned, &refusals, &warnings);
  internal::AddDataRefusals(*conn_, plan, state, &refusals);
  for (const std::string& line : warnings) spdlog::warn("{}", line);
  if (!refusals.empty()) {
    return FailedPreconditionError(JoinLines(refusals));
  }
  for (const Migration* m : plan) planned.steps.push_back(*m);
  return planned;
}

StatusOr<RunReport> Runner::Rollback(const RollbackOptions& options) {
  int64_t head_before = 0;
  CAIRN_ASSIGN_OR_RETURN(auto lock, Lock(&head_before));
  std::vector<Migration> files;
  ledger::StreamState state;
  CAIRN_RETURN_IF_ERROR(Load(&files, &state));
  CAIRN_RETURN_IF_ERROR(RefuseIfPrepared(state));
  std::map<std::string, const Migration*, ledger::MigrationIdLess> by_id;
  for (const Migration& m : files) by_id[m.id] = &m;

  std::vector<std::string> targets;  // newest first
  const auto& order = state.applied_order;
  if (options.to) {
    if (*options.to != "0" && !by_id.count(*options.to) && !state.migrations.count(*options.to))
      return FailedPreconditionError("--to " + *options.to + ": no migration has that number");
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      if (ledger::CompareMigrationIds(*it, *options.to) > 0 &&
          !ledger::IsRepeatableMigrationId(*it))  // never rolled back (docs/formats.md)
        targets.push_back(*it);
  } else {
    if (options.steps < 1) return InvalidArgumentError("--steps must be at least 1");
    for (auto it = order.rbegin();
         it != order.rend() && static_cast<int>(targets.size()) < options.steps; ++it)
      if (!ledger::IsRepeatableMigrationId(*it)) targets.push_back(*it);
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
      refusals.push_back(ChangedAfterApplied({m.path, id, rec.checksum, m.checksum},
                                             "its down section may not match what was applied"));
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
    report.handover = Handover(state, head_before, *lock);
    CAIRN_RETURN_IF_ERROR(CloseAbandonedRun(*conn_, *store_, stream_, actor_, state));
    return report;
  }
  std::string reason = options.to ? "rollback --to " + *options.to
                                  : "rollback --steps " + std::to_string(options.steps);
  ExecutionRequest req = NewRequest(options_, v1::DIRECTION_DOWN, state, options.tx, *lock);
  req.plan = std::move(plan);
  req.reason = std::move(reason);
  req.target = options.to;
  auto report = Finish(Execute(req));
  if (report.ok()) report->handover = Handover(state, head_before, *lock);
  return report;
}

StatusOr<RunReport> Runner::Finish(StatusOr<RunReport> report) {
  // The snapshot is a cache (docs/caches.md): failing to save it costs the
  // next run time, never correctness, so it does not fail this one.
  if (conn_->in_transaction()) return report;
  Status saved = ledger::SaveSnapshot(*store_, stream_);
  if (!saved.ok()) spdlog::warn("could not save the state snapshot: {}", saved.message());
  return report;
}

StatusOr<RunReport> Runner::Execute(const ExecutionRequest& req) {
  const ledger::StreamState& state = *req.state;
  RunReport report;
  report.run_id = NewUuid(*options_.env);
  report.version_before = state.CurrentVersion();
  CAIRN_RETURN_IF_ERROR(store_->EnsureSchema());
  LedgerRecorder recorder(*conn_, *store_, stream_, state.head.position);
  RunContext ctx(*conn_, recorder, stream_, actor_, &report);
  {
    internal::RunInterrupter stop(*conn_, options_.batch.stop_on_signals);
    CAIRN_RETURN_IF_ERROR(ExecuteRun(ctx, req));
  }
  report.version_after = report.prepared ? report.version_before : VersionAfter(state, report);
  return report;
}

StatusOr<StatusReport> Runner::GetStatus() {
  StatusReport r;
  std::vector<MigrationSummary> files;
  CAIRN_RETURN_IF_ERROR(
      LoadBoth(*options_.env, ScanInBackground(), *store_, stream_, &files, &r.state));
  CAIRN_RETURN_IF_ERROR(AddRegisteredSummaries(&files));
  r.stream = stream_;
  r.version = r.state.CurrentVersion();
  r.head = r.state.head;
  r.migrations.reserve(std::max(files.size(), r.state.migrations.size()));
  // Walk files (sorted by id, no duplicates) and ledger entries together.
  auto f = files.begin();
  auto l = r.state.migrations.begin();
  while (f != files.end() || l != r.state.migrations.end()) {
    int c = f == files.end()                ? 1
            : l == r.state.migrations.end() ? -1
                                            : ledger::CompareMigrationIds(f->id, l->first);
    MigrationView v;
    if (c <= 0) {
      MigrationSummary& m = *f;  // not read again: its strings move
      v.id = std::move(m.id);
      v.description = std::move(m.description);
      v.file = std::move(m.file);
      v.file_checksum = std::move(m.checksum);
      v.has_down = m.has_down;
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
        // A C++ data step (registered_steps.cc) lives in the runner binary
        // that applied it, not in --dir: the stock cairn does not hold it.
        v.state = v.record->file.rfind("c++:", 0) == 0 ? "in_binary" : "missing";
      else if (!v.record->checksum.empty() && v.record->checksum != v.file_checksum)
        v.state = ledger::IsRepeatableMigrationId(v.id) ? "pending" : "changed";  // runs again
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
                           ", file now " + v.file_checksum +
                           "); restore it, or `cairn accept-checksum " + v.id + " --reason WHY`");
    if (v.state == "missing")
      r.problems.push_back("missing: migration " + v.id + " (" + v.file +
                           ") is applied but its file is gone");
    if (v.state != "gone") r.migrations.push_back(std::move(v));
    if (c <= 0) ++f;
    if (c >= 0) ++l;
  }
  if (r.state.last_run.finished_at == 0) {
    CAIRN_ASSIGN_OR_RETURN(bool prepared, IsPreparedRun(*conn_, r.state.last_run.run_id));
    if (prepared) {
      r.prepared_run = r.state.last_run.run_id;
      r.problems.push_back("prepared: run " + r.prepared_run + " waits for `cairn commit " +
                           r.prepared_run + "` or `cairn abort " + r.prepared_run +
                           "`; its migrations are pending until then");
    }
  }
  for (std::string& line : UnfinishedWork(r.state, !r.prepared_run.empty()))
    r.problems.push_back(std::move(line));
  return r;
}

Status Runner::History(const std::function<bool(const v1::Event&)>& fn) {
  return store_->Read(stream_, 1, 0, fn);
}

StatusOr<ledger::VerifyReport> Runner::Verify() {
  CAIRN_ASSIGN_OR_RETURN(ledger::VerifyReport report, store_->Verify(stream_));
  if (!report.ok) return report;
  // The state snapshot is a shortcut around the chain: it must agree with it.
  ledger::SnapshotFault fault;
  CAIRN_ASSIGN_OR_RETURN(std::string problem, ledger::CheckSnapshot(*store_, stream_, &fault));
  if (!problem.empty()) {
    report.ok = false;
    report.problem = problem;
    report.fault = fault.name;
    report.first_bad_position = fault.position;
  }
  return report;
}

}  // namespace cairn::runner

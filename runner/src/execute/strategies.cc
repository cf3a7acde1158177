#include "execute/strategies.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "cairn/base/hash.h"
#include "execute/batch.h"
#include "execute/interrupt.h"
#include "execute/section_exec.h"
#include "execute/stepwise.h"
#include "source/directives.h"

namespace cairn::runner {
namespace {

using Clock = std::chrono::steady_clock;

// SQLite: room kept inside the database file for the records of a failing
// --tx none run (docs/transactions.md, "A full disk during compensation"):
// one row of zeros in cairn_reserve, created when such a run starts. When a
// record cannot be written for want of space, Record deletes the row in the
// record's own transaction: its pages join the file's free list and the
// record reuses them, so the file does not grow.
constexpr int64_t kReserveBytes = 64 * 1024;

void ReserveRoomForRecords(db::Connection& conn) {
  if (conn.backend() != db::Backend::kSqlite) return;
  Status s = [&]() -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto tx, conn.Begin());
    CAIRN_RETURN_IF_ERROR(conn.Execute("CREATE TABLE IF NOT EXISTS cairn_reserve (id INTEGER "
                                       "PRIMARY KEY, pad BLOB NOT NULL)")
                              .status());
    CAIRN_RETURN_IF_ERROR(
        conn.Execute("INSERT OR IGNORE INTO cairn_reserve (id, pad) VALUES (1, zeroblob($1))",
                     {db::Value(kReserveBytes)})
            .status());
    return tx->Commit();
  }();
  if (!s.ok()) spdlog::warn("cannot reserve room for the run's records: {}", s.ToString());
}

int64_t MicrosSince(Clock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
}

v1::Direction Opposite(v1::Direction d) {
  return d == v1::DIRECTION_UP ? v1::DIRECTION_DOWN : v1::DIRECTION_UP;
}

std::string JoinIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

// What the run did, in the words of its direction.
const char* Verb(v1::Direction d) { return d == v1::DIRECTION_UP ? "applied" : "rolled back"; }

class Strategy {
 public:
  Strategy(RunContext& ctx, const ExecutionRequest& req) : ctx_(ctx), req_(req) {}
  virtual ~Strategy() = default;
  // Refusals that must come before the first write.
  virtual Status Check() { return Status::Ok(); }
  // Runs the plan after RunStarted committed.
  virtual Status Run() = 0;

 protected:
  // Batched data migrations commit batch by batch (docs/data-migrations.md):
  // only --tx per-migration can run them.
  Status RefuseDataSteps(const char* mode) const {
    for (const Migration* m : req_.plan) {
      if (internal::IsDataStep(*m, req_.direction))
        return FailedPreconditionError(m->path + ": migration " + m->id +
                                       " is a batched data migration, committed batch by batch: " +
                                       mode + " cannot include it; run it with --tx per-migration");
    }
    return Status::Ok();
  }
  std::vector<std::string>& done() {
    return req_.direction == v1::DIRECTION_UP ? ctx_.report().applied : ctx_.report().rolled_back;
  }
  void LogDone(const Migration& m, const StepResult& r) {
    spdlog::info("{} {} ({}) in {:.1f} ms, {} statement(s)", Verb(req_.direction), m.id,
                 m.description, r.micros / 1000.0, r.executed);
  }
  // Records the failure of `m` (and the end of the run) in one transaction;
  // `started` is MigrationStarted when it is not yet in the ledger.
  Status RecordFailure(const Migration& m, const StepResult& r, bool started_recorded,
                       const std::string& run_error_suffix = "",
                       const std::vector<std::string>& compensated = {}) {
    const Section& section = SectionFor(m, req_.direction);
    Failure f = ctx_.Describe(m, section, r);
    RunReport& report = ctx_.report();
    report.failure = f;
    report.outcome = v1::RUN_OUTCOME_FAILED;
    spdlog::error("{}:{}: migration {} failed: {}{}", f.file, f.line, m.id, f.message,
                  run_error_suffix);
    std::vector<v1::Event> events;
    if (!started_recorded) events.push_back(ctx_.Started(m, req_.direction, false));
    events.push_back(ctx_.Failed(m, req_.direction, f, r));
    v1::Event fin = ctx_.Finished(v1::RUN_OUTCOME_FAILED, m.file + ":" + std::to_string(f.line) +
                                                              ": " + f.message + run_error_suffix);
    for (const std::string& id : compensated)
      fin.mutable_run_finished()->add_compensated_migration_ids(id);
    events.push_back(fin);
    return ctx_.Record(events).Annotate("cannot record the failure of " + m.id);
  }
  // A section run outside a transaction stopped after `r.executed`
  // statements: they remain, and the report must say so.
  void NoteRemains(const Migration& m, const StepResult& r) {
    if (r.executed <= 0) return;
    ctx_.report().remains =
        "statements 1-" + std::to_string(r.executed) + " of migration " + m.id +
        " committed outside a transaction and remain; `cairn " +
        (req_.direction == v1::DIRECTION_UP ? "migrate" : "rollback --steps 1") +
        "` continues with statement " + std::to_string(r.executed + 1);
  }
  // SIGINT/SIGTERM stopped the run (docs/transactions.md, "Interrupted
  // runs"): RunFinished(INTERRUPTED) is recorded when the connection allows.
  Status Interrupted(const std::string& what) {
    RunReport& report = ctx_.report();
    report.outcome = v1::RUN_OUTCOME_INTERRUPTED;
    report.stop_signal = StopSignal();
    report.interruption = what;
    const std::string message =
        std::string("interrupted by ") + internal::StopSignalName(report.stop_signal) + ": " + what;
    Status s = ctx_.Record({ctx_.Finished(v1::RUN_OUTCOME_INTERRUPTED, message)});
    // A cancel request can reach the server's next statement instead.
    if (s.code() == StatusCode::kCancelled)
      s = ctx_.Record({ctx_.Finished(v1::RUN_OUTCOME_INTERRUPTED, message)});
    if (!s.ok()) spdlog::warn("could not record the end of the interrupted run: {}", s.message());
    return Status::Ok();
  }
  // What an interruption left of `m`, whose step returned `r`.
  std::string Stopped(const Migration& m, const StepResult& r, bool outside) {
    if (outside && r.executed > 0) {
      NoteRemains(m, r);
      return ctx_.report().remains;
    }
    return "migration " + m.id + " was running; its transaction rolled back and nothing of it " +
           "remains";
  }
  Status FinishSucceeded() {
    ctx_.report().outcome = v1::RUN_OUTCOME_SUCCEEDED;
    return ctx_.Record({ctx_.Finished(v1::RUN_OUTCOME_SUCCEEDED, "")});
  }
  bool MustRunOutside(const Migration& m, v1::Direction d, std::string* why) {
    *why = NoTransactionReason(m, SectionFor(m, d), ctx_.conn().backend(), ctx_.server_version());
    return !why->empty();
  }

  RunContext& ctx_;
  const ExecutionRequest& req_;
};

// --tx per-migration: each migration and its events in one transaction;
// migrations that cannot run in one run outside it.
class PerMigration final : public Strategy {
 public:
  using Strategy::Strategy;
  Status Run() override {
    for (const Migration* m : req_.plan) {
      if (StopRequested()) return Interrupted("stopped before migration " + m->id);
      if (internal::IsDataStep(*m, req_.direction)) {  // batched: docs/data-migrations.md
        internal::NoStatementCancel batches_stop_between_batches;
        internal::StepEnv env{
            ctx_.conn(),
            ctx_.stream(),
            req_.batch,
            req_.open,
            req_.reason,
            [this] { return ctx_.NewEvent(); },
            [this] { return ctx_.Begin(); },
            [this](db::Transaction& tx, const v1::Event& e) { return ctx_.Append(tx, e); },
            ctx_.mutable_head()};
        CAIRN_ASSIGN_OR_RETURN(bool go_on, internal::RunDataStep(env, *m, req_.direction,
                                                                 *req_.state, &ctx_.report()));
        if (!go_on) return Status::Ok();  // the run's end is recorded
        continue;
      }
      std::string why;
      const bool outside = MustRunOutside(*m, req_.direction, &why);
      if (outside) spdlog::info("{} runs outside a transaction: {}", m->id, why);
      StepResult r =
          outside ? internal::RunStepwise(ctx_, *m, req_.direction, req_.reason,
                                          internal::StepwiseResume(req_.state, *m, req_.direction))
                  : ctx_.ApplyOne(*m, req_.direction, req_.reason, false);
      if (!r.status.ok() && StopRequested()) return Interrupted(Stopped(*m, r, outside));
      if (r.fatal) return r.status;
      if (!r.status.ok()) {
        if (outside) NoteRemains(*m, r);
        return RecordFailure(*m, r, /*started_recorded=*/outside);
      }
      done().push_back(m->id);
      LogDone(*m, r);
    }
    return FinishSucceeded();
  }
};

// --tx all (and --prepare): the whole run in one transaction.
class AllInOne final : public Strategy {
 public:
  using Strategy::Strategy;
  Status Check() override {
    if (req_.prepare && ctx_.conn().backend() != db::Backend::kPostgres)
      return FailedPreconditionError("--prepare needs PostgreSQL (two-phase commit)");
    CAIRN_RETURN_IF_ERROR(RefuseDataSteps(req_.prepare ? "--prepare" : "--tx all"));
    for (const Migration* m : req_.plan) {
      std::string why;
      if (MustRunOutside(*m, req_.direction, &why))
        return FailedPreconditionError(
            m->path + ": migration " + m->id + " cannot run inside a transaction (" + why +
            "), so " + (req_.prepare ? "--prepare" : "--tx all") +
            " cannot include it; apply it on its own with --tx per-migration");
    }
    return Status::Ok();
  }

  Status Run() override {
    const int64_t head_before = ctx_.head();
    const Migration* failed = nullptr;
    StepResult result;
    {
      // A transaction to be PREPAREd must not NOTIFY (ledger/store.h).
      struct NotifyOff {
        RunObserver& observer;
        ~NotifyOff() { observer.SetNotify(true); }
      } notify_off{ctx_.observer()};
      if (req_.prepare) ctx_.observer().SetNotify(false);
      CAIRN_ASSIGN_OR_RETURN(auto tx, ctx_.Begin());
      for (const Migration* m : req_.plan) {
        CAIRN_RETURN_IF_ERROR(ctx_.Append(*tx, ctx_.Started(*m, req_.direction, false)));
        result = ctx_.RunSql(*m, SectionFor(*m, req_.direction));
        if (result.status.ok()) {
          Status s = ctx_.Append(*tx, ctx_.Done(*m, req_.direction, result, req_.reason));
          if (!s.ok()) return s;
          done().push_back(m->id);
          LogDone(*m, result);
          continue;
        }
        if (StopRequested()) break;  // below: the transaction rolls back
        if (result.status.code() == StatusCode::kUnavailable)
          return result.status.Annotate("migration " + m->id);
        failed = m;
        break;
      }
      if (StopRequested()) {
        tx.reset();
        ctx_.ResetHead(head_before);
        done().clear();
        return Interrupted("the run's transaction rolled back; nothing of it remains");
      }
      if (failed == nullptr && req_.prepare) {
        CAIRN_RETURN_IF_ERROR(tx->Prepare(PreparedGid(ctx_.report().run_id)));
        ctx_.report().prepared = true;
        ctx_.report().outcome = v1::RUN_OUTCOME_SUCCEEDED;
        spdlog::info(
            "run {} prepared: {} migration(s) wait for `cairn commit {}` or `cairn "
            "abort {}`",
            ctx_.report().run_id, done().size(), ctx_.report().run_id, ctx_.report().run_id);
        return Status::Ok();
      }
      if (failed == nullptr) {
        CAIRN_RETURN_IF_ERROR(ctx_.Append(*tx, ctx_.Finished(v1::RUN_OUTCOME_SUCCEEDED, "")));
        Status c = tx->Commit();
        if (c.ok()) {
          ctx_.report().outcome = v1::RUN_OUTCOME_SUCCEEDED;
          return Status::Ok();
        }
        return c.Annotate("the run's transaction did not commit; nothing of it was applied");
      }
    }  // the run's transaction rolls back here: nothing of it remains
    ctx_.ResetHead(head_before);
    std::vector<std::string> undone = std::move(done());
    done().clear();
    std::string suffix = "; the run's transaction was rolled back";
    if (!undone.empty()) suffix += ", so " + JoinIds(undone) + " were not kept either";
    return RecordFailure(*failed, result, /*started_recorded=*/false, suffix);
  }
};

// --tx none: autocommit statement by statement; a failure is compensated by
// running the opposite sections of what this run did, newest first.
class NoTransaction final : public Strategy {
 public:
  using Strategy::Strategy;
  Status Check() override {
    CAIRN_RETURN_IF_ERROR(RefuseDataSteps("--tx none"));
    const char* needed = req_.direction == v1::DIRECTION_UP ? "-- cairn:down" : "-- cairn:up";
    for (const Migration* m : req_.plan) {
      if (req_.direction == v1::DIRECTION_UP && !m->down)
        return FailedPreconditionError(
            m->path + ": migration " + m->id + " has no '" + needed +
            "' section: --tx none needs one in every planned migration to undo the run if a "
            "later migration fails");
    }
    return Status::Ok();
  }

  Status Run() override {
    ReserveRoomForRecords(ctx_.conn());
    std::vector<const Migration*> applied;
    for (const Migration* m : req_.plan) {
      // Stopped: no compensation; what committed is recorded, and a rerun
      // continues after it.
      if (StopRequested()) return Interrupted("stopped before migration " + m->id);
      StepResult r =
          internal::RunStepwise(ctx_, *m, req_.direction, req_.reason,
                                internal::StepwiseResume(req_.state, *m, req_.direction));
      if (!r.status.ok() && StopRequested()) return Interrupted(Stopped(*m, r, true));
      if (r.fatal) return r.status;
      if (r.status.ok()) {
        applied.push_back(m);
        done().push_back(m->id);
        LogDone(*m, r);
        continue;
      }
      return Compensate(*m, r, applied);
    }
    return FinishSucceeded();
  }

 private:
  Status Compensate(const Migration& failed, const StepResult& failure,
                    const std::vector<const Migration*>& applied) {
    const Section& section = SectionFor(failed, req_.direction);
    Failure f = ctx_.Describe(failed, section, failure);
    spdlog::error("{}:{}: migration {} failed: {}", f.file, f.line, failed.id, f.message);
    CAIRN_RETURN_IF_ERROR(ctx_.Record({ctx_.Failed(failed, req_.direction, f, failure)}));

    // What to undo, newest first: the failed migration's completed
    // statements, then every migration this run completed.
    std::vector<const Migration*> undo;
    if (failure.executed > 0) undo.push_back(&failed);
    for (auto it = applied.rbegin(); it != applied.rend(); ++it) undo.push_back(*it);
    const v1::Direction back = Opposite(req_.direction);
    const std::string reason =
        "compensation: migration " + failed.id + " failed in a --tx none run";
    std::vector<std::string> compensated;
    std::string comp_error;
    // A failed compensation is recorded with the RunFinished, in one
    // transaction (the reserved room, when the disk is full, takes both).
    std::vector<v1::Event> records;
    for (const Migration* m : undo) {
      std::string why;
      const bool outside = MustRunOutside(*m, back, &why);
      StepResult r = outside ? internal::RunStepwise(ctx_, *m, back, reason, nullptr)
                             : ctx_.ApplyOne(*m, back, reason, false);
      if (r.fatal) return r.status;
      if (!r.status.ok()) {
        Failure cf = ctx_.Describe(*m, SectionFor(*m, back), r);
        comp_error = "; compensation failed at " + m->file + ":" + std::to_string(cf.line) + ": " +
                     cf.message;
        spdlog::error("compensation of {} failed: {}", m->id, cf.message);
        if (!outside) records.push_back(ctx_.Started(*m, back, false));
        records.push_back(ctx_.Failed(*m, back, cf, r));
        ctx_.report().compensation_failed = true;
        break;
      }
      spdlog::info("compensated {}: ran its {} section", m->id,
                   back == v1::DIRECTION_DOWN ? "down" : "up");
      compensated.push_back(m->id);
    }
    RunReport& report = ctx_.report();
    report.compensated = compensated;
    if (std::find(compensated.begin(), compensated.end(), failed.id) == compensated.end())
      NoteRemains(failed, failure);
    std::vector<std::string>& kept = done();
    kept.erase(std::remove_if(kept.begin(), kept.end(),
                              [&](const std::string& id) {
                                return std::find(compensated.begin(), compensated.end(), id) !=
                                       compensated.end();
                              }),
               kept.end());
    report.failure = f;
    report.outcome = v1::RUN_OUTCOME_FAILED;
    std::string summary =
        comp_error.empty()
            ? "; compensated: " +
                  (compensated.empty() ? std::string("nothing to undo") : JoinIds(compensated))
            : comp_error + "; still " + Verb(req_.direction) + ": " +
                  (kept.empty() ? std::string("none") : JoinIds(kept));
    v1::Event fin =
        ctx_.Finished(v1::RUN_OUTCOME_FAILED,
                      failed.file + ":" + std::to_string(f.line) + ": " + f.message + summary);
    for (const std::string& id : compensated)
      fin.mutable_run_finished()->add_compensated_migration_ids(id);
    records.push_back(std::move(fin));
    Status recorded = ctx_.Record(records);
    if (!recorded.ok() && report.compensation_failed)
      return recorded.Annotate("the failed compensation could not be recorded (" +
                               comp_error.substr(2) + ")");
    return recorded;
  }
};

std::unique_ptr<Strategy> MakeStrategy(RunContext& ctx, const ExecutionRequest& req) {
  if (req.prepare || req.mode == v1::TRANSACTION_MODE_ALL)
    return std::make_unique<AllInOne>(ctx, req);
  if (req.mode == v1::TRANSACTION_MODE_NONE) return std::make_unique<NoTransaction>(ctx, req);
  return std::make_unique<PerMigration>(ctx, req);
}

}  // namespace

const Section& SectionFor(const Migration& m, v1::Direction d) {
  return d == v1::DIRECTION_DOWN ? *m.down : m.up;
}

std::string PreparedGid(const std::string& run_id) { return "cairn:" + run_id; }

RunContext::RunContext(db::Connection& conn, RunObserver& observer, std::string stream,
                       v1::Actor actor, RunReport* report)
    : conn_(conn),
      observer_(observer),
      stream_(std::move(stream)),
      actor_(std::move(actor)),
      report_(report) {
  if (conn_.backend() == db::Backend::kPostgres) {
    if (auto rows = conn_.Query("SELECT current_setting('server_version_num')::int");
        rows.ok() && !rows->empty())
      server_version_ = static_cast<int>((*rows)[0][0].AsInt());
  }
}

v1::Event RunContext::NewEvent() const {
  v1::Event e;
  e.set_stream(stream_);
  e.set_run_id(report_->run_id);
  *e.mutable_actor() = actor_;
  return e;
}

v1::Event RunContext::Started(const Migration& m, v1::Direction d, bool outside) const {
  v1::Event e = NewEvent();
  auto* ms = e.mutable_migration_started();
  ms->set_migration_id(m.id);
  ms->set_description(m.description);
  ms->set_checksum(m.checksum);
  ms->set_direction(d);
  ms->set_storage_type(v1::STORAGE_TYPE_TABLE);
  ms->set_file(m.file);
  ms->set_outside_transaction(outside);
  ms->set_repeatable(m.repeatable);
  return e;
}

v1::Event RunContext::Done(const Migration& m, v1::Direction d, const StepResult& r,
                           const std::string& reason) const {
  v1::Event e = NewEvent();
  if (d == v1::DIRECTION_UP) {
    auto* mc = e.mutable_migration_committed();
    mc->set_migration_id(m.id);
    mc->set_duration_micros(r.micros);
    mc->set_statements_executed(r.executed);
    mc->set_direction(d);
  } else {
    auto* mr = e.mutable_migration_rolled_back();
    mr->set_migration_id(m.id);
    mr->set_reason(reason);
    mr->set_duration_micros(r.micros);
    mr->set_statements_executed(r.executed);
  }
  return e;
}

v1::Event RunContext::Failed(const Migration& m, v1::Direction d, const Failure& f,
                             const StepResult& r) const {
  v1::Event e = NewEvent();
  auto* mf = e.mutable_migration_failed();
  mf->set_migration_id(m.id);
  mf->set_direction(d);
  mf->set_error_message(f.message);
  mf->set_file(m.file);
  mf->set_line(f.line);
  mf->set_statement(f.statement);
  mf->set_duration_micros(r.micros);
  mf->set_statements_executed(r.executed);
  return e;
}

v1::Event RunContext::Finished(v1::RunOutcome outcome, const std::string& error) const {
  v1::Event e = NewEvent();
  auto* rf = e.mutable_run_finished();
  rf->set_outcome(outcome);
  rf->set_migrations_applied(static_cast<int32_t>(report_->applied.size()));
  rf->set_migrations_rolled_back(
      static_cast<int32_t>(report_->rolled_back.size() + report_->compensated.size()));
  rf->set_error_message(error);
  return e;
}

StatusOr<std::unique_ptr<db::Transaction>> RunContext::Begin() { return observer_.Begin(); }

Status RunContext::Append(db::Transaction& tx, const v1::Event& e) {
  return observer_.Append(tx, e);
}

Status RunContext::Record(const std::vector<v1::Event>& events) {
  const int64_t before = head();
  auto record = [&](bool release_reserve) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto tx, Begin());
    if (release_reserve) {
      CAIRN_ASSIGN_OR_RETURN(int64_t freed, conn_.Execute("DELETE FROM cairn_reserve"));
      if (freed == 0) return Status(StatusCode::kResourceExhausted, "no room was reserved");
    }
    for (const v1::Event& e : events) {
      Status s = Append(*tx, e);
      if (!s.ok()) {
        ResetHead(before);
        return s;
      }
    }
    Status c = tx->Commit();
    if (!c.ok()) ResetHead(before);
    return c;
  };
  Status s = record(false);
  if (s.code() != StatusCode::kResourceExhausted || conn_.backend() != db::Backend::kSqlite)
    return s;
  // The disk is full: the room reserved at the start of the run takes it.
  if (!record(true).ok()) return s;
  spdlog::warn("the disk is full: recorded in the room reserved for this ({})", s.message());
  return Status::Ok();
}

StepResult RunContext::RunSql(const Migration& m, const Section& section) {
  StepResult r;
  const auto t0 = Clock::now();
  const bool limited = m.lock_timeout || m.statement_timeout;
  const bool in_tx = conn_.in_transaction();
  const bool retry = m.lock_timeout.has_value() && m.lock_retries > 0;
  if (limited) {
    r.status = conn_.SetStatementLimits(m.lock_timeout, m.statement_timeout);
    if (!r.status.ok()) {
      r.micros = MicrosSince(t0);
      return r;
    }
  }
  size_t base = 0;  // outside a transaction a retry resumes at the failed statement
  std::chrono::milliseconds backoff(250);
  for (int attempt = 0;; ++attempt) {
    if (in_tx && retry) (void)conn_.Execute("SAVEPOINT cairn_attempt");
    int64_t executed = 0;
    execute::SectionFailure where;
    r.status = execute::ExecuteSection(conn_, m, section, base, &executed, &where);
    r.executed += executed;
    if (r.status.ok()) {
      if (in_tx && retry) (void)conn_.Execute("RELEASE SAVEPOINT cairn_attempt");
      break;
    }
    r.where = where.where;
    r.where_line = where.line;
    if (!retry || r.status.code() != StatusCode::kAborted || attempt >= m.lock_retries) break;
    if (in_tx) {
      // Undo this attempt's statements, keep the transaction and its events.
      if (!conn_.Execute("ROLLBACK TO SAVEPOINT cairn_attempt").ok()) break;
      r.executed -= executed;
    } else {
      base = r.where.offset;
    }
    spdlog::warn("{}:{}: migration {}: lock timeout ({} ms) fired: {}; retry {} of {} in {} ms",
                 FileOf(m, section), r.where_line, m.id, m.lock_timeout->count(),
                 r.status.message(), attempt + 1, m.lock_retries, backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(10000));
  }
  if (limited) {
    // Inside a failed transaction this fails, and the rollback restores the
    // settings anyway.
    Status s = conn_.SetStatementLimits(std::nullopt, std::nullopt);
    if (!s.ok() && r.status.ok()) r.status = s;
  }
  if (!r.status.ok() && r.where.message.empty()) r.where.message = r.status.message();
  if (r.status.code() == StatusCode::kCancelled && m.statement_timeout)
    r.where.message +=
        " (statement timeout " + std::to_string(m.statement_timeout->count()) + " ms)";
  r.micros = MicrosSince(t0);
  return r;
}

Failure RunContext::Describe(const Migration& m, const Section& section,
                             const StepResult& r) const {
  Failure f;
  f.migration_id = m.id;
  f.file = FileOf(m, section);
  f.line = r.where_line == 0 ? section.first_line : r.where_line;
  f.statement = r.where.statement;
  f.message = r.where.message.empty() ? r.status.message() : r.where.message;
  // Another tool's file saved with a byte order mark, which that tool (and
  // so cairn) sends as the start of the first statement (docs/formats.md).
  if (f.statement.starts_with("\xEF\xBB\xBF"))
    f.message +=
        " (the statement starts with the file's UTF-8 byte order mark, which this folder's "
        "format sends to the server as it is: save the file without it)";
  return f;
}

StepResult RunContext::ApplyOne(const Migration& m, v1::Direction d, const std::string& reason,
                                bool outside) {
  const Section& section = SectionFor(m, d);
  const int64_t head_before = head();
  StepResult r;
  auto fatal = [&](Status s) {
    r.status = std::move(s);
    r.fatal = true;
    return r;
  };
  if (outside) {
    if (Status s = Record({Started(m, d, true)}); !s.ok()) return fatal(s);
    r = RunSql(m, section);
    if (r.status.code() == StatusCode::kUnavailable)
      return fatal(r.status.Annotate("migration " + m.id));
    if (!r.status.ok()) return r;
    if (Status s = Record({Done(m, d, r, reason)}); !s.ok())
      return fatal(s.Annotate("migration " + m.id +
                              " ran outside a transaction but its outcome "
                              "could not be recorded; the ledger shows it as started"));
    return r;
  }
  if (observer_.KnowsHead()) {
    // Fast path: BEGIN, the SQL, then both events in one statement that
    // takes the stream lock; a writer that appended meanwhile makes that
    // statement collide on its position (kAborted), and the transaction,
    // SQL included, rolls back.
    v1::Event started = Started(m, d, false);
    ledger::MicrosToTimestamp(ledger::NowMicros(), started.mutable_recorded_at());
    bool moved = false;  // another writer appended: stop the run, as Begin would
    {
      auto tx = conn_.Begin();
      if (!tx.ok()) return fatal(tx.status());
      r = RunSql(m, section);
      if (r.status.ok()) {
        Status s = observer_.AppendStep(**tx, started, Done(m, d, r, reason));
        moved = s.code() == StatusCode::kAborted;
        if (s.ok()) s = (*tx)->Commit();
        if (!s.ok()) {
          r.status = s;
          r.where = db::ScriptFailure{};
          r.where_line = 0;
        }
      }
    }
    if (!r.status.ok()) {
      ResetHead(head_before);
      if (moved || r.status.code() == StatusCode::kUnavailable)
        return fatal(r.status.Annotate("migration " + m.id));
    }
    return r;
  }
  {
    auto tx = Begin();
    if (!tx.ok()) return fatal(tx.status());
    if (Status s = Append(**tx, Started(m, d, false)); !s.ok()) return fatal(s);
    r = RunSql(m, section);
    if (r.status.ok()) {
      Status s = Append(**tx, Done(m, d, r, reason));
      if (s.ok()) s = (*tx)->Commit();
      if (!s.ok()) {
        // The SQL ran but its events or the commit failed: nothing of it
        // remains. Record it as a failure of this migration.
        r.status = s;
        r.where = db::ScriptFailure{};
        r.where_line = 0;
      }
    }
  }  // an uncommitted transaction rolls back here
  if (!r.status.ok()) {
    ResetHead(head_before);  // the failed transaction appended nothing
    if (r.status.code() == StatusCode::kUnavailable)
      return fatal(r.status.Annotate("migration " + m.id));  // nothing more can be recorded
  }
  return r;
}

Status ExecuteRun(RunContext& ctx, const ExecutionRequest& req) {
  std::unique_ptr<Strategy> strategy = MakeStrategy(ctx, req);
  CAIRN_RETURN_IF_ERROR(strategy->Check());
  v1::Event e = ctx.NewEvent();
  auto* rs = e.mutable_run_started();
  rs->set_direction(req.direction);
  rs->set_mode(req.prepare ? v1::TRANSACTION_MODE_ALL : req.mode);
  for (const Migration* m : req.plan) rs->add_planned_migration_ids(m->id);
  rs->set_command_line(req.command_line);
  if (req.target) rs->set_target_id(*req.target);
  rs->set_prepare(req.prepare);
  rs->set_lock_wait_micros(req.lock_wait_micros);
  rs->MergeFrom(req.run_started_extra);
  std::vector<v1::Event> first = {e};
  // A run that died without recording its end (killed, connection lost):
  // no run can be going on while this one holds the runner lock, so its end
  // is recorded here, in the transaction of this run's RunStarted and just
  // before it (docs/transactions.md, "Interrupted runs").
  if (req.state != nullptr && !req.state->last_run.run_id.empty() &&
      req.state->last_run.finished_at == 0) {
    v1::Event dead = ctx.NewEvent();
    dead.set_run_id(req.state->last_run.run_id);
    auto* rf = dead.mutable_run_finished();
    rf->set_outcome(v1::RUN_OUTCOME_INTERRUPTED);
    rf->set_error_message(
        "the run ended without recording its end (killed, or its connection was lost); recorded "
        "by the next run, " +
        ctx.report().run_id + ", before it started");
    first.insert(first.begin(), std::move(dead));
  }
  CAIRN_RETURN_IF_ERROR(ctx.Record(first));
  spdlog::info("run {} started: {} {} migration(s), --tx {}{}", ctx.report().run_id,
               req.direction == v1::DIRECTION_UP ? "applying" : "rolling back", req.plan.size(),
               req.mode == v1::TRANSACTION_MODE_ALL    ? "all"
               : req.mode == v1::TRANSACTION_MODE_NONE ? "none"
                                                       : "per-migration",
               req.prepare ? " --prepare" : "");
  return strategy->Run();
}

}  // namespace cairn::runner

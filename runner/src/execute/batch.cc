// The batch executor (docs/data-migrations.md): batched SQL sections and the
// loops of C++ steps, each batch committed with its BatchApplied event.
#include "execute/batch.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include "cairn/base/hash.h"
#include "execute/interrupt.h"

namespace cairn::runner {
namespace {

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_wake_fd = -1;  // written to on a stop (interrupt.h)

extern "C" void OnStopSignal(int sig) {
  g_stop = sig;
  const int fd = g_wake_fd;
  if (fd >= 0) {
    const char c = 1;
    (void)!write(fd, &c, 1);
  }
}

using Clock = std::chrono::steady_clock;

double MillisSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// Rows done of an estimated total, on stderr: a bar redrawn in place on a
// terminal, a line every 2 seconds otherwise.
class Progress {
 public:
  Progress(ProgressMode mode, std::string label, int64_t total)
      : label_(std::move(label)), total_(total), start_(Clock::now()), last_(start_) {
    if (mode == ProgressMode::kAuto)
      mode = isatty(STDERR_FILENO) ? ProgressMode::kBar : ProgressMode::kLog;
    mode_ = mode;
  }
  void Add(int64_t rows) {
    done_ += rows;
    if (mode_ == ProgressMode::kOff) return;
    const auto now = Clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (mode_ == ProgressMode::kBar ? since >= 0.1 : since >= 2.0) {
      last_ = now;
      Print(false);
    }
  }
  void Finish() {
    if (mode_ == ProgressMode::kOff) return;
    Print(true);
    drawn_ = false;
  }
  // An interrupted loop leaves a bar line open: end it, so that the message
  // that follows starts on a line of its own.
  ~Progress() {
    if (drawn_) std::fputc('\n', stderr);
  }

 private:
  void Print(bool final) {
    const double secs =
        std::max(1e-3, std::chrono::duration<double>(Clock::now() - start_).count());
    const double rate = done_ / secs;
    const int64_t total = std::max(total_, done_);
    const double pct = total > 0 ? 100.0 * done_ / total : 100.0;
    std::string eta = "-";
    if (rate > 0 && total > done_)
      eta = std::to_string(static_cast<int64_t>((total - done_) / rate)) + "s";
    if (final) eta = "done";
    if (mode_ == ProgressMode::kBar) {
      drawn_ = !final;
      constexpr int kWidth = 24;
      const int filled = static_cast<int>(kWidth * pct / 100.0);
      std::string bar(filled, '#');
      bar.append(kWidth - filled, '.');
      std::fprintf(stderr, "\r%s  [%s] %5.1f%%  %lld/%lld rows  %.0f rows/s  ETA %s%s",
                   label_.c_str(), bar.c_str(), pct, static_cast<long long>(done_),
                   static_cast<long long>(total), rate, eta.c_str(), final ? "\n" : "   ");
    } else {
      std::fprintf(stderr, "cairn: %s: %lld/%lld rows (%.1f%%), %.0f rows/s, ETA %s\n",
                   label_.c_str(), static_cast<long long>(done_), static_cast<long long>(total),
                   pct, rate, eta.c_str());
    }
    std::fflush(stderr);
  }

  ProgressMode mode_;
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool drawn_ = false;  // a bar line is open (no newline yet)
  Clock::time_point start_, last_;
};

// Sleeps `ms`, waking early when a stop is requested.
void Pause(int64_t ms) {
  const auto until = Clock::now() + std::chrono::milliseconds(ms);
  while (!StopRequested() && Clock::now() < until)
    std::this_thread::sleep_for(
        std::min<Clock::duration>(std::chrono::milliseconds(20), until - Clock::now()));
}

v1::StorageType StorageTypeOf(const Migration& m) {
  if (m.step && !m.step->uses.collections.empty() && m.step->uses.tables.empty())
    return v1::STORAGE_TYPE_DOCUMENT;
  if (m.step && !m.step->uses.creates_collections.empty() && m.step->uses.tables.empty())
    return v1::STORAGE_TYPE_DOCUMENT;
  return v1::STORAGE_TYPE_TABLE;
}

}  // namespace

int64_t AdaptBatchSize(int64_t size, double took_ms, int64_t target_ms) {
  if (target_ms <= 0) return size;
  const double ideal = static_cast<double>(size) * target_ms / std::max(took_ms, 1.0);
  int64_t next = std::llround(ideal);
  next = std::clamp<int64_t>(next, std::max<int64_t>(1, size / 2), size * 2);
  return std::clamp<int64_t>(next, 1, 1000000);
}

StopSignalScope::StopSignalScope(bool enabled) : enabled_(enabled) {
  if (!enabled_) return;
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;  // a second signal gets the default action: the process ends
  sigaction(SIGINT, &sa, &old_int_);
  sigaction(SIGTERM, &sa, &old_term_);
}

StopSignalScope::~StopSignalScope() {
  if (!enabled_) return;
  sigaction(SIGINT, &old_int_, nullptr);
  sigaction(SIGTERM, &old_term_, nullptr);
}

void RequestStop() { g_stop = SIGINT; }

int StopSignal() { return g_stop; }
bool StopRequested() { return g_stop != 0; }
void ClearStopRequest() { g_stop = 0; }

namespace internal {

void SetStopWakeFd(int fd) { g_wake_fd = fd; }

bool IsDataStep(const Migration& m, v1::Direction direction) {
  if (m.step) return true;
  const bool up = direction == v1::DIRECTION_UP;
  return up ? m.up.batch.has_value() : (m.down && m.down->batch.has_value());
}

LoopEngine::LoopEngine(StepEnv& env, const Migration& m, v1::Direction direction,
                       ledger::BatchProgress progress, v1::StorageType storage_type)
    : env_(env),
      m_(m),
      direction_(direction),
      progress_(std::move(progress)),
      storage_type_(storage_type),
      batch_number_(progress_.batches),
      rows_(progress_.rows) {}

LoopEngine::~LoopEngine() = default;

Status LoopEngine::RecordDestinationProgress(db::Connection& dest, int32_t loop,
                                             const std::string& cursor, int64_t rows) {
  return dest
      .Execute(
          "INSERT INTO cairn_copy_progress (stream, migration_id, direction, loop, last_key, "
          "rows, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (stream, "
          "migration_id, direction, loop) DO UPDATE SET last_key = excluded.last_key, rows = "
          "cairn_copy_progress.rows + excluded.rows, updated_at = excluded.updated_at",
          {db::Value(env_.stream), db::Value(m_.id), db::Value(static_cast<int>(direction_)),
           db::Value(loop), db::Value(cursor), db::Value(rows),
           db::Value(ledger::FormatMicros(ledger::NowMicros()))})
      .status();
}

Status LoopEngine::Run(const LoopDef& def) {
  const int32_t loop = next_loop_++;
  db::Value after = def.key.bottom;
  if (auto it = progress_.cursor.find(loop); it != progress_.cursor.end()) {
    after = catalog::CursorValue(def.key, it->second);
    spdlog::info("{}: resuming loop {} after key {} ({} batches committed before)", m_.id, loop,
                 it->second, progress_.batches);
  }
  int64_t size = env_.options.batch_size > 0 ? env_.options.batch_size : def.default_size;
  int64_t total = 0;
  if (def.count_after) {
    auto n = def.count_after(after);
    if (n.ok()) total = *n;
  }
  const bool same_db = def.dest == &env_.conn;
  if (!same_db) {
    CAIRN_RETURN_IF_ERROR(def.dest
                              ->Execute("CREATE TABLE IF NOT EXISTS cairn_copy_progress ("
                                        "stream TEXT NOT NULL, migration_id TEXT NOT NULL, "
                                        "direction INTEGER NOT NULL, loop INTEGER NOT NULL, "
                                        "last_key TEXT NOT NULL, rows BIGINT NOT NULL, "
                                        "updated_at TEXT NOT NULL, PRIMARY KEY (stream, "
                                        "migration_id, direction, loop))")
                              .status());
  }
  Progress progress(env_.options.progress, def.label, total);
  auto batch_event = [&](const db::Value& upto, int64_t rows, double took_ms) {
    v1::Event e = env_.make_event();
    auto* b = e.mutable_batch_applied();
    b->set_migration_id(m_.id);
    b->set_cursor(upto.AsText());
    b->set_rows(rows);
    b->set_batch_number(batch_number_ + 1);
    b->set_direction(direction_);
    b->set_loop(loop);
    b->set_storage_type(storage_type_);
    b->set_duration_micros(static_cast<int64_t>(took_ms * 1000));
    b->set_batch_size(size);
    return e;
  };
  for (bool first = true;; first = false) {
    if (StopRequested()) return CancelledError("interrupted");
    if (!first && env_.options.pause_ms > 0) {
      Pause(env_.options.pause_ms);
      if (StopRequested()) return CancelledError("interrupted");
    }
    const int64_t head_before = *env_.expected_head;
    const auto t0 = Clock::now();
    db::Value upto;
    int64_t rows = 0;
    double took_ms = 0;
    if (same_db) {
      auto tx = env_.begin();
      if (!tx.ok()) return fatal_ = tx.status();
      CAIRN_ASSIGN_OR_RETURN(bool more, def.fetch(after, size, &upto));
      if (!more) break;  // the transaction rolls back: it changed nothing
      auto written = def.write(env_.conn, after, upto);
      if (!written.ok()) {
        *env_.expected_head = head_before;
        return written.status();
      }
      rows = *written;
      Status s = env_.append(**tx, batch_event(upto, rows, MillisSince(t0)));
      if (s.ok()) s = (*tx)->Commit();
      if (!s.ok()) {
        *env_.expected_head = head_before;
        return fatal_ = s.Annotate("batch " + std::to_string(batch_number_ + 1));
      }
      took_ms = MillisSince(t0);
    } else {
      // The destination commits its writes and its own progress first; the
      // ledger follows. A crash in between re-sends this batch, which the
      // destination's upsert absorbs.
      CAIRN_ASSIGN_OR_RETURN(bool more, def.fetch(after, size, &upto));
      if (!more) break;
      {
        CAIRN_ASSIGN_OR_RETURN(auto dtx, def.dest->Begin());
        CAIRN_ASSIGN_OR_RETURN(rows, def.write(*def.dest, after, upto));
        CAIRN_RETURN_IF_ERROR(RecordDestinationProgress(*def.dest, loop, upto.AsText(), rows));
        CAIRN_RETURN_IF_ERROR(dtx->Commit());
      }
      took_ms = MillisSince(t0);
      auto tx = env_.begin();
      if (!tx.ok()) return fatal_ = tx.status();
      Status s = env_.append(**tx, batch_event(upto, rows, took_ms));
      if (s.ok()) s = (*tx)->Commit();
      if (!s.ok()) {
        *env_.expected_head = head_before;
        return fatal_ = s.Annotate("batch " + std::to_string(batch_number_ + 1));
      }
    }
    ++batch_number_;
    rows_ += rows;
    longest_ms_ = std::max(longest_ms_, took_ms);
    spdlog::debug("{}: batch {} cursor {} rows {} size {} in {:.1f} ms", m_.id, batch_number_,
                  upto.AsText(), rows, size, took_ms);
    progress.Add(rows);
    after = upto;
    size = AdaptBatchSize(size, took_ms, env_.options.target_batch_ms);
  }
  progress.Finish();
  return Status::Ok();
}

namespace {

// The loop of a batched SQL section: the statement over (after, upto].
Status RunSqlSection(LoopEngine& engine, const Migration& m, const Section& section) {
  StepEnv& env = engine.env();
  const BatchSpec& spec = *section.batch;
  db::Connection& conn = env.conn;
  CAIRN_ASSIGN_OR_RETURN(std::string type, catalog::ColumnType(conn, spec.table, spec.key));
  LoopDef def;
  def.label = m.id + " " + m.name;
  def.source = def.dest = &conn;
  def.key = catalog::KeyKindOf(conn.backend(), type);
  def.default_size = spec.size;
  const std::string t = db::QuoteIdentifier(spec.table), k = db::QuoteIdentifier(spec.key);
  // The start value must be below every key: refuse a table that holds it.
  CAIRN_ASSIGN_OR_RETURN(
      auto at_bottom,
      conn.Query("SELECT count(*) FROM " + t + " WHERE " + k + " = $1", {def.key.bottom}));
  if (!at_bottom.empty() && at_bottom[0][0].AsInt() > 0)
    return FailedPreconditionError(spec.table + "." + spec.key + " holds the key '" +
                                   def.key.bottom.AsText() +
                                   "', which cairn uses as the start of the first range");
  const std::string count_sql = "SELECT count(*) FROM " + t + " WHERE " + k + " > $1";
  const std::string upto_sql = "SELECT max(" + k + ") FROM (SELECT " + k + " FROM " + t +
                               " WHERE " + k + " > $1 ORDER BY " + k + " LIMIT $2) AS b";
  def.count_after = [&](const db::Value& after) -> StatusOr<int64_t> {
    CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(count_sql, {after}));
    return rows.empty() ? 0 : rows[0][0].AsInt();
  };
  def.fetch = [&](const db::Value& after, int64_t size, db::Value* upto) -> StatusOr<bool> {
    CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query(upto_sql, {after, db::Value(size)}));
    if (rows.empty() || rows[0][0].is_null()) return false;
    *upto = rows[0][0];
    return true;
  };
  def.write = [&](db::Connection& c, const db::Value& after,
                  const db::Value& upto) -> StatusOr<int64_t> {
    return c.Execute(spec.bound_sql, {after, upto});
  };
  return engine.Run(def);
}

}  // namespace

StatusOr<bool> RunDataStep(StepEnv& env, const Migration& m, v1::Direction direction,
                           const ledger::StreamState& state, RunReport* report) {
  const bool up = direction == v1::DIRECTION_UP;
  const v1::StorageType storage_type = StorageTypeOf(m);
  ledger::BatchProgress progress;
  if (auto it = state.migrations.find(m.id); it != state.migrations.end()) {
    if (it->second.progress.active && it->second.progress.direction == direction)
      progress = it->second.progress;
  }
  const bool resumed = progress.active;
  const auto t0 = Clock::now();

  v1::Event started = env.make_event();
  auto* ms = started.mutable_migration_started();
  ms->set_migration_id(m.id);
  ms->set_description(m.description);
  ms->set_checksum(m.checksum);
  ms->set_direction(direction);
  ms->set_storage_type(storage_type);
  ms->set_file(m.file);
  ms->set_resumed(resumed);
  {
    CAIRN_ASSIGN_OR_RETURN(auto tx, env.begin());
    CAIRN_RETURN_IF_ERROR(env.append(*tx, started));
    CAIRN_RETURN_IF_ERROR(tx->Commit());
  }
  if (resumed)
    spdlog::warn("{} ({}): resuming after batch {} ({} rows done)", m.id, m.description,
                 progress.batches, progress.rows);

  StopSignalScope signals(env.options.stop_on_signals);
  LoopEngine engine(env, m, direction, progress, storage_type);
  Status s;
  if (m.step) {
    const StepFn& fn = up ? m.step->up : m.step->down;
    std::unique_ptr<DataContext> ctx = MakeDataContext(engine);
    s = fn ? fn(*ctx) : FailedPreconditionError("migration " + m.id + " has no down step");
  } else {
    s = RunSqlSection(engine, m, up ? m.up : *m.down);
  }
  if (!engine.fatal().ok()) return engine.fatal();
  if (s.code() == StatusCode::kUnavailable) return s.Annotate("migration " + m.id);

  auto record = [&](std::vector<v1::Event> events) -> Status {
    CAIRN_ASSIGN_OR_RETURN(auto tx, env.begin());
    for (const v1::Event& e : events) CAIRN_RETURN_IF_ERROR(env.append(*tx, e));
    return tx->Commit();
  };
  auto run_finished = [&](v1::RunOutcome outcome, const std::string& error) {
    v1::Event e = env.make_event();
    auto* rf = e.mutable_run_finished();
    rf->set_outcome(outcome);
    rf->set_migrations_applied(static_cast<int32_t>(report->applied.size()));
    rf->set_migrations_rolled_back(static_cast<int32_t>(report->rolled_back.size()));
    rf->set_error_message(error);
    return e;
  };
  const int64_t micros =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();

  if (s.ok()) {
    v1::Event done = env.make_event();
    if (up) {
      auto* mc = done.mutable_migration_committed();
      mc->set_migration_id(m.id);
      mc->set_duration_micros(micros);
      mc->set_statements_executed(engine.batches());
      mc->set_direction(direction);
    } else {
      auto* mr = done.mutable_migration_rolled_back();
      mr->set_migration_id(m.id);
      mr->set_reason(env.reason);
      mr->set_duration_micros(micros);
      mr->set_statements_executed(engine.batches());
    }
    CAIRN_RETURN_IF_ERROR(record({done}));
    (up ? report->applied : report->rolled_back).push_back(m.id);
    spdlog::info("{} {} ({}): {} rows in {} batches, longest batch transaction {:.1f} ms",
                 up ? "applied" : "rolled back", m.id, m.description, engine.rows(),
                 engine.batches(), engine.longest_batch_ms());
    return true;
  }
  if (s.code() == StatusCode::kCancelled && StopRequested()) {
    CAIRN_RETURN_IF_ERROR(record({run_finished(
        v1::RUN_OUTCOME_INTERRUPTED,
        "interrupted in migration " + m.id + " after batch " + std::to_string(engine.batches()))}));
    report->outcome = v1::RUN_OUTCOME_INTERRUPTED;
    spdlog::warn("{}: interrupted after batch {} ({} rows); run migrate again to resume", m.id,
                 engine.batches(), engine.rows());
    return false;
  }
  const Section* section = m.step ? nullptr : (up ? &m.up : &*m.down);
  Failure f;
  f.migration_id = m.id;
  f.file = section ? FileOf(m, *section) : m.path;
  f.line = section ? section->batch->line + 1 : 0;
  f.statement = section ? std::string(section->batch->bound_sql) : "";
  f.message = s.message();
  report->failure = f;
  report->outcome = v1::RUN_OUTCOME_FAILED;
  spdlog::error("{}:{}: migration {} failed after batch {}: {}", f.file, f.line, m.id,
                engine.batches(), f.message);
  v1::Event failed = env.make_event();
  auto* mf = failed.mutable_migration_failed();
  mf->set_migration_id(m.id);
  mf->set_direction(direction);
  mf->set_error_message(f.message);
  mf->set_file(m.file);
  mf->set_line(f.line);
  mf->set_statement(f.statement);
  mf->set_duration_micros(micros);
  CAIRN_RETURN_IF_ERROR(
      record({failed, run_finished(v1::RUN_OUTCOME_FAILED, m.file + ": " + f.message)})
          .Annotate("cannot record the failure of " + m.id));
  return false;
}

}  // namespace internal
}  // namespace cairn::runner

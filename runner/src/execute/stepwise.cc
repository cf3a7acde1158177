// The stepwise executor (docs/transactions.md, "Progress outside a
// transaction"): a section outside one transaction, every statement's
// completion in the ledger, so an interrupted run can always be finished.
#include "execute/stepwise.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>

#include "cairn/db/sql_splitter.h"
#include "cairn/runner/batch_options.h"
#include "source/directives.h"
#include "source/section_text.h"

namespace cairn::runner::internal {
namespace {

constexpr size_t kIntentTextLimit = 1000;

using Clock = std::chrono::steady_clock;

// `text` cut to at most `limit` bytes, not inside a UTF-8 sequence.
std::string Cut(std::string_view text, size_t limit) {
  if (text.size() <= limit) return std::string(text);
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut));
}

// Why `statement` cannot run in a transaction (empty when it can), by the
// same rules as a whole section (directives.h).
std::string RefusedInTransaction(std::string_view statement, db::Backend backend,
                                 int server_version) {
  Migration probe;
  Section one;
  one.sql = std::string(statement);
  one.first_line = 1;
  return NoTransactionReason(probe, one, backend, server_version);
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The index a CREATE/DROP INDEX CONCURRENTLY statement names, unquoted, and
// whether it creates it; nullopt for any other statement or one without a
// name.
struct IndexStatement {
  bool create = false;
  std::string name;
};
std::optional<IndexStatement> ParseIndexStatement(std::string_view statement) {
  std::vector<db::SqlToken> words;
  for (const db::SqlToken& t : db::TokenizeSql(statement))
    if (t.kind != db::SqlTokenKind::kComment) words.push_back(t);
  size_t i = 0;
  auto word = [&](size_t k) {
    return k < words.size() && words[k].kind == db::SqlTokenKind::kWord ? Upper(words[k].text)
                                                                        : std::string();
  };
  IndexStatement out;
  if (word(i) == "CREATE") {
    out.create = true;
    ++i;
    if (word(i) == "UNIQUE") ++i;
  } else if (word(i) != "DROP") {
    return std::nullopt;
  } else {
    ++i;
  }
  if (word(i++) != "INDEX" || word(i++) != "CONCURRENTLY") return std::nullopt;
  if (word(i) == "IF") i += word(i + 1) == "NOT" ? 3 : 2;  // IF [NOT] EXISTS
  if (i >= words.size() || (out.create && word(i) == "ON")) return std::nullopt;
  // DROP may name schema.index; the last part is the index.
  while (i + 2 < words.size() && words[i + 1].text == ".") i += 2;
  const db::SqlToken& name = words[i];
  if (name.kind == db::SqlTokenKind::kIdentifier) {
    std::string n;
    std::string_view q = name.text.substr(1, name.text.size() - 2);
    for (size_t k = 0; k < q.size(); ++k) {
      n += q[k];
      if (q[k] == '"' && k + 1 < q.size() && q[k + 1] == '"') ++k;
    }
    out.name = n;
  } else if (name.kind == db::SqlTokenKind::kWord) {
    std::string n(name.text);
    for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.name = n;
  } else {
    return std::nullopt;
  }
  return out;
}

// Before running again a statement that was announced (INTENT) and never
// reported done: what the catalog says of it. Returns true when the
// statement's effect is complete and it must not run again. A CREATE INDEX
// CONCURRENTLY killed part way leaves an INVALID index, which is dropped so
// the statement can build it again (PostgreSQL's documentation, CREATE INDEX,
// "Building Indexes Concurrently").
StatusOr<bool> SettleAnnounced(db::Connection& conn, const Migration& m, std::string_view text) {
  if (conn.backend() != db::Backend::kPostgres) return false;
  std::optional<IndexStatement> idx = ParseIndexStatement(text);
  if (!idx) return false;  // VACUUM and the like: running again is harmless
  CAIRN_ASSIGN_OR_RETURN(
      auto rows,
      conn.Query("SELECT i.indisvalid FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class "
                 "c ON c.oid = i.indexrelid WHERE c.relname = $1 AND "
                 "pg_catalog.pg_table_is_visible(c.oid)",
                 {db::Value(idx->name)}));
  if (!idx->create) {
    if (rows.empty()) spdlog::warn("{}: index {} is already dropped", m.id, idx->name);
    return rows.empty();
  }
  if (rows.empty()) return false;
  if (rows[0][0].AsInt() != 0 || rows[0][0].AsText() == "t" || rows[0][0].AsText() == "true") {
    spdlog::warn("{}: index {} was built by the interrupted run (it is valid)", m.id, idx->name);
    return true;
  }
  spdlog::warn(
      "{}: index {} was left INVALID by the interrupted run: dropping it to build it again", m.id,
      idx->name);
  CAIRN_RETURN_IF_ERROR(
      conn.Execute("DROP INDEX CONCURRENTLY IF EXISTS " + db::QuoteIdentifier(idx->name)).status());
  return false;
}

v1::Event Progress(RunContext& ctx, const Migration& m, v1::Direction d, int64_t done,
                   v1::StatementPhase phase, int line, std::string_view text) {
  v1::Event e = ctx.NewEvent();
  auto* sc = e.mutable_statements_committed();
  sc->set_migration_id(m.id);
  sc->set_direction(d);
  sc->set_statements_done(done);
  sc->set_phase(phase);
  sc->set_line(line);
  if (phase == v1::STATEMENT_PHASE_INTENT) sc->set_statement(Cut(text, kIntentTextLimit));
  return e;
}

}  // namespace

Status ForEachSectionStatement(const Migration& m, const Section& section, db::Backend backend,
                               const std::function<bool(const SectionStatement&)>& visit) {
  // SQLite: the pieces of a statement not complete yet (a trigger body),
  // joined with the ';' the splitter cut them at.
  std::string pending;
  int pending_line = 0;
  size_t pending_offset = 0;
  Status s = source::ForEachStatement(m, section, [&](const db::SqlStatement& st) {
    const int line = static_cast<int>(st.line);
    if (backend == db::Backend::kSqlite) {
      if (pending.empty()) {
        pending_offset = st.offset;
        pending_line = line;
      } else {
        pending += ";\n";
      }
      pending.append(st.text);
      if (!sqlite3_complete((pending + ";").c_str())) return true;
      const std::string text = std::move(pending);
      pending.clear();
      return visit({pending_offset, text, pending_line});
    }
    return visit({st.offset, st.text, line});
  });
  CAIRN_RETURN_IF_ERROR(s);
  // Incomplete at the end: SQLite reports the error when it runs.
  if (!pending.empty()) visit({pending_offset, pending, pending_line});
  return Status::Ok();
}

const ledger::BatchProgress* StepwiseResume(const ledger::StreamState* state, const Migration& m,
                                            v1::Direction d) {
  if (state == nullptr) return nullptr;
  auto it = state->migrations.find(m.id);
  if (it == state->migrations.end()) return nullptr;
  const ledger::BatchProgress& p = it->second.progress;
  if (!p.active || p.direction != d || p.batches > 0 || p.checksum != m.checksum) return nullptr;
  if (p.statements == 0 && p.intent.empty()) return nullptr;
  return &p;
}

StepResult RunStepwise(RunContext& ctx, const Migration& m, v1::Direction d,
                       const std::string& reason, const ledger::BatchProgress* resume) {
  const Section& section = SectionFor(m, d);
  db::Connection& conn = ctx.conn();
  const auto t0 = Clock::now();
  StepResult r;
  auto fatal = [&](Status s) {
    r.status = std::move(s);
    r.fatal = true;
    r.micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
    return r;
  };
  const int64_t skip = resume ? resume->statements : 0;
  const bool announced = resume && !resume->intent.empty();
  v1::Event started = ctx.Started(m, d, true);
  started.mutable_migration_started()->set_resumed(resume != nullptr);
  if (Status s = ctx.Record({started}); !s.ok()) return fatal(s);
  if (resume)
    spdlog::warn(
        "{} ({}): continuing with statement {} of its {} section ({} committed by an "
        "interrupted run)",
        m.id, m.description, skip + 1, d == v1::DIRECTION_DOWN ? "down" : "up", skip);

  r.executed = skip;
  int64_t index = 0;  // of the statement being visited
  std::optional<StepResult> fatal_result;
  auto fail_fatal = [&](Status s) {
    fatal_result = fatal(std::move(s));
    return false;
  };
  Status read =
      ForEachSectionStatement(m, section, conn.backend(), [&](const SectionStatement& st) {
        const int64_t i = index++;
        if (i < skip) return true;  // committed by the interrupted run
        if (StopRequested()) {
          r.status = CancelledError("interrupted after statement " + std::to_string(i));
          return false;
        }
        const int64_t done = i + 1;
        Section one;
        one.sql = std::string(st.text);
        one.first_line = st.line;
        auto failed = [&](StepResult& step) {
          r.status = step.status;
          r.where = step.where;
          r.where_line = step.where_line;
          r.where.offset = st.offset;
          if (r.where.statement.empty()) r.where.statement = source::CutStatement(st.text);
        };
        if (RefusedInTransaction(st.text, conn.backend(), ctx.server_version()).empty()) {
          const int64_t head_before = ctx.head();
          auto tx = ctx.Begin();
          if (!tx.ok()) return fail_fatal(tx.status());
          StepResult step = ctx.RunSql(m, one);
          if (!step.status.ok()) {
            tx->reset();  // rolls back: nothing of this statement remains
            if (step.status.code() == StatusCode::kUnavailable)
              return fail_fatal(step.status.Annotate("migration " + m.id));
            failed(step);
            return false;
          }
          Status s = ctx.Append(
              **tx, Progress(ctx, m, d, done, v1::STATEMENT_PHASE_COMMITTED, st.line, ""));
          if (s.ok()) s = (*tx)->Commit();
          if (!s.ok()) {
            ctx.ResetHead(head_before);
            return fail_fatal(s.Annotate("migration " + m.id + ": statement at line " +
                                         std::to_string(st.line) + " did not commit"));
          }
          r.executed = done;
          return true;
        }
        // Cannot run in a transaction: announce it, run it, report it done.
        bool complete = false;
        if (announced && i == skip) {
          auto settled = SettleAnnounced(conn, m, st.text);
          if (!settled.ok()) return fail_fatal(settled.status().Annotate("migration " + m.id));
          complete = *settled;
        }
        if (!complete) {
          if (Status s = ctx.Record(
                  {Progress(ctx, m, d, done - 1, v1::STATEMENT_PHASE_INTENT, st.line, st.text)});
              !s.ok())
            return fail_fatal(s);
          StepResult step = ctx.RunSql(m, one);
          if (!step.status.ok()) {
            if (step.status.code() == StatusCode::kUnavailable)
              return fail_fatal(step.status.Annotate("migration " + m.id));
            failed(step);
            return false;
          }
        }
        if (Status s =
                ctx.Record({Progress(ctx, m, d, done, v1::STATEMENT_PHASE_DONE, st.line, "")});
            !s.ok())
          return fail_fatal(s.Annotate("migration " + m.id + ": statement at line " +
                                       std::to_string(st.line) +
                                       " ran outside a transaction but its completion could not be "
                                       "recorded; the next run checks it again"));
        r.executed = done;
        return true;
      });
  if (fatal_result) return *fatal_result;
  if (!read.ok() && r.status.ok()) {
    // The file could not be read back (or changed since it was parsed).
    r.status = read;
    r.where.message = read.message();
  }
  r.micros = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
  if (!r.status.ok()) return r;
  if (Status s = ctx.Record({ctx.Done(m, d, r, reason)}); !s.ok())
    return fatal(s.Annotate("migration " + m.id +
                            " ran outside a transaction but its outcome could not be recorded; "
                            "every statement did, and the next run finds nothing left to do"));
  return r;
}

}  // namespace cairn::runner::internal

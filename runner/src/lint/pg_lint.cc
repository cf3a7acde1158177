#include "pg_lint.h"

#include "cairn/db/sql_splitter.h"
#include "pg_parse.h"
#include "statement_facts.h"

namespace cairn::runner::lint {
namespace {

// ALTER TABLE's subcommands have no location in the tree; they are the
// comma-separated actions after the table name, so find the commas outside
// parentheses with the splitter's tokenizer.
std::vector<size_t> AlterCommandOffsets(std::string_view text, size_t relation_at) {
  std::vector<size_t> out;
  const std::vector<db::SqlToken> toks = db::TokenizeSql(text);
  size_t i = 0;
  while (i < toks.size() && toks[i].offset < relation_at) ++i;
  // The (qualified) name: word or "quoted" parts joined by '.'.
  while (i < toks.size()) {
    ++i;
    if (i < toks.size() && toks[i].kind == db::SqlTokenKind::kSymbol && toks[i].text == ".") {
      ++i;
      continue;
    }
    break;
  }
  while (i < toks.size() && (toks[i].kind == db::SqlTokenKind::kComment || toks[i].text == "*"))
    ++i;
  if (i < toks.size()) out.push_back(toks[i].offset);
  int depth = 0;
  for (; i < toks.size(); ++i) {
    if (toks[i].kind != db::SqlTokenKind::kSymbol) continue;
    if (toks[i].text == "(") ++depth;
    if (toks[i].text == ")") --depth;
    if (depth == 0 && toks[i].text == ",") {
      size_t j = i + 1;
      while (j < toks.size() && toks[j].kind == db::SqlTokenKind::kComment) ++j;
      if (j < toks.size()) out.push_back(toks[j].offset);
    }
  }
  return out;
}

}  // namespace

PgLinter::PgLinter(const PgLintOptions& options) : enabled_(options.enabled) {
  state_.server_version = options.server_version;
  state_.created = options.created_before;
  state_.lock_timeout_set = options.lock_timeout_directive;
  state_.statement_timeout_set = options.statement_timeout_directive;
  state_.file_in_transaction = !options.no_transaction;
  state_.batch_section = options.batch_section;
  runs_outside_transaction_ = options.no_transaction;
}

void PgLinter::Emit(const PgStatementInput& in, std::string_view rule, size_t offset,
                    std::string message, std::vector<PgFinding>* out) {
  const RuleInfo* info = FindRule(rule);
  if (info == nullptr) return;
  if (info->severity == Severity::kHint && !enabled_.count(std::string(rule)) &&
      !enabled_.count("all"))
    return;
  PgFinding f{offset,
              in.line_of(offset),
              in.column_of ? in.column_of(offset) : 1,
              std::string(rule),
              std::move(message),
              in.statement,
              state_.reporting_on.empty() ? table_ : state_.reporting_on};
  if (rule == "prefer-robust-stmts")
    outside_only_.push_back(std::move(f));
  else if (rule == "transaction-nesting" || rule == "enum-value-used-before-commit")
    inside_only_.push_back(std::move(f));
  else
    out->push_back(std::move(f));
}

void PgLinter::Statement(const PgStatementInput& in, std::vector<PgFinding>* out) {
  const std::string_view text = in.text;
  PgParsed parsed = ParsePostgres(text);
  table_.clear();
  if (parsed.error) {
    Emit(in, "parse-error", in.base + parsed.error->offset,
         "statement at " + std::to_string(in.line_of(in.base)) +
             " does not parse: " + parsed.error->message,
         out);
    return;
  }
  for (const nlohmann::json& node : parsed.statements) {
    const StatementFacts facts = ClassifyStatement(node, state_.server_version);
    table_ = facts.table;
    if (!facts.runs_in_transaction) runs_outside_transaction_ = true;
    const nlohmann::json& body = NodeBody(node);
    StatementView view{facts.kind, body, facts, text, {}};
    if (facts.kind == "AlterTableStmt")
      view.cmd_offsets =
          AlterCommandOffsets(text, static_cast<size_t>(Int(Member(body, "relation"), "location")));
    const Report report = [&](std::string_view rule, size_t offset, std::string message) {
      Emit(in, rule, in.base + std::min(offset, text.size()), std::move(message), out);
    };
    CheckTransactions(view, state_, report);
    CheckIndexes(view, state_, report);
    CheckAlterTable(view, state_, report);
    CheckDestructive(view, state_, report);
    CheckTypes(view, state_, report);
    CheckNames(view, state_, report);
    CheckDataChanges(view, state_, report);
    Advance(view, state_);
  }
}

void PgLinter::Finish(std::vector<PgFinding>* out) {
  for (PgFinding& f : runs_outside_transaction_ ? outside_only_ : inside_only_)
    out->push_back(std::move(f));
  outside_only_.clear();
  inside_only_.clear();
}

}  // namespace cairn::runner::lint

// Internal: lints the up section of one PostgreSQL migration, statement by
// statement, on PostgreSQL's parse tree (pg_parse.h). lint.cc splits the
// file, maps offsets to lines and applies lint-ignore comments; this class
// parses, classifies (statement_facts.h), runs the rules (rules/) and keeps
// what the migration did so far (tables it created are exempt from the
// locking rules).
#ifndef CAIRN_RUNNER_SRC_LINT_PG_LINT_H_
#define CAIRN_RUNNER_SRC_LINT_PG_LINT_H_

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "rules/rules.h"

namespace cairn::runner::lint {

struct PgLintOptions {
  int server_version = 150000;               // the target's server_version_num
  bool no_transaction = false;               // -- cairn:no-transaction
  bool lock_timeout_directive = false;       // -- cairn:lock-timeout
  bool statement_timeout_directive = false;  // -- cairn:statement-timeout
  bool batch_section = false;                // the up section is a -- cairn:batch section
  std::set<std::string> enabled;             // hint rules switched on ("all": every one)
  // Tables and indexes created by unapplied migrations that run before this
  // one: exempt from the locking rules as the file's own creations are.
  std::set<std::string> created_before;
};

struct PgFinding {
  size_t offset = 0;  // file offset (the `base` given with the statement + offset in it)
  int line = 0;       // of `offset`
  int column = 0;     // of `offset`: 1-based, in Unicode code points
  std::string rule;
  std::string message;
  std::string statement;  // as given with the statement
  std::string table;      // the table (or index) the statement locks; "" if none
};

// One statement of the up section, as the splitter gives it.
struct PgStatementInput {
  std::string_view text;                 // without the ';'
  size_t base = 0;                       // file offset of text[0]
  std::function<int(size_t)> line_of;    // file offset -> 1-based line
  std::function<int(size_t)> column_of;  // file offset -> 1-based column (code points)
  std::string statement;                 // what findings quote (whitespace collapsed)
};

class PgLinter {
 public:
  explicit PgLinter(const PgLintOptions& options);

  void Statement(const PgStatementInput& in, std::vector<PgFinding>* out);
  // Findings that depend on the whole file (whether it runs in a transaction).
  void Finish(std::vector<PgFinding>* out);
  // The tables and indexes created so far, with created_before.
  const std::set<std::string>& created() const { return state_.created; }

 private:
  void Emit(const PgStatementInput& in, std::string_view rule, size_t offset, std::string message,
            std::vector<PgFinding>* out);

  std::set<std::string> enabled_;
  MigrationState state_;
  std::string table_;  // of the statement being checked
  bool runs_outside_transaction_ = false;
  std::vector<PgFinding> outside_only_;  // kept if the file runs outside a transaction
  std::vector<PgFinding> inside_only_;   // kept if it runs in one
};

}  // namespace cairn::runner::lint

#endif  // CAIRN_RUNNER_SRC_LINT_PG_LINT_H_

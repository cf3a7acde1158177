// Diff: the SQL that takes a database from one schema model to another,
// ordered by the dependencies between objects (enum types before the columns
// that use them, tables before the foreign keys that reference them; drops in
// the reverse order). Renames happen only when declared by a hint
// (docs/schema-model.md, "Hints in schema.sql"), never guessed.
//
//   CAIRN_ASSIGN_OR_RETURN(Hints hints, ParseHints("schema.sql", text));
//   Plan up = Diff(live, desired, hints.renames);
//   Plan down = Diff(desired, live, Reverse(hints.renames));
//   std::string sql = up.Script();
//
// On SQLite, changes ALTER TABLE cannot make (anything but adding a plain
// column, renaming, or index changes) rebuild the table with the documented
// procedure: create the new table, copy the rows of the columns both
// versions have, drop the old one, rename, recreate the indexes. This needs
// foreign-key enforcement off, which is how cairn's connections run.
#ifndef CAIRN_SCHEMA_DIFF_H_
#define CAIRN_SCHEMA_DIFF_H_

#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/schema/model.h"

namespace cairn::schema {

struct RenameHint {
  bool column = false;   // false: a table rename
  std::string table;     // table rename: old qualified name; column rename: the table's
                         // qualified name before any table rename
  std::string from, to;  // table: new qualified name in `to`; column: old and new names
  int line = 0;          // in schema.sql
};

struct Hints {
  std::vector<RenameHint> renames;
};

// Reads the `-- cairn:` hint lines of a schema file. Unknown hints and
// malformed ones are kInvalidArgument naming "path:line". `default_schema`
// qualifies table names written without a schema (PostgreSQL: "public";
// SQLite: "").
StatusOr<Hints> ParseHints(std::string_view path, std::string_view text,
                           const std::string& default_schema);

// The same renames, undone (for the down direction).
std::vector<RenameHint> Reverse(const std::vector<RenameHint>& renames);

// One change: a description and the statements that make it.
struct Step {
  std::string description;  // e.g. "add column public.users.email"
  std::vector<std::string> sql;
};

struct Plan {
  std::vector<Step> steps;
  std::vector<std::string> cycles;  // foreign-key cycles among created or dropped tables
  std::vector<std::string> notes;   // ignored hints and the like

  bool empty() const { return steps.empty(); }
  // The statements, each ending in ";\n", each step preceded by "-- description".
  std::string Script() const;
};

// The plan that turns a database whose model is `from` into one whose model
// is `to` (same backend). Renames whose old object is missing from `from`
// or whose new one is already there are skipped with a note.
Plan Diff(const Model& from, const Model& to, const std::vector<RenameHint>& renames);

}  // namespace cairn::schema

#endif  // CAIRN_SCHEMA_DIFF_H_

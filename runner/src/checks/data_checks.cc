// Plan-time checks of data migrations (docs/data-migrations.md): declared
// names, changed partial migrations.
#include "checks/data_checks.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "cairn/db/sql_splitter.h"
#include "cairn/runner/data_migration.h"
#include "schema/catalog.h"
#include "source/section_text.h"

namespace cairn::runner::internal {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Words of a statement: identifiers (a "quoted" one without its quotes) and
// single punctuation characters.
std::vector<std::string> Tokens(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '"') {
      size_t e = s.find('"', i + 1);
      if (e == std::string_view::npos) e = s.size();
      out.emplace_back(s.substr(i + 1, e - i - 1));
      i = e + 1;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      size_t e = i;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
      out.emplace_back(s.substr(i, e - i));
      i = e;
    } else {
      out.emplace_back(1, c);
      ++i;
    }
  }
  return out;
}

// Tables created by the CREATE TABLE statements of the up section of `m`.
std::vector<std::string> CreatedTables(const Migration& m) {
  std::vector<std::string> out;
  // A read error surfaces again, with its message, when the section runs.
  (void)source::ForEachStatement(m, m.up, [&](const db::SqlStatement& st) {
    if (source::FirstWord(st.text) != "CREATE") return true;
    std::vector<std::string> t = Tokens(st.text);
    size_t i = 0;
    if (t.empty() || Upper(t[i]) != "CREATE") return true;
    ++i;
    while (i < t.size() &&
           (Upper(t[i]) == "TEMP" || Upper(t[i]) == "TEMPORARY" || Upper(t[i]) == "UNLOGGED"))
      ++i;
    if (i >= t.size() || Upper(t[i]) != "TABLE") return true;
    ++i;
    if (i + 2 < t.size() && Upper(t[i]) == "IF" && Upper(t[i + 1]) == "NOT") i += 3;
    if (i < t.size()) {
      std::string name = t[i];
      if (i + 2 < t.size() && t[i + 1] == ".") name = t[i + 2];  // schema.table
      out.push_back(name);
    }
    return true;
  });
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

}  // namespace

std::string NearestName(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(name, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const size_t limit = std::max<size_t>(2, name.size() / 3);
  return best_d <= limit ? best : "";
}

void AddDataRefusals(db::Connection& conn, const std::vector<const Migration*>& plan,
                     const ledger::StreamState& state, std::vector<std::string>* refusals) {
  bool any = false;
  for (const Migration* m : plan) {
    if (auto it = state.migrations.find(m->id); it != state.migrations.end()) {
      const ledger::BatchProgress& p = it->second.progress;
      if (p.active && p.direction == v1::DIRECTION_UP && p.checksum != m->checksum)
        refusals->push_back(m->path + ": migration " + m->id +
                            " was changed while partly applied (" +
                            (p.batches == 0 && p.statements > 0
                                 ? "statements 1-" + std::to_string(p.statements) +
                                       " committed outside a transaction"
                                 : std::to_string(p.batches) + " batches committed, " +
                                       std::to_string(p.rows) + " rows") +
                            "; started as " + p.checksum + ", now " + m->checksum +
                            "); restore it to finish the migration");
    }
    any = any || m->up.batch || m->step;
  }
  if (!any) return;

  auto listed = catalog::ListTables(conn);
  if (!listed.ok()) {
    refusals->push_back("cannot list the tables of the database: " + listed.status().message());
    return;
  }
  std::vector<std::string> tables, collections;
  const std::string prefix = "cairn_doc_";
  for (const std::string& t : *listed) {
    if (t.rfind(prefix, 0) == 0)
      collections.push_back(t.substr(prefix.size()));
    else
      tables.push_back(t);
  }
  auto check = [&](const Migration& m, const std::string& name, std::vector<std::string>& known,
                   const char* what) {
    if (std::find(known.begin(), known.end(), name) != known.end()) return;
    std::string msg = m.path + ": " + name + ": no such " + what;
    std::string near = NearestName(name, known);
    if (!near.empty()) msg += "; did you mean " + near + "?";
    refusals->push_back(msg);
  };
  for (const Migration* m : plan) {
    if (m->up.batch) check(*m, m->up.batch->table, tables, "table");
    if (m->step) {
      for (const std::string& t : m->step->uses.tables) check(*m, t, tables, "table");
      for (const std::string& c : m->step->uses.collections)
        check(*m, c, collections, "collection");
      for (const std::string& t : m->step->uses.creates_tables) tables.push_back(t);
      for (const std::string& c : m->step->uses.creates_collections) collections.push_back(c);
    } else {
      for (const std::string& t : CreatedTables(*m)) tables.push_back(t);
    }
  }
}

}  // namespace cairn::runner::internal

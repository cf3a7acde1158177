// Identifiers longer than PostgreSQL keeps (NAMEDATALEN - 1 = 63 bytes): the
// server's scanner truncates them with only a NOTICE, so the parse tree
// never shows them; the statement's tokens do.
#include "cairn/db/sql_splitter.h"
#include "rules.h"

namespace cairn::runner::lint {

void CheckNames(const StatementView& s, const MigrationState& m, const Report& report) {
  constexpr size_t kMaxIdentifierBytes = 63;
  for (const db::SqlToken& t : db::TokenizeSql(s.text)) {
    std::string name;
    if (t.kind == db::SqlTokenKind::kIdentifier && t.text.size() >= 2) {
      name = std::string(t.text.substr(1, t.text.size() - 2));
    } else if (t.kind == db::SqlTokenKind::kWord && !t.text.empty() &&
               !(t.text[0] >= '0' && t.text[0] <= '9')) {
      name = std::string(t.text);
    }
    if (name.size() <= kMaxIdentifierBytes) continue;
    report("identifier-too-long", t.offset,
           "identifier '" + name + "' is " + std::to_string(name.size()) +
               " bytes; PostgreSQL keeps 63 and silently truncates it to '" +
               name.substr(0, kMaxIdentifierBytes) + "'");
  }
}

}  // namespace cairn::runner::lint

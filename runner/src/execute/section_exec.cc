#include "section_exec.h"

#include "../source/section_text.h"

namespace cairn::runner::execute {

Status ExecuteSection(db::Connection& conn, const Migration& m, const Section& section, size_t from,
                      int64_t* executed, SectionFailure* failure) {
  *executed = 0;
  *failure = SectionFailure{};
  return source::ForEachGroup(m, section, from, [&](const source::TextGroup& g) -> Status {
    int64_t n = 0;
    db::ScriptFailure where;
    Status s = conn.ExecuteScript(g.text, &n, &where);
    *executed += n;
    if (s.ok()) return s;
    if (!where.statement.empty()) {
      failure->line = g.LineAt(where.offset);
      where.offset += g.offset;
      where.statement = source::CutStatement(where.statement);
    }
    failure->where = std::move(where);
    return s;
  });
}

}  // namespace cairn::runner::execute

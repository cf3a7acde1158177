#include "pg_parse.h"

#include <pg_query.h>

namespace cairn::runner::lint {
namespace {

// The server reports an error position in characters (1-based); the lint
// reports lines, so turn it into a byte offset of the UTF-8 text.
size_t CharPosToByteOffset(std::string_view text, int cursorpos) {
  if (cursorpos <= 1) return 0;
  size_t i = 0;
  for (int chars = 1; chars < cursorpos && i < text.size(); ++chars) {
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
  }
  return i;
}

}  // namespace

PgParsed ParsePostgres(std::string_view sql) {
  const std::string text(sql);  // the parser wants a NUL-terminated string
  PgQueryParseResult r = pg_query_parse(text.c_str());
  PgParsed out;
  if (r.error != nullptr) {
    out.error = PgParseError{r.error->message != nullptr ? r.error->message : "syntax error",
                             CharPosToByteOffset(text, r.error->cursorpos)};
  } else if (r.parse_tree != nullptr) {
    nlohmann::json tree = nlohmann::json::parse(r.parse_tree, nullptr, /*allow_exceptions=*/false);
    if (tree.is_discarded()) {
      out.error = PgParseError{"the parser's tree is not valid JSON", 0};
    } else if (tree.contains("stmts")) {
      for (auto& raw : tree["stmts"])
        if (raw.contains("stmt")) out.statements.push_back(std::move(raw["stmt"]));
    }
  }
  pg_query_free_parse_result(r);
  return out;
}

int PgParserVersion() { return PG_VERSION_NUM; }

}  // namespace cairn::runner::lint

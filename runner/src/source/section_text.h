// Internal: the text and statements of a migration's section, from memory or
// read back from its file in blocks (file_text.h).
#ifndef CAIRN_RUNNER_SRC_SOURCE_SECTION_TEXT_H_
#define CAIRN_RUNNER_SRC_SOURCE_SECTION_TEXT_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/base/status.h"
#include "cairn/db/sql_splitter.h"
#include "cairn/runner/migration.h"

namespace cairn::runner::source {

// What one statement means for block bodies (CREATE TRIGGER ... BEGIN ...;
// END; and BEGIN ATOMIC ... END), which the splitter cuts at each ';'.
class BlockTracker {
 public:
  // Takes the next statement; true when it is part of a block body (a body
  // statement or the closing END), whose words are not statements of their own.
  bool InBody(std::string_view statement);
  // True while a block body is open.
  bool open() const { return open_; }
  // The first word of the last statement, upper-cased.
  const std::string& first_word() const { return first_; }

 private:
  bool open_ = false;
  std::string first_;
};

// The first word of `statement`, upper-cased ("" when it starts otherwise).
std::string FirstWord(std::string_view statement);

// The text of `section` as cairn runs it: each line of the section followed
// by '\n', a '-- cairn:batch' line as an empty line. Passed to `sink` in
// pieces (all at once when the section is held in memory). A section read
// back from its file is checked against the digest taken when it was parsed:
// if the file changed since, the last call is followed by kFailedPrecondition
// naming the file, so a transaction that ran the text rolls back.
Status ForEachSectionText(const Migration& m, const Section& section,
                          const std::function<Status(std::string_view)>& sink);

// Every statement of the section (db::SplitSqlStatements), with `line` the
// file's line. `sink` returns false to stop.
Status ForEachStatement(const Migration& m, const Section& section,
                        const std::function<bool(const db::SqlStatement&)>& sink);

// Statements run in groups of about this many bytes of text: on PostgreSQL
// one round trip per group inside a transaction, on SQLite one prepare loop
// over the group's text. The parse records where the groups start
// (SectionFacts::cuts).
inline constexpr size_t kGroupBytes = 1 << 20;

// Part of a section's text made of whole statements, as written.
struct TextGroup {
  std::string_view text;
  size_t offset = 0;   // of text[0] in the section's text
  int first_line = 0;  // the file's line of text[0]
  // The file line of `offset` in `text`.
  int LineAt(size_t offset) const;
};

// The section's text from offset `from` (a statement's start, or 0) on, cut
// at the parse's SectionFacts::cuts: whole statements, never a block body
// split. Memory: one group and a block.
Status ForEachGroup(const Migration& m, const Section& section, size_t from,
                    const std::function<Status(const TextGroup&)>& sink);

// A statement's canonical text for plans (docs/plans.md): trailing spaces,
// tabs and CRs removed from every line.
std::string CanonicalStatement(std::string_view text);
// Appends str(CanonicalStatement(text)) to `out`: the bytes that
// SectionFacts::statements_sha256 hashes.
void AppendStatementBytes(std::string_view text, std::string* out);

// The cut form of a statement for messages and ledger events: at most
// `limit` bytes (on a UTF-8 boundary), then " ... [N bytes]".
std::string CutStatement(std::string_view statement, size_t limit = 2048);

}  // namespace cairn::runner::source

#endif  // CAIRN_RUNNER_SRC_SOURCE_SECTION_TEXT_H_

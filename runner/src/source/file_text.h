// Internal: reading migration files line by line, in blocks, without holding
// them whole (docs/migration-files.md, "Large files").
//
// A migration file is read once to parse it: its lines go through one pass
// that checks directives, hashes the canonical text and splits each section
// into statements. Sections of small files are kept in memory
// (Section::sql); sections of large files stay in the file (Section::extent)
// and are read back in blocks when they run, are planned or are linted, so a
// run holds at most a few blocks and the longest statement however large the
// file is.
#ifndef CAIRN_RUNNER_SRC_SOURCE_FILE_TEXT_H_
#define CAIRN_RUNNER_SRC_SOURCE_FILE_TEXT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "background_sha.h"
#include "cairn/base/hash.h"
#include "cairn/base/status.h"

namespace cairn::runner::source {

// Bytes read from a file at a time.
inline constexpr size_t kBlockBytes = 1 << 20;

// One line of a file, without its line end (LF, CRLF or CR).
struct Line {
  std::string_view text;
  uint64_t begin = 0;  // byte offset of the line's first character in the file
  uint64_t next = 0;   // byte offset just past its line end
  int number = 0;      // 1-based
};
using LineSink = std::function<Status(const Line&)>;

// The lines of `text`, split as internal::SplitLines splits them; offsets
// count from `base`, numbers from `first_number`. Stops at the first error
// the sink returns.
Status ForEachLine(std::string_view text, const LineSink& sink, uint64_t base = 0,
                   int first_number = 1);

// The lines of the bytes [begin, end) of the open file `fd` (`end` past the
// file's size: to its end), read in blocks of kBlockBytes; line `begin`
// starts is number `first_number`. Memory: a block and the longest line.
// `path` names the file in errors.
Status ForEachFileLine(int fd, const std::string& path, uint64_t begin, uint64_t end,
                       int first_number, const LineSink& sink);

// `s` without trailing spaces, tabs, CRs, form feeds and vertical tabs (what
// the canonical checksum drops from each line).
std::string_view TrimRight(std::string_view s);

// The canonical checksum of migration.h (CanonicalChecksum), fed line by
// line: each line without trailing whitespace and with '\n', trailing blank
// lines dropped.
class CanonicalHasher {
 public:
  // `background`: hash on another thread (background_sha.h), for big files.
  explicit CanonicalHasher(bool background = false);
  ~CanonicalHasher();
  void AddLine(std::string_view line);
  // "sha256:" + hex.
  std::string Finish();

 private:
  static constexpr size_t kBufferBytes = 1 << 16;
  std::unique_ptr<Hasher> sha_;
  std::string buffer_;  // canonical text not yet hashed
  size_t pending_blank_ = 0;
};

}  // namespace cairn::runner::source

#endif  // CAIRN_RUNNER_SRC_SOURCE_FILE_TEXT_H_

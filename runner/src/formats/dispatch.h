// Internal: the hook LoadMigrations and ScanMigrations share to read other
// tools' folders (docs/formats.md, "Choosing the format").
#ifndef CAIRN_RUNNER_SRC_FORMATS_DISPATCH_H_
#define CAIRN_RUNNER_SRC_FORMATS_DISPATCH_H_

#include <string>
#include <vector>

#include "cairn/runner/formats.h"

namespace cairn::runner::internal {

// LoadFormat, reading whole only the migrations whose files together have at
// most `keep_in_memory` bytes, the others in one streaming pass with their
// sections left in their files (LoadFormat: kKeepInMemoryBytes; tests: 0).
StatusOr<std::vector<Migration>> LoadFormatStreamingAbove(const std::string& dir, Format format,
                                                          size_t keep_in_memory);

// FlywayChecksum of the file at `path`, read in blocks.
StatusOr<int32_t> FlywayChecksumOfFile(const std::string& path);

// One file of another tool as a migration with an up section only and no
// down: `text` when given (the file's text rewritten line for line, read
// whole), else the file at `path`, whole or streaming above `keep_in_memory`
// bytes as every reader reads (docs/formats.md, "Large files").
StatusOr<Migration> ReadUpOnlyFile(const std::string& id, const std::string& name,
                                   const std::string& file, const std::string& path,
                                   const std::string* text, size_t keep_in_memory);
// Whether `s` is valid UTF-8 (sqlx and Liquibase refuse other text).
bool ValidUtf8(std::string_view s);
// `n` bytes as lower-case hex.
std::string HexBytes(const unsigned char* bytes, size_t n);

// For a folder whose cairn reading failed and that no rule recognised: a
// guess at its layout ("...: use --format sqlx"), or "" for none.
std::string FormatGuess(const std::string& dir);

// Reads `dir` with `read_cairn` unless a foreign format is chosen for it, or
// cairn's reader fails or finds nothing and the folder is another tool's;
// then reads it with LoadFormat and converts each migration with `convert`.
template <typename T, typename ReadCairn, typename Convert>
StatusOr<std::vector<T>> ReadWithFormats(const std::string& dir, ReadCairn read_cairn,
                                         Convert convert) {
  auto foreign = [&](Format f) -> StatusOr<std::vector<T>> {
    CAIRN_ASSIGN_OR_RETURN(std::vector<Migration> files, LoadFormat(dir, f));
    std::vector<T> out;
    out.reserve(files.size());
    for (Migration& m : files) out.push_back(convert(std::move(m)));
    return out;
  };
  CAIRN_ASSIGN_OR_RETURN(std::optional<Format> chosen, ForeignFormatFor(dir, false));
  if (chosen) return foreign(*chosen);
  StatusOr<std::vector<T>> cairn = read_cairn();
  if (cairn.ok() && !cairn->empty()) return cairn;
  CAIRN_ASSIGN_OR_RETURN(std::optional<Format> detected, ForeignFormatFor(dir, true));
  if (detected) return foreign(*detected);
  if (!cairn.ok()) {
    if (std::string guess = FormatGuess(dir); !guess.empty())
      return Status(cairn.status().code(), cairn.status().message() + "; " + guess)
          .WithKind(cairn.status().kind());
  }
  return cairn;
}

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_FORMATS_DISPATCH_H_

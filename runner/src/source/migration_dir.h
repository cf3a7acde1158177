// Internal: walking a migrations directory, shared by LoadMigrations (which
// reads every file) and ScanMigrations (which reuses the checksum cache).
#ifndef CAIRN_RUNNER_SRC_SOURCE_MIGRATION_DIR_H_
#define CAIRN_RUNNER_SRC_SOURCE_MIGRATION_DIR_H_

#include <sys/stat.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/runner/migration.h"
#include "source/file_text.h"

namespace cairn::runner::internal {

// Splits "0007_add_x.sql" into id "0007" and name "add_x"; false when the
// name is not NNNN_name.sql.
bool ParseFileName(std::string_view name, std::string* id, std::string* rest);

// Opens `name` (relative to `dir_fd`) for reading, checking that it is a
// regular file; sets *st. Errors name `path`.
StatusOr<int> OpenRegularAt(int dir_fd, const std::string& name, const std::string& path,
                            struct stat* st);
// Reads the whole of the open file `fd` (whose fstat is `st`) and closes it.
StatusOr<std::string> ReadAndClose(int fd, const struct stat& st, const std::string& path);

// Reads a file relative to an open directory: openat, fstat, one read, close.
// (Loading 10,000 migrations is dominated by system calls, not by parsing.)
StatusOr<std::string> ReadFileAt(int dir_fd, const std::string& name, const std::string& path);

// Calls `visit` for each `*.sql` entry of `dir` (no dot files, no
// directories), in file-name order, until it returns an error.
Status ForEachMigrationFile(const std::string& dir,
                            const std::function<Status(int dir_fd, const std::string& name,
                                                       const std::string& path)>& visit);

// Error naming both files when two of `files` (parallel to `ids`) share an id.
Status CheckUniqueIds(const std::string& dir, const std::vector<std::string_view>& ids,
                      const std::vector<std::string_view>& files);

// Parses the file `open_name` (relative to `dir_fd`), named `name`, as
// ParseMigration does: files of at most `keep_in_memory` bytes are read whole;
// larger ones are read in blocks and keep their sections in the file
// (Section::extent).
StatusOr<Migration> ParseMigrationAt(int dir_fd, const std::string& open_name,
                                     const std::string& name, const std::string& path,
                                     size_t keep_in_memory);

class CairnFileParser;  // migration.cc

// ParseMigration's one pass, fed line by line: for readers that build cairn's
// text of other tools' files as they read them (formats/readers.cc), so a
// large file is never held whole. Each line keeps the byte offsets of the
// file it comes from; without `keep_sql`, sections stay in their file
// (Section::extent) as ParseMigrationAt keeps those of large cairn files.
// Errors name `path`.
class MigrationLineParser {
 public:
  MigrationLineParser(std::string_view path, bool keep_sql);
  ~MigrationLineParser();
  Status Start(std::string_view file_name);
  Status AddLine(const source::Line& line);
  StatusOr<Migration> Finish();

 private:
  std::unique_ptr<CairnFileParser> parser_;
};

// Splits `s` into lines, accepting LF, CRLF and CR line ends.
std::vector<std::string_view> SplitLines(std::string_view s);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_SOURCE_MIGRATION_DIR_H_

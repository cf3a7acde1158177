// Internal: walking a migrations directory, shared by LoadMigrations (which
// reads every file) and ScanMigrations (which reuses the checksum cache).
#ifndef CAIRN_RUNNER_SRC_MIGRATION_DIR_H_
#define CAIRN_RUNNER_SRC_MIGRATION_DIR_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"

namespace cairn::runner::internal {

// Splits "0007_add_x.sql" into id "0007" and name "add_x"; false when the
// name is not NNNN_name.sql.
bool ParseFileName(std::string_view name, std::string* id, std::string* rest);

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

// Splits `s` into lines, accepting LF, CRLF and CR line ends.
std::vector<std::string_view> SplitLines(std::string_view s);

}  // namespace cairn::runner::internal

#endif  // CAIRN_RUNNER_SRC_MIGRATION_DIR_H_

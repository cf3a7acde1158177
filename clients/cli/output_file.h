// Writing a command's output file: to FILE through a temporary file renamed
// over it on success (a failed run never leaves half a file), or to standard
// output. Used by `export`, directly and through a server.
#ifndef CAIRN_CLIENTS_CLI_OUTPUT_FILE_H_
#define CAIRN_CLIENTS_CLI_OUTPUT_FILE_H_

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "cairn/base/status.h"

namespace cairn::cli {

// Writes to FILE through a temporary file renamed over it on success, or to
// standard output.
class OutputFile {
 public:
  ~OutputFile() {
    if (f_ && f_ != stdout) {
      std::fclose(f_);
      std::remove(tmp_.c_str());
    }
  }
  Status Open(const std::string& path) {
    path_ = path;
    if (path.empty()) {
      f_ = stdout;
      return Status::Ok();
    }
    tmp_ = path + ".tmp-" + std::to_string(getpid());
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) return NotFoundError("--out " + path + ": cannot create: " + std::strerror(errno));
    return Status::Ok();
  }
  Status Write(std::string_view b) {
    if (std::fwrite(b.data(), 1, b.size(), f_) != b.size())
      return Status(StatusCode::kResourceExhausted,
                    "--out " + Name() + ": write failed: " + std::strerror(errno));
    return Status::Ok();
  }
  Status Commit() {
    if (f_ == stdout) {
      return std::fflush(stdout) == 0
                 ? Status::Ok()
                 : Status(StatusCode::kResourceExhausted, "stdout: write failed");
    }
    bool ok = std::fflush(f_) == 0 && fsync(fileno(f_)) == 0;
    ok = std::fclose(f_) == 0 && ok;
    f_ = nullptr;
    if (!ok || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
      std::remove(tmp_.c_str());
      return Status(StatusCode::kResourceExhausted,
                    "--out " + path_ + ": cannot write: " + std::strerror(errno));
    }
    return Status::Ok();
  }

 private:
  std::string Name() const { return path_.empty() ? "stdout" : path_; }
  std::FILE* f_ = nullptr;
  std::string path_, tmp_;
};

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_OUTPUT_FILE_H_

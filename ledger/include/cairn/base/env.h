// Env: everything cairn asks of the operating system, behind one interface,
// as LevelDB's leveldb::Env: files and folders, the advisory lock file, the
// clock, randomness and child processes. Code that takes an Env does its I/O
// only through it, so a test can hand it an Env that fails the Nth write,
// runs out of space after N bytes, fails fsync, or stops time
// (tests/faults/fault_env.h); production code gets Env::Default(), the
// operating system itself.
//
//   Env* env = options.env;  // never null; Env::Default() unless a test says otherwise
//   CAIRN_RETURN_IF_ERROR(WriteFileAtomically(*env, path, text));
//   const auto deadline = env->NowMonotonic() + timeout;
//
// SQLite does its own file I/O. When a target is opened with an Env other
// than Env::Default() (db::OpenOptions::env), cairn_db installs a SQLite VFS
// that wraps the default one and asks AllowForeignFileOp before each of
// SQLite's opens, reads, writes, truncations, syncs and deletions; the Env's
// answer becomes SQLite's error (kResourceExhausted: SQLITE_FULL, anything
// else: an I/O error). With Env::Default() no VFS is installed at all.
//
// The Env is passed down through options and constructors
// (RunnerOptions::env, db::OpenOptions::env), never through a global; what
// still bypasses it is listed in docs/design.md, "The Env seam".
//
// Errors: every failure is a Status naming the path (or the program) and the
// system's reason: kNotFound (no such file), kAlreadyExists (kCreateNew on
// an existing file), kResourceExhausted (no space, or a file-size limit),
// kPermissionDenied, kUnavailable (any other I/O error).
//
// Thread safety: Env::Default() and its files may be used from any thread;
// one file object by one thread at a time. A test Env documents its own.
#ifndef CAIRN_BASE_ENV_H_
#define CAIRN_BASE_ENV_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"

namespace cairn {

// A file open for reading at any offset (pread).
class RandomAccessFile {
 public:
  virtual ~RandomAccessFile() = default;
  // Reads up to `n` bytes at `offset` into `scratch`; returns how many were
  // read: fewer than `n` only at the end of the file (0 past it).
  virtual StatusOr<size_t> Read(uint64_t offset, size_t n, char* scratch) const = 0;
  // The file's size now.
  virtual StatusOr<uint64_t> Size() const = 0;
};

// A file open for writing at its end. Data is durable only after Sync().
class WritableFile {
 public:
  virtual ~WritableFile() = default;  // closes the file if Close() was not called
  virtual Status Append(std::string_view data) = 0;
  virtual Status Sync() = 0;  // fsync(2): data and size on stable storage
  virtual Status Close() = 0;
};

// An exclusive advisory lock on a file, held until the object is destroyed
// (or the process dies: the kernel releases it then).
class FileLock {
 public:
  virtual ~FileLock() = default;
  // Replaces the locked file's contents (what a waiter reads to say whom it
  // waits for).
  virtual Status SetContents(std::string_view text) = 0;
};

struct FileInfo {
  bool is_regular = false;
  bool is_directory = false;
  uint64_t size = 0;
  uint64_t inode = 0;
  int64_t mtime_ns = 0;  // modification and status-change times, ns since the epoch
  int64_t ctime_ns = 0;
};

enum class WriteMode {
  kTruncate,   // create, or empty an existing file
  kCreateNew,  // create; kAlreadyExists when the file exists (O_EXCL)
};

// A child process to run to completion (RunProcess).
struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH
  // "NAME=value": set in the child's environment (this process's, with
  // these names replaced or added).
  std::vector<std::string> set_env;
  std::string stdout_path;  // empty: /dev/null; otherwise created or truncated
};

struct ProcessResult {
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
  std::string stderr_text;  // everything it wrote to stderr
};

// One file operation of a library that does its own I/O (SQLite through the
// VFS shim), announced before it happens.
struct ForeignFileOp {
  enum Kind { kOpen, kRead, kWrite, kTruncate, kSync, kDelete };
  Kind kind = kRead;
  std::string_view path;
  uint64_t offset = 0;     // kRead, kWrite: where; kTruncate: the new size
  uint64_t bytes = 0;      // kRead, kWrite: how many
  uint64_t file_size = 0;  // the file's size before the operation (0 when unknown)
};

class Env {
 public:
  // The operating system (POSIX). Never destroyed.
  static Env* Default();

  Env() = default;
  virtual ~Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // --- files and folders
  virtual StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) = 0;
  virtual StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                                  WriteMode mode) = 0;
  // The names in `dir` (without "." and ".."), in no particular order.
  virtual StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) = 0;
  // Follows symbolic links.
  virtual StatusOr<FileInfo> Stat(const std::string& path) = 0;
  // Creates `dir` and its missing parents; OK when it exists.
  virtual Status CreateDirs(const std::string& dir) = 0;
  // rename(2): atomic; replaces `to`.
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;
  // Makes the folder's entries (a rename, a new file) durable: fsync of the folder.
  virtual Status SyncDir(const std::string& dir) = 0;

  // --- locks
  // Opens `path` (creating it) and tries once to take its exclusive lock
  // (flock(2)). nullptr, not an error, when another holder has it. Each call
  // opens the file anew, so two threads of one process exclude each other.
  virtual StatusOr<std::unique_ptr<FileLock>> TryLockFile(const std::string& path) = 0;

  // --- the clock
  // The wall clock: event timestamps, file ages.
  virtual std::chrono::system_clock::time_point Now() = 0;
  // The monotonic clock: durations, deadlines and timeouts.
  virtual std::chrono::steady_clock::time_point NowMonotonic() = 0;
  virtual void SleepFor(std::chrono::microseconds duration) = 0;

  // --- randomness
  // `n` random bytes (ids, jitter, seeds); the default Env's are
  // cryptographically strong.
  virtual void FillRandom(void* out, size_t n) = 0;

  // --- child processes
  // Runs `spec` to completion (stdin /dev/null). kNotFound when the program
  // is not found; its exit status is in the result, not the Status.
  virtual StatusOr<ProcessResult> RunProcess(const ProcessSpec& spec) = 0;

  // --- files other libraries write (SQLite)
  // Asked before each such operation; a non-OK answer fails it as the disk
  // would. The default allows everything.
  virtual Status AllowForeignFileOp(const ForeignFileOp& op);
};

// An Env that forwards every call to another: derive from it and override
// what a test changes (LevelDB's EnvWrapper).
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    return target_->NewRandomAccessFile(path);
  }
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                          WriteMode mode) override {
    return target_->NewWritableFile(path, mode);
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    return target_->GetChildren(dir);
  }
  StatusOr<FileInfo> Stat(const std::string& path) override { return target_->Stat(path); }
  Status CreateDirs(const std::string& dir) override { return target_->CreateDirs(dir); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }
  StatusOr<std::unique_ptr<FileLock>> TryLockFile(const std::string& path) override {
    return target_->TryLockFile(path);
  }
  std::chrono::system_clock::time_point Now() override { return target_->Now(); }
  std::chrono::steady_clock::time_point NowMonotonic() override { return target_->NowMonotonic(); }
  void SleepFor(std::chrono::microseconds d) override { target_->SleepFor(d); }
  void FillRandom(void* out, size_t n) override { target_->FillRandom(out, n); }
  StatusOr<ProcessResult> RunProcess(const ProcessSpec& spec) override {
    return target_->RunProcess(spec);
  }
  Status AllowForeignFileOp(const ForeignFileOp& op) override {
    return target_->AllowForeignFileOp(op);
  }

 private:
  Env* target_;
};

// The Status for a system call's failure: "<context>: <strerror>", its code
// from the errno as the header comment lists (ENOSPC and EFBIG are
// kResourceExhausted). Test Envs use it to fail as the system would.
Status ErrnoStatus(std::string_view context, int error_number);

// --- helpers built on the interface (so a test Env's faults reach them)

// The whole file.
StatusOr<std::string> ReadFileToString(Env& env, const std::string& path);

// Writes `data` to `path` so that a reader sees the old file or the new one,
// never a part: a temporary file next to it, fsync, rename over `path`,
// fsync of the folder. The temporary file is removed on failure. Without
// `durable` (caches) both fsyncs are skipped: after a crash the file may be
// the old one, or (on some file systems) empty, but a reader never sees a
// part of the new one.
Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data,
                           bool durable = true);

// Writes `data` to a new file `path` (kAlreadyExists when it exists), synced.
Status WriteNewFile(Env& env, const std::string& path, std::string_view data);

// A random version 4 UUID from env.FillRandom, in lowercase text form.
std::string NewUuid(Env& env);

// Microseconds since the Unix epoch, UTC, from env.Now().
int64_t NowMicros(Env& env);

}  // namespace cairn

#endif  // CAIRN_BASE_ENV_H_

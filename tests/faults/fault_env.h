// FaultEnv: an Env (cairn/base/env.h) that injects faults, as LevelDB's
// fault-injection Env does, for in-process crash and disk-full tests.
//
//   FaultEnv env(seed);
//   env.FailWritesAfterBytes(64 * 1024);    // then ENOSPC / SQLITE_FULL
//   RunnerOptions options;
//   options.env = &env;                     // the runner's files and the target's
//   auto runner = Runner::Open(url, options);
//
// It sees cairn's own file operations (the Env's files, renames, removals,
// folder syncs, the lock file) and SQLite's (through the VFS shim installed
// for a non-default Env: Env::AllowForeignFileOp), one count for both.
// "Mutating" operations are counted: creating or opening a file for writing,
// writes, truncations, syncs, renames, removals, folder syncs and lock files;
// reads, stats and folder listings are not (they change nothing, so a stop
// just before one equals a stop just after the last mutating operation).
//
// Faults:
//   FailWritesAfterBytes(n)  the disk is full: a write that does not fit in
//                            the n bytes left fails with ENOSPC (cairn's
//                            files: kResourceExhausted; SQLite: SQLITE_FULL)
//   FailSyncs(true)          every fsync fails with EIO
//   FailOperation(n)         the nth mutating operation from now fails (EIO), once
//   StopAtOperation(n)       the process "stops" before the nth mutating
//                            operation from now: it and every operation after
//                            it (reads included) fail with EIO; what was
//                            written before stays, as after SIGKILL (not a
//                            power loss: unsynced data is not dropped)
// The clock is the target's until UseManualClock(); then Now() and
// NowMonotonic() move only by AdvanceClock() and SleepFor() (which returns at
// once). FillRandom is a generator seeded with `seed`.
//
// Thread-safe: cairn reads the folder on another thread.
#ifndef CAIRN_TESTS_FAULTS_FAULT_ENV_H_
#define CAIRN_TESTS_FAULTS_FAULT_ENV_H_

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>

#include "cairn/base/env.h"

namespace cairn::testing {

class FaultEnv : public EnvWrapper {
 public:
  explicit FaultEnv(uint64_t seed, Env* target = Env::Default()) : EnvWrapper(target), rng_(seed) {}

  // --- faults
  void FailWritesAfterBytes(uint64_t n) {
    std::lock_guard<std::mutex> l(mu_);
    space_left_ = n;
  }
  void FailSyncs(bool fail) {
    std::lock_guard<std::mutex> l(mu_);
    fail_syncs_ = fail;
  }
  void FailOperation(uint64_t n) {
    std::lock_guard<std::mutex> l(mu_);
    fail_at_ = operations_ + n;
  }
  void StopAtOperation(uint64_t n) {
    std::lock_guard<std::mutex> l(mu_);
    stop_at_ = operations_ + n;
  }
  void ClearFaults() {
    std::lock_guard<std::mutex> l(mu_);
    space_left_.reset();
    fail_syncs_ = false;
    fail_at_ = stop_at_ = 0;
    stopped_ = false;
  }

  // --- what happened
  uint64_t operations() const {
    std::lock_guard<std::mutex> l(mu_);
    return operations_;
  }
  uint64_t bytes_written() const {
    std::lock_guard<std::mutex> l(mu_);
    return bytes_written_;
  }
  uint64_t faults() const {
    std::lock_guard<std::mutex> l(mu_);
    return faults_;
  }
  bool stopped() const {
    std::lock_guard<std::mutex> l(mu_);
    return stopped_;
  }

  // --- the clock
  void UseManualClock(std::chrono::system_clock::time_point wall) {
    std::lock_guard<std::mutex> l(mu_);
    manual_ = true;
    wall_ = wall;
    offset_ = std::chrono::microseconds(0);
  }
  void AdvanceClock(std::chrono::microseconds d) {
    std::lock_guard<std::mutex> l(mu_);
    offset_ += d;
  }
  std::chrono::system_clock::time_point Now() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (manual_) return wall_ + offset_;
    }
    return target()->Now();
  }
  std::chrono::steady_clock::time_point NowMonotonic() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (manual_) return std::chrono::steady_clock::time_point() + offset_;
    }
    return target()->NowMonotonic();
  }
  void SleepFor(std::chrono::microseconds d) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (manual_) {
        offset_ += d;
        return;
      }
    }
    target()->SleepFor(d);
  }

  void FillRandom(void* out, size_t n) override {
    std::lock_guard<std::mutex> l(mu_);
    auto* b = static_cast<unsigned char*>(out);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(rng_());
  }

  // --- cairn's own files
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(Check(kRead, path, 0));
    CAIRN_ASSIGN_OR_RETURN(auto file, target()->NewRandomAccessFile(path));
    return std::unique_ptr<RandomAccessFile>(new Reader(this, path, std::move(file)));
  }
  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                          WriteMode mode) override {
    CAIRN_RETURN_IF_ERROR(Check(kMutate, path, 0));
    CAIRN_ASSIGN_OR_RETURN(auto file, target()->NewWritableFile(path, mode));
    return std::unique_ptr<WritableFile>(new Writer(this, path, std::move(file)));
  }
  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    CAIRN_RETURN_IF_ERROR(Check(kRead, dir, 0));
    return target()->GetChildren(dir);
  }
  StatusOr<FileInfo> Stat(const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(Check(kRead, path, 0));
    return target()->Stat(path);
  }
  Status CreateDirs(const std::string& dir) override {
    CAIRN_RETURN_IF_ERROR(Check(kMutate, dir, 0));
    return target()->CreateDirs(dir);
  }
  Status RenameFile(const std::string& from, const std::string& to) override {
    CAIRN_RETURN_IF_ERROR(Check(kMutate, to, 0));
    return target()->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(Check(kMutate, path, 0));
    return target()->RemoveFile(path);
  }
  Status SyncDir(const std::string& dir) override {
    CAIRN_RETURN_IF_ERROR(Check(kSync, dir, 0));
    return target()->SyncDir(dir);
  }
  StatusOr<std::unique_ptr<FileLock>> TryLockFile(const std::string& path) override {
    CAIRN_RETURN_IF_ERROR(Check(kMutate, path, 0));
    return target()->TryLockFile(path);
  }

  // --- SQLite's files
  Status AllowForeignFileOp(const ForeignFileOp& op) override {
    switch (op.kind) {
      case ForeignFileOp::kRead:
        return Check(kRead, op.path, 0);
      case ForeignFileOp::kWrite:
        return Check(kWrite, op.path, op.bytes);
      case ForeignFileOp::kSync:
        return Check(kSync, op.path, 0);
      case ForeignFileOp::kOpen:
      case ForeignFileOp::kTruncate:
      case ForeignFileOp::kDelete:
        return Check(kMutate, op.path, 0);
    }
    return Status::Ok();
  }

 private:
  enum Kind { kRead, kMutate, kWrite, kSync };

  // The one place every operation passes: counts it and decides its fate.
  Status Check(Kind kind, std::string_view path, uint64_t bytes) {
    std::lock_guard<std::mutex> l(mu_);
    const std::string where(path.empty() ? std::string_view("(temporary file)") : path);
    if (kind != kRead) ++operations_;
    if (stopped_ || (stop_at_ != 0 && kind != kRead && operations_ >= stop_at_)) {
      stopped_ = true;
      ++faults_;
      return ErrnoStatus(where + ": injected: the process stopped", EIO);
    }
    if (fail_at_ != 0 && kind != kRead && operations_ == fail_at_) {
      fail_at_ = 0;
      ++faults_;
      return ErrnoStatus(where + ": injected failure", EIO);
    }
    if (kind == kSync && fail_syncs_) {
      ++faults_;
      return ErrnoStatus(where + ": injected fsync failure", EIO);
    }
    if (kind == kWrite && space_left_) {
      if (bytes > *space_left_) {
        ++faults_;
        return ErrnoStatus(where + ": injected", ENOSPC);
      }
      *space_left_ -= bytes;
    }
    if (kind == kWrite) bytes_written_ += bytes;
    return Status::Ok();
  }

  class Reader final : public RandomAccessFile {
   public:
    Reader(FaultEnv* env, std::string path, std::unique_ptr<RandomAccessFile> file)
        : env_(env), path_(std::move(path)), file_(std::move(file)) {}
    StatusOr<size_t> Read(uint64_t offset, size_t n, char* scratch) const override {
      CAIRN_RETURN_IF_ERROR(env_->Check(kRead, path_, 0));
      return file_->Read(offset, n, scratch);
    }
    StatusOr<uint64_t> Size() const override { return file_->Size(); }

   private:
    FaultEnv* env_;
    std::string path_;
    std::unique_ptr<RandomAccessFile> file_;
  };

  class Writer final : public WritableFile {
   public:
    Writer(FaultEnv* env, std::string path, std::unique_ptr<WritableFile> file)
        : env_(env), path_(std::move(path)), file_(std::move(file)) {}
    Status Append(std::string_view data) override {
      CAIRN_RETURN_IF_ERROR(env_->Check(kWrite, path_, data.size()));
      return file_->Append(data);
    }
    Status Sync() override {
      CAIRN_RETURN_IF_ERROR(env_->Check(kSync, path_, 0));
      return file_->Sync();
    }
    Status Close() override { return file_->Close(); }

   private:
    FaultEnv* env_;
    std::string path_;
    std::unique_ptr<WritableFile> file_;
  };

  mutable std::mutex mu_;
  std::mt19937_64 rng_;
  std::optional<uint64_t> space_left_;
  bool fail_syncs_ = false;
  uint64_t fail_at_ = 0, stop_at_ = 0;
  bool stopped_ = false;
  uint64_t operations_ = 0, bytes_written_ = 0, faults_ = 0;
  bool manual_ = false;
  std::chrono::system_clock::time_point wall_;
  std::chrono::microseconds offset_{0};
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_FAULTS_FAULT_ENV_H_

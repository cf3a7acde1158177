// Env::Default(): the POSIX Env, and the helpers built on the Env interface.
#include "cairn/base/env.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

extern char** environ;

namespace cairn {

Status ErrnoStatus(std::string_view context, int error_number) {
  std::string msg = std::string(context) + ": " + std::strerror(error_number);
  switch (error_number) {
    case ENOENT:
    case ENOTDIR:
      return NotFoundError(std::move(msg));
    case EEXIST:
      return AlreadyExistsError(std::move(msg));
    case ENOSPC:
    case EFBIG:
    case EDQUOT:
      return Status(StatusCode::kResourceExhausted, std::move(msg));
    case EACCES:
    case EPERM:
    case EROFS:
      return Status(StatusCode::kPermissionDenied, std::move(msg));
    default:
      return UnavailableError(std::move(msg));
  }
}

Status Env::AllowForeignFileOp(const ForeignFileOp&) { return Status::Ok(); }

namespace {

std::string ParentDir(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

class PosixRandomAccessFile final : public RandomAccessFile {
 public:
  PosixRandomAccessFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixRandomAccessFile() override { ::close(fd_); }

  StatusOr<size_t> Read(uint64_t offset, size_t n, char* scratch) const override {
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd_, scratch + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return ErrnoStatus(path_ + ": cannot read", errno);
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

  StatusOr<uint64_t> Size() const override {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(path_ + ": cannot read", errno);
    return static_cast<uint64_t>(st.st_size);
  }

 private:
  std::string path_;
  int fd_;
};

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t w = ::write(fd_, data.data(), data.size());
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) return ErrnoStatus(path_ + ": cannot write", errno);
      data.remove_prefix(static_cast<size_t>(w));
    }
    return Status::Ok();
  }

  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus(path_ + ": cannot sync", errno);
    return Status::Ok();
  }

  Status Close() override {
    const int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return ErrnoStatus(path_ + ": cannot close", errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixFileLock() override {
    (void)::ftruncate(fd_, 0);
    ::close(fd_);  // releases the flock
  }

  Status SetContents(std::string_view text) override {
    if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, text.data(), text.size(), 0) < 0)
      return ErrnoStatus(path_ + ": cannot write", errno);
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
};

class PosixEnv final : public Env {
 public:
  StatusOr<std::unique_ptr<RandomAccessFile>> NewRandomAccessFile(
      const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(path + ": cannot read", errno);
    return std::unique_ptr<RandomAccessFile>(new PosixRandomAccessFile(path, fd));
  }

  StatusOr<std::unique_ptr<WritableFile>> NewWritableFile(const std::string& path,
                                                          WriteMode mode) override {
    const int flags =
        O_WRONLY | O_CREAT | O_CLOEXEC | (mode == WriteMode::kCreateNew ? O_EXCL : O_TRUNC);
    int fd = ::open(path.c_str(), flags, 0644);
    if (fd < 0) return ErrnoStatus(path + ": cannot create", errno);
    return std::unique_ptr<WritableFile>(new PosixWritableFile(path, fd));
  }

  StatusOr<std::vector<std::string>> GetChildren(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return ErrnoStatus(dir, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string_view n = e->d_name;
      if (n != "." && n != "..") names.emplace_back(n);
    }
    ::closedir(d);
    return names;
  }

  StatusOr<FileInfo> Stat(const std::string& path) override {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(path, errno);
    FileInfo info;
    info.is_regular = S_ISREG(st.st_mode);
    info.is_directory = S_ISDIR(st.st_mode);
    info.size = static_cast<uint64_t>(st.st_size);
    info.inode = static_cast<uint64_t>(st.st_ino);
    info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    info.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
    return info;
  }

  Status CreateDirs(const std::string& dir) override {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return ErrnoStatus("cannot create directory '" + dir + "'", ec.value());
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0)
      return ErrnoStatus("cannot rename " + from + " to " + to, errno);
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return ErrnoStatus("cannot remove " + path, errno);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(dir + ": cannot sync", errno);
    const int rc = ::fsync(fd);
    const int err = errno;
    ::close(fd);
    if (rc != 0) return ErrnoStatus(dir + ": cannot sync", err);
    return Status::Ok();
  }

  StatusOr<std::unique_ptr<FileLock>> TryLockFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) return ErrnoStatus("cannot open the lock file " + path, errno);
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) return std::unique_ptr<FileLock>();
      return ErrnoStatus("cannot lock " + path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(path, fd));
  }

  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point NowMonotonic() override {
    return std::chrono::steady_clock::now();
  }
  void SleepFor(std::chrono::microseconds d) override { std::this_thread::sleep_for(d); }

  void FillRandom(void* out, size_t n) override {
    auto* b = static_cast<unsigned char*>(out);
    if (RAND_bytes(b, static_cast<int>(n)) == 1) return;
    // OpenSSL's generator failed; fall back to the kernel's.
    if (getrandom(b, n, 0) == static_cast<ssize_t>(n)) return;
    std::random_device rd;
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(rd());
  }

  StatusOr<ProcessResult> RunProcess(const ProcessSpec& spec) override;
};

// The environment for a child: this process's, with `set` applied.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& set) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry = *e;
    bool replaced = false;
    for (const std::string& s : set) {
      const size_t eq = s.find('=');
      if (entry.substr(0, eq + 1) == std::string_view(s).substr(0, eq + 1)) replaced = true;
    }
    if (!replaced) out.emplace_back(entry);
  }
  out.insert(out.end(), set.begin(), set.end());
  return out;
}

StatusOr<ProcessResult> PosixEnv::RunProcess(const ProcessSpec& spec) {
  if (spec.argv.empty()) return InvalidArgumentError("RunProcess: no program");
  std::vector<std::string> env_strings = ChildEnvironment(spec.set_env);
  std::vector<std::string> argv = spec.argv;
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoStatus("pipe", errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(
      &actions, 1, spec.stdout_path.empty() ? "/dev/null" : spec.stdout_path.c_str(),
      O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return ErrnoStatus("cannot run " + spec.argv[0], rc);
  }
  ProcessResult result;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) result.stderr_text.append(buf, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace

Env* Env::Default() {
  static Env* const env = new PosixEnv();
  return env;
}

StatusOr<std::string> ReadFileToString(Env& env, const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file, env.NewRandomAccessFile(path));
  CAIRN_ASSIGN_OR_RETURN(uint64_t size, file->Size());
  std::string out;
  uint64_t at = 0;
  for (;;) {
    // The size as a hint: read until a short read says the end was reached.
    out.resize(static_cast<size_t>(std::max<uint64_t>(size, at) + 4096));
    CAIRN_ASSIGN_OR_RETURN(size_t got, file->Read(at, out.size() - at, out.data() + at));
    at += got;
    if (at < out.size()) break;
  }
  out.resize(static_cast<size_t>(at));
  return out;
}

namespace {
Status WriteAndSync(Env& env, const std::string& path, WriteMode mode, std::string_view data,
                    bool sync) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> file, env.NewWritableFile(path, mode));
  CAIRN_RETURN_IF_ERROR(file->Append(data));
  if (sync) CAIRN_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}
}  // namespace

Status WriteFileAtomically(Env& env, const std::string& path, std::string_view data, bool durable) {
  unsigned char r[8];
  env.FillRandom(r, sizeof r);
  std::string tmp = path + ".tmp.";
  for (unsigned char c : r) tmp += "0123456789abcdef"[c & 15];
  Status s = WriteAndSync(env, tmp, WriteMode::kCreateNew, data, durable);
  if (s.ok()) s = env.RenameFile(tmp, path);
  if (!s.ok()) {
    (void)env.RemoveFile(tmp);
    return s;
  }
  return durable ? env.SyncDir(ParentDir(path)) : Status::Ok();
}

Status WriteNewFile(Env& env, const std::string& path, std::string_view data) {
  Status s = WriteAndSync(env, path, WriteMode::kCreateNew, data, /*sync=*/true);
  if (!s.ok() && s.code() != StatusCode::kAlreadyExists) (void)env.RemoveFile(path);
  if (s.ok()) s = env.SyncDir(ParentDir(path));
  return s;
}

std::string NewUuid(Env& env) {
  unsigned char b[16];
  env.FillRandom(b, sizeof b);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static const char* kDigits = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : b) {
    hex.push_back(kDigits[c >> 4]);
    hex.push_back(kDigits[c & 15]);
  }
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

int64_t NowMicros(Env& env) {
  return std::chrono::duration_cast<std::chrono::microseconds>(env.Now().time_since_epoch())
      .count();
}

}  // namespace cairn

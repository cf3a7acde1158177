// The Env contract (cairn/base/env.h) on the real operating system, and the
// SQLite VFS shim that lets a non-default Env see SQLite's file I/O (and
// that the default Env never installs).
#include "cairn/base/env.h"

#include <gmock/gmock.h>
#include <sqlite3.h>

#include <atomic>
#include <cstring>

#include "cairn/db/database.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> CairnVfsNames() {
  std::vector<std::string> out;
  for (sqlite3_vfs* v = sqlite3_vfs_find(nullptr); v != nullptr; v = v->pNext)
    if (std::string_view(v->zName).rfind("cairn-env-", 0) == 0) out.emplace_back(v->zName);
  return out;
}

// Counts what SQLite asks, refuses writes while `full` is set.
class CountingEnv : public EnvWrapper {
 public:
  CountingEnv() : EnvWrapper(Env::Default()) {}
  Status AllowForeignFileOp(const ForeignFileOp& op) override {
    if (op.kind == ForeignFileOp::kWrite) {
      if (full) return Status(StatusCode::kResourceExhausted, "full");
      writes += 1;
      bytes += op.bytes;
    }
    if (op.kind == ForeignFileOp::kSync) syncs += 1;
    return Status::Ok();
  }
  std::atomic<bool> full{false};
  std::atomic<uint64_t> writes{0}, bytes{0}, syncs{0};
};

TEST(EnvTest, WritesAtomicallyReadsBackAndLeavesNoTemporaryFile) {
  TempDir dir;
  Env& env = *Env::Default();
  const std::string path = dir.File("out.txt");
  ASSERT_TRUE(WriteFileAtomically(env, path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(env, path, std::string(100000, 'x')).ok());
  auto text = ReadFileToString(env, path);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, std::string(100000, 'x'));
  auto names = env.GetChildren(dir.path());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"out.txt"});

  Status again = WriteNewFile(env, path, "x");
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  EXPECT_EQ(*ReadFileToString(env, path), std::string(100000, 'x'));
  auto missing = ReadFileToString(env, dir.File("nope"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope"));
  auto info = env.Stat(path);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->is_regular);
  EXPECT_EQ(info->size, 100000u);
}

TEST(EnvTest, FileLockExcludesASecondHolderUntilReleased) {
  TempDir dir;
  Env& env = *Env::Default();
  const std::string path = dir.File("x.lock");
  auto first = env.TryLockFile(path);
  ASSERT_TRUE(first.ok() && *first != nullptr);
  ASSERT_TRUE((*first)->SetContents("holder one\n").ok());
  auto second = env.TryLockFile(path);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, nullptr) << "two holders of one lock";
  EXPECT_EQ(*ReadFileToString(env, path), "holder one\n");
  first->reset();
  second = env.TryLockFile(path);
  ASSERT_TRUE(second.ok());
  EXPECT_NE(*second, nullptr);
}

TEST(EnvTest, RunsAChildProcessWithItsEnvironmentExitCodeAndErrorOutput) {
  TempDir dir;
  Env& env = *Env::Default();
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "echo \"$CAIRN_ENV_TEST\"; echo oops >&2; exit 3"};
  spec.set_env = {"CAIRN_ENV_TEST=from the spec"};
  spec.stdout_path = dir.File("out");
  auto r = env.RunProcess(spec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->signal, 0);
  EXPECT_EQ(r->stderr_text, "oops\n");
  EXPECT_EQ(*ReadFileToString(env, dir.File("out")), "from the spec\n");

  spec.argv = {"cairn-no-such-program"};
  r = env.RunProcess(spec);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
  EXPECT_THAT(r.status().message(), HasSubstr("cannot run cairn-no-such-program"));
}

TEST(EnvTest, UuidsAndTimeComeFromTheEnv) {
  class Fixed : public EnvWrapper {
   public:
    Fixed() : EnvWrapper(Env::Default()) {}
    void FillRandom(void* out, size_t n) override { std::memset(out, 0xab, n); }
    std::chrono::system_clock::time_point Now() override {
      return std::chrono::system_clock::time_point(std::chrono::microseconds(1234567));
    }
  } env;
  EXPECT_EQ(NewUuid(env), "abababab-abab-4bab-abab-abababababab");
  EXPECT_EQ(NowMicros(env), 1234567);
}

TEST(EnvVfsTest, TheDefaultEnvOpensSqliteWithoutAShim) {
  TempDir dir;
  auto url = db::ParseDatabaseUrl("sqlite:" + dir.File("d.db"));
  ASSERT_TRUE(url.ok());
  const std::vector<std::string> before = CairnVfsNames();
  db::OpenOptions options;
  options.env = Env::Default();
  auto conn = db::Connection::Open(*url, options);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->Execute("CREATE TABLE t (x)").ok());
  EXPECT_EQ(CairnVfsNames(), before) << "a shim was registered for the default Env";
}

TEST(EnvVfsTest, ANonDefaultEnvSeesSqliteWritesAndSyncsAndCanFillTheDisk) {
  TempDir dir;
  auto url = db::ParseDatabaseUrl("sqlite:" + dir.File("d.db"));
  ASSERT_TRUE(url.ok());
  CountingEnv env;
  db::OpenOptions options;
  options.env = &env;
  auto conn = db::Connection::Open(*url, options);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  ASSERT_TRUE((*conn)->Execute("CREATE TABLE t (b BLOB)").ok());
  ASSERT_TRUE((*conn)->Execute("INSERT INTO t VALUES (randomblob(100000))").ok());
  EXPECT_GT(env.bytes.load(), 100000u);
  EXPECT_GT(env.syncs.load(), 0u);
  EXPECT_EQ(CairnVfsNames().size(), 1u);

  env.full = true;
  auto full = (*conn)->Execute("INSERT INTO t VALUES (randomblob(100000))");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted) << full.status().ToString();
  EXPECT_THAT(full.status().message(), HasSubstr("the disk is full"));
  env.full = false;
  auto rows = (*conn)->Query("SELECT count(*) FROM t");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0][0].AsInt(), 1);

  // A backup copy goes through the same Env.
  const uint64_t before = env.bytes;
  ASSERT_TRUE((*conn)->BackupTo(dir.File("copy.db")).ok());
  EXPECT_GT(env.bytes.load() - before, 100000u);
}

}  // namespace
}  // namespace cairn::testing

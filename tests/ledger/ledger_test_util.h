// Helpers shared by the ledger tests: status assertions, deterministic events,
// raw access to the cairn_ledger rows, and child processes started by fork().
#ifndef CAIRN_TESTS_LEDGER_LEDGER_TEST_UTIL_H_
#define CAIRN_TESTS_LEDGER_LEDGER_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/store/store.h"
#include "cairn/v1/events.pb.h"
#include "tests/support/test_support.h"

namespace cairn::testing {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const StatusOr<T>& s) {
  return s.status();
}

}  // namespace cairn::testing

#define CAIRN_EXPECT_OK(expr)                                                      \
  do {                                                                             \
    const auto& cairn_s_ = (expr);                                                 \
    EXPECT_TRUE(cairn_s_.ok()) << ::cairn::testing::StatusOf(cairn_s_).ToString(); \
  } while (0)
#define CAIRN_ASSERT_OK(expr)                                                      \
  do {                                                                             \
    const auto& cairn_s_ = (expr);                                                 \
    ASSERT_TRUE(cairn_s_.ok()) << ::cairn::testing::StatusOf(cairn_s_).ToString(); \
  } while (0)
// `CAIRN_ASSERT_OK_AND_ASSIGN(auto x, Foo());` in a void function.
#define CAIRN_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  CAIRN_ASSERT_OK_AND_ASSIGN_IMPL_(CAIRN_CONCAT_(cairn_aoa_, __LINE__), lhs, expr)
#define CAIRN_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();      \
  lhs = std::move(tmp).value()

namespace cairn::testing {

// A lowercase version-4 UUID determined by (group, seq): event ids that a
// test can predict and look up.
inline std::string TestUuid(uint32_t group, uint64_t seq) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012llx", group,
                static_cast<unsigned long long>(seq & 0xffffffffffffULL));
  return buf;
}

// A fixed timestamp (micros) for event `seq`, so records are reproducible.
inline int64_t TestMicros(uint64_t seq) {
  return 1795256130123456LL + static_cast<int64_t>(seq) * 1000001;
}

inline void SetMicros(v1::Event* e, int64_t micros) {
  e->mutable_recorded_at()->set_seconds(micros / 1000000);
  e->mutable_recorded_at()->set_nanos(static_cast<int32_t>(micros % 1000000) * 1000);
}

// A complete event for `stream` with a deterministic id, time and body. The
// body kind rotates with `seq` so several event types are stored.
inline v1::Event TestEvent(std::string_view stream, uint32_t group, uint64_t seq) {
  v1::Event e;
  e.set_stream(std::string(stream));
  e.set_event_id(TestUuid(group, seq));
  e.set_run_id(TestUuid(group, 0xffffffULL));
  SetMicros(&e, TestMicros(seq));
  e.mutable_actor()->set_user("alice");
  e.mutable_actor()->set_host("db1");
  e.mutable_actor()->set_tool_version("cairn test");
  char id[16];
  std::snprintf(id, sizeof id, "%04llu", static_cast<unsigned long long>(seq));
  switch (seq % 3) {
    case 0: {
      auto* b = e.mutable_migration_started();
      b->set_migration_id(id);
      b->set_description("step " + std::to_string(seq));
      b->set_checksum("sha256:" + std::string(64, 'a'));
      b->set_direction(v1::DIRECTION_UP);
      break;
    }
    case 1: {
      auto* b = e.mutable_migration_committed();
      b->set_migration_id(id);
      b->set_duration_micros(static_cast<int64_t>(seq) * 17);
      b->set_statements_executed(3);
      b->set_direction(v1::DIRECTION_UP);
      break;
    }
    default: {
      auto* b = e.mutable_batch_applied();
      b->set_migration_id(id);
      b->set_cursor("key-" + std::to_string(seq));
      b->set_rows(static_cast<int64_t>(seq));
      b->set_batch_number(static_cast<int64_t>(seq));
      break;
    }
  }
  return e;
}

// One cairn_ledger row as stored.
struct RawRow {
  std::string stream;
  int64_t position = 0;
  std::string event_id;
  std::string event_type;
  int64_t recorded_at = 0;
  std::string record;
  std::string prev_hash;
  std::string hash;
  bool operator==(const RawRow&) const = default;
};

inline void PrintTo(const RawRow& r, std::ostream* os) {
  *os << "{" << r.stream << " #" << r.position << " " << r.event_id << " " << r.event_type << " @"
      << r.recorded_at << " record " << r.record.size() << " bytes sha256 "
      << ledger::ToHex(ledger::Sha256(r.record)).substr(0, 16) << " prev "
      << ledger::ToHex(r.prev_hash).substr(0, 16) << " hash " << ledger::ToHex(r.hash).substr(0, 16)
      << "}";
}

// The rows of `stream` ordered by position, read with plain SQL.
inline StatusOr<std::vector<RawRow>> RawRows(db::Connection& conn, std::string_view stream) {
  CAIRN_ASSIGN_OR_RETURN(
      auto rows, conn.Query("SELECT stream, position, event_id, event_type, recorded_at, record, "
                            "prev_hash, hash FROM cairn_ledger WHERE stream = $1 ORDER BY position",
                            {db::Value(stream)}));
  std::vector<RawRow> out;
  for (const auto& r : rows) {
    out.push_back(RawRow{r[0].AsText(), r[1].AsInt(), r[2].AsText(), r[3].AsText(), r[4].AsInt(),
                         r[5].AsBytes(), r[6].AsBytes(), r[7].AsBytes()});
  }
  return out;
}

// Switches cairn_ledger's append-only guards off, as the owner of the
// database can (docs/ledger-format.md, "Append-only guards"), so that a
// test can tamper with the rows.
inline Status DisableLedgerGuards(db::Connection& conn) {
  if (conn.backend() == db::Backend::kSqlite) {
    return conn.ExecuteScript(
        "DROP TRIGGER cairn_ledger_no_update; DROP TRIGGER cairn_ledger_no_delete; "
        "DROP TRIGGER IF EXISTS cairn_ledger_no_replace;",
        nullptr, nullptr);
  }
  return conn.Execute("ALTER TABLE cairn_ledger DISABLE TRIGGER USER").status();
}

inline StatusOr<int64_t> CountRows(db::Connection& conn) {
  CAIRN_ASSIGN_OR_RETURN(auto rows, conn.Query("SELECT count(*) FROM cairn_ledger"));
  return rows.at(0)[0].AsInt();
}

// Appends `count` TestEvents (seq first_seq, first_seq+1, ...) in one
// transaction and commits.
inline Status AppendTestEvents(ledger::LedgerStore& store, std::string_view stream, uint32_t group,
                               uint64_t first_seq, int count) {
  CAIRN_ASSIGN_OR_RETURN(auto tx, store.connection().Begin());
  for (int i = 0; i < count; ++i) {
    auto r = store.Append(*tx, TestEvent(stream, group, first_seq + static_cast<uint64_t>(i)));
    if (!r.ok()) return r.status();
  }
  return tx->Commit();
}

// Runs `body(i)` for i in [0, n) in n forked child processes that start
// together (they block on a pipe until all are forked) and returns their exit
// codes (-1 for a child killed by a signal). A child never returns into
// gtest: it leaves with _exit(body's result). A child still running after
// `alarm_seconds` is killed by SIGALRM instead of hanging the suite.
inline std::vector<int> RunInChildProcesses(int n, const std::function<int(int)>& body,
                                            unsigned alarm_seconds = 120) {
  int barrier[2];
  if (pipe(barrier) != 0) {
    ADD_FAILURE() << "pipe failed";
    return {};
  }
  std::fflush(nullptr);
  std::vector<pid_t> pids;
  for (int i = 0; i < n; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      alarm(alarm_seconds);
      close(barrier[1]);
      char c;
      while (read(barrier[0], &c, 1) > 0) {
      }
      close(barrier[0]);
      int rc = 99;
      try {
        rc = body(i);
      } catch (...) {
        rc = 98;
      }
      std::fflush(nullptr);
      _exit(rc);
    }
    if (pid < 0) ADD_FAILURE() << "fork failed";
    if (pid > 0) pids.push_back(pid);
  }
  close(barrier[0]);
  close(barrier[1]);  // releases the children
  std::vector<int> codes;
  for (pid_t pid : pids) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
  return codes;
}

// A test run once per backend with a throwaway database, a connection and
// a ledger store on it. When the backend is unavailable SetUp leaves them
// null (the test is skipped or failed by TestDatabase::Create); subclasses
// that extend SetUp check `if (!conn_) return;` after calling it.
class ConnectedBackendTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    if (!tdb_) return;
    conn_ = tdb_->Connect();
    ASSERT_NE(conn_, nullptr);
    store_ = ledger::LedgerStore::For(*conn_);
  }

  std::unique_ptr<TestDatabase> tdb_;
  std::unique_ptr<db::Connection> conn_;
  std::unique_ptr<ledger::LedgerStore> store_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_LEDGER_LEDGER_TEST_UTIL_H_

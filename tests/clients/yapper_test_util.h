// Shared by the Yapper bridge tests: a target database whose ledger the
// bridge follows, a Yapper database it writes into, and the runner and the
// bridge as separate `cairn` processes.
#ifndef CAIRN_TESTS_CLIENTS_YAPPER_TEST_UTIL_H_
#define CAIRN_TESTS_CLIENTS_YAPPER_TEST_UTIL_H_

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/ledger/ledger_test_util.h"

namespace cairn::testing {

class YapperTestBase {
 protected:
  // Creates the target and the Yapper database on `backend`; false when the
  // backend is unavailable (TestDatabase recorded the skip or the failure).
  bool CreateDatabases(db::Backend backend) {
    target_ = TestDatabase::Create(backend);
    if (!target_) return false;
    yapper_ = TestDatabase::Create(backend);
    EXPECT_TRUE(yapper_);
    return yapper_ != nullptr;
  }

  // The bridge's stored position for stream "campus" (-1: none yet).
  int64_t BridgePosition() {
    auto y = yapper_->Connect();
    auto rows = y->Query("SELECT position FROM cairn_yapper_bridge WHERE source = 'campus'");
    return rows.ok() && !rows->empty() ? (*rows)[0][0].AsInt() : -1;
  }

  // `cairn --stream campus ARGS` on the target; its exit code.
  int Runner(std::vector<std::string> args) {
    args.insert(args.begin(), {"--stream", "campus"});
    return RunCairn(target_->url(), dir_.path(), args).exit_code;
  }

  // The argv of `cairn --database TARGET --dir DIR --stream campus ARGS`.
  std::vector<std::string> RunnerArgv(const std::vector<std::string>& args) {
    std::vector<std::string> argv{CairnBinary(), "--database", target_->url(), "--dir",
                                  dir_.path(),   "--stream",   "campus"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // The target's ledger head.
  int64_t LedgerHead() {
    auto tc = target_->Connect();
    auto head = ledger::LedgerStore::For(*tc)->GetHead("campus");
    return head.ok() ? head->position : -1;
  }

  // Waits for `bridge` to reach the ledger's head, then stops it (SIGTERM),
  // which it must survive with exit 0.
  void StopWhenCaughtUp(Child& bridge) {
    const int64_t head = LedgerHead();
    const bool caught_up = WaitFor([&] { return BridgePosition() == head; });
    const int64_t reached = BridgePosition();
    bridge.Kill(SIGTERM);
    ProcessResult stopped = bridge.Wait();
    ASSERT_TRUE(caught_up) << reached << " of " << head << "; bridge: " << stopped.err;
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
  }

  // Every event of the target's stream "campus", in position order.
  std::vector<v1::Event> LedgerEvents() {
    auto tc = target_->Connect();
    std::vector<v1::Event> out;
    Status s = ledger::LedgerStore::For(*tc)->Read("campus", 1, 0, [&](const v1::Event& e) {
      out.push_back(e);
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  TempDir dir_;
  std::unique_ptr<TestDatabase> target_, yapper_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_CLIENTS_YAPPER_TEST_UTIL_H_

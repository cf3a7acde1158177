// LedgerStore::Import on both backends: a record hashed by another ledger is
// stored byte for byte; re-importing is idempotent; a gap, another history,
// a broken link, a changed record and a record whose columns disagree are
// refused with the position named, and nothing is written.
#include "tests/ledger/ledger_test_util.h"

namespace cairn::testing {
namespace {

class ImportTest : public ConnectedBackendTest {
 protected:
  void SetUp() override {
    ConnectedBackendTest::SetUp();
    if (!conn_) return;
    source_dir_ = std::make_unique<TempDir>();
    auto url = db::ParseDatabaseUrl("sqlite:" + source_dir_->File("src.db"));
    ASSERT_TRUE(url.ok());
    auto c = db::Connection::Open(*url);
    ASSERT_TRUE(c.ok());
    source_conn_ = std::move(*c);
    source_ = ledger::LedgerStore::For(*source_conn_);
    CAIRN_ASSERT_OK(source_->EnsureSchema());
    CAIRN_ASSERT_OK(AppendTestEvents(*source_, "s", 1, 1, 6));
    CAIRN_ASSERT_OK(source_->ReadRecords("s", 1, 0, [&](const ledger::StoredRecord& r) {
      records_.push_back(r);
      return true;
    }));
    ASSERT_EQ(records_.size(), 6u);
    CAIRN_ASSERT_OK(store_->EnsureSchema());
  }

  // Imports `r` in its own transaction, committing only on success.
  StatusOr<ledger::AppendResult> ImportOne(const ledger::StoredRecord& r) {
    CAIRN_ASSIGN_OR_RETURN(auto tx, conn_->Begin());
    auto result = store_->Import(*tx, r);
    if (result.ok()) CAIRN_RETURN_IF_ERROR(tx->Commit());
    return result;
  }

  std::unique_ptr<TempDir> source_dir_;
  std::unique_ptr<db::Connection> source_conn_;
  std::unique_ptr<ledger::LedgerStore> source_;
  std::vector<ledger::StoredRecord> records_;
};

TEST_P(ImportTest, StoresRecordsByteForByteAndReimportIsIdempotent) {
  if (!conn_) return;
  for (const auto& r : records_) {
    CAIRN_ASSERT_OK_AND_ASSIGN(auto a, ImportOne(r));
    EXPECT_FALSE(a.duplicate);
    EXPECT_EQ(a.position, r.position);
  }
  CAIRN_ASSERT_OK_AND_ASSIGN(auto a, ImportOne(records_[2]));
  EXPECT_TRUE(a.duplicate);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto here, RawRows(*conn_, "s"));
  CAIRN_ASSERT_OK_AND_ASSIGN(auto there, RawRows(*source_conn_, "s"));
  EXPECT_EQ(here, there);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto report, store_->Verify("s"));
  EXPECT_TRUE(report.ok) << report.problem;
}

TEST_P(ImportTest, RefusesBadRecordsNamingThePosition) {
  if (!conn_) return;
  CAIRN_ASSERT_OK(ImportOne(records_[0]).status());
  auto expect_refused = [&](const ledger::StoredRecord& r, StatusCode code,
                            const std::string& message) {
    auto result = ImportOne(r);
    ASSERT_FALSE(result.ok()) << message;
    EXPECT_EQ(result.status().code(), code) << result.status().ToString();
    EXPECT_NE(result.status().message().find(message), std::string::npos)
        << result.status().ToString();
  };
  expect_refused(records_[2], StatusCode::kFailedPrecondition, "position 3: gap");
  ledger::StoredRecord changed = records_[1];
  changed.record[changed.record.size() / 2] ^= 1;
  expect_refused(changed, StatusCode::kDataLoss, "position 2: hash mismatch");
  ledger::StoredRecord unlinked = records_[1];
  unlinked.prev_hash[0] ^= 1;
  expect_refused(unlinked, StatusCode::kDataLoss, "position 2: broken link");
  ledger::StoredRecord columns = records_[1];
  columns.event_type = "run_finished";
  expect_refused(columns, StatusCode::kDataLoss, "position 2: record mismatch");
  // Another history for position 1: same position, a different event.
  ledger::StoredRecord other = records_[0];
  other.event_id = TestUuid(9, 1);
  expect_refused(other, StatusCode::kAlreadyExists, "position 1");
  CAIRN_ASSERT_OK_AND_ASSIGN(auto head, store_->GetHead("s"));
  EXPECT_EQ(head.position, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

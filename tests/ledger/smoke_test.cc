#include "tests/support/test_support.h"

#include "cairn/ledger/store.h"

namespace cairn::testing {
namespace {

class SmokeTest : public ::testing::TestWithParam<db::Backend> {};

TEST_P(SmokeTest, AppendsAndVerifies) {
  auto tdb = TestDatabase::Create(GetParam());
  if (!tdb) return;
  auto conn = tdb->Connect();
  auto store = ledger::LedgerStore::For(*conn);
  ASSERT_TRUE(store->EnsureSchema().ok());
  auto tx = conn->Begin();
  ASSERT_TRUE(tx.ok());
  v1::Event e;
  e.set_stream("s");
  e.mutable_run_started()->set_direction(v1::DIRECTION_UP);
  auto r = store->Append(e);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->position, 1);
  ASSERT_TRUE((*tx)->Commit().ok());
  auto v = store->Verify("s");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok);
  EXPECT_EQ(v->head.position, 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, SmokeTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

}  // namespace
}  // namespace cairn::testing

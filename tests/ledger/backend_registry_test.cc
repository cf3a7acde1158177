// The database backend registry (cairn/db/backend_registry.h): the backends
// linked into a program register their schemes themselves, Connection::Open
// finds a backend by the URL's scheme, a loader runs once for a missing
// scheme, and an unknown scheme is an error naming it. How `cairn` loads the
// PostgreSQL module through a loader is tested in
// tests/clients/executables_test.cc; how the backends are linked, by
// scripts/check_db_symbols.py (ctest ledger_db_symbols).
#include "cairn/db/backend_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "tests/ledger/ledger_test_util.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

TEST(LedgerBackendRegistryTest, LinkedBackendsRegisteredThemselves) {
  // Nothing in this test binary registers them: their files did, on load.
  const std::vector<std::string> schemes = db::RegisteredSchemes();
  for (const char* scheme : {"file", "postgres", "postgresql", "sqlite", "sqlite3"})
    EXPECT_THAT(schemes, ::testing::Contains(scheme));
  EXPECT_TRUE(std::is_sorted(schemes.begin(), schemes.end()));
}

TEST(LedgerBackendRegistryTest, EverySchemeOfABackendFindsIt) {
  // The SQLite names share one backend, as the PostgreSQL ones do.
  CAIRN_ASSERT_OK_AND_ASSIGN(db::BackendFactory sqlite, db::FindBackend("sqlite"));
  CAIRN_ASSERT_OK_AND_ASSIGN(db::BackendFactory file, db::FindBackend("file"));
  CAIRN_ASSERT_OK_AND_ASSIGN(db::BackendFactory pg, db::FindBackend("postgres"));
  CAIRN_ASSERT_OK_AND_ASSIGN(db::BackendFactory pgsql, db::FindBackend("postgresql"));
  EXPECT_EQ(sqlite, file);
  EXPECT_EQ(pg, pgsql);
  EXPECT_NE(sqlite, pg);
}

// A backend of the test's own: SQLite under another name, counting opens.
std::atomic<int> fake_opens{0};
StatusOr<std::unique_ptr<db::Connection>> OpenFake(const db::DatabaseUrl& url,
                                                   const db::OpenOptions& options) {
  ++fake_opens;
  CAIRN_ASSIGN_OR_RETURN(db::BackendFactory sqlite, db::FindBackend("sqlite"));
  return sqlite(url, options);
}

TEST(LedgerBackendRegistryTest, FindReturnsTheFactoryRegisteredForTheScheme) {
  CAIRN_ASSERT_OK(db::RegisterBackend("fake-open", &OpenFake));
  TempDir dir;
  CAIRN_ASSERT_OK_AND_ASSIGN(db::DatabaseUrl url,
                             db::ParseDatabaseUrl("sqlite:" + dir.File("f.db")));
  CAIRN_ASSERT_OK_AND_ASSIGN(db::BackendFactory open, db::FindBackend("fake-open"));
  const int before = fake_opens;
  CAIRN_ASSERT_OK_AND_ASSIGN(auto conn, open(url, {}));
  EXPECT_EQ(fake_opens, before + 1);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto rows, conn->Query("SELECT 40 + 2"));
  EXPECT_EQ(rows.at(0)[0].AsInt(), 42);
  EXPECT_THAT(db::RegisteredSchemes(), ::testing::Contains("fake-open"));
}

TEST(LedgerBackendRegistryTest, ASchemeKeepsItsFirstBackend) {
  Status again = db::RegisterBackend("sqlite", &OpenFake);
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
  EXPECT_THAT(again.message(), HasSubstr("'sqlite'"));
  CAIRN_ASSERT_OK_AND_ASSIGN(db::BackendFactory f, db::FindBackend("sqlite"));
  EXPECT_NE(f, &OpenFake);
  EXPECT_EQ(db::RegisterBackend("", &OpenFake).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(db::RegisterBackend("null-factory", nullptr).code(), StatusCode::kInvalidArgument);
}

TEST(LedgerBackendRegistryTest, UnknownSchemeIsAnErrorNamingIt) {
  auto conn = db::FindBackend("mysql");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().code(), StatusCode::kUnimplemented) << conn.status().ToString();
  EXPECT_THAT(conn.status().message(), HasSubstr("database scheme 'mysql'"));
  // ... and says what the program has instead.
  EXPECT_THAT(conn.status().message(), HasSubstr("postgresql"));
  EXPECT_THAT(conn.status().message(), HasSubstr("sqlite"));
}

// A loader that registers its scheme, as cairn-pg.so's initializer does.
std::atomic<int> lazy_loads{0};
Status LoadLazy(std::string_view scheme) {
  ++lazy_loads;
  return db::RegisterBackend(scheme, &OpenFake);
}

TEST(LedgerBackendRegistryTest, ALoaderRunsOnceForAMissingScheme) {
  CAIRN_ASSERT_OK(db::RegisterBackendLoader("lazy", &LoadLazy));
  EXPECT_THAT(db::RegisteredSchemes(), ::testing::Not(::testing::Contains("lazy")));
  EXPECT_EQ(lazy_loads, 0);
  CAIRN_ASSERT_OK_AND_ASSIGN(db::BackendFactory f, db::FindBackend("lazy"));
  EXPECT_EQ(f, &OpenFake);
  CAIRN_ASSERT_OK_AND_ASSIGN(f, db::FindBackend("lazy"));
  EXPECT_EQ(lazy_loads, 1);  // registered now: not loaded again
}

Status LoadNothing(std::string_view) { return Status::Ok(); }
Status LoadFails(std::string_view) {
  return UnavailableError("could not be loaded from /nowhere/module.so");
}

TEST(LedgerBackendRegistryTest, ALoaderThatFailsOrRegistersNothingIsAnErrorNamingTheScheme) {
  CAIRN_ASSERT_OK(db::RegisterBackendLoader("broken", &LoadFails));
  auto f = db::FindBackend("broken");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kUnavailable);  // the loader's own
  EXPECT_THAT(f.status().message(), HasSubstr("database scheme 'broken'"));
  EXPECT_THAT(f.status().message(), HasSubstr("/nowhere/module.so"));

  CAIRN_ASSERT_OK(db::RegisterBackendLoader("empty", &LoadNothing));
  f = db::FindBackend("empty");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), StatusCode::kInternal);
  EXPECT_THAT(f.status().message(), HasSubstr("database scheme 'empty'"));
  EXPECT_THAT(f.status().message(), HasSubstr("registered none"));
}

}  // namespace
}  // namespace cairn::testing

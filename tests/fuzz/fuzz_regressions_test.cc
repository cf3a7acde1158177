// Regression tests for what the fuzzers found (docs/fuzzing.md). Each test
// names the target and the input that broke a property.
#include <gtest/gtest.h>

#include "cairn/db/database.h"

namespace cairn::db {
namespace {

// database_url: libpq reads the user info up to the last '@' before the
// first '/', so a '?' in a user name or password does not start the query.
// The parser took "alic" for the host and left the password unredacted, so
// it reached error messages and the ledger's recorded command line.
TEST(FuzzRegressionTest, QuestionMarkInPasswordIsStillRedacted) {
  auto u = ParseDatabaseUrl("postgres://bob:pa?ss@db.example:5432/campus?sslmode=require");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->redacted, "postgres://bob:***@db.example:5432/campus?sslmode=require");
  EXPECT_EQ(u->database_name, "campus");

  auto f = ParseDatabaseUrl("postgres://alic?e:s3cret-pw@db.example:543]2/campus?sslmode=zequire");
  if (f.ok()) {
    EXPECT_EQ(f->redacted.find("s3cret-pw"), std::string::npos) << f->redacted;
  } else {
    EXPECT_EQ(f.status().message().find("s3cret-pw"), std::string::npos) << f.status().message();
  }
}

TEST(FuzzRegressionTest, UserInfoWithQuestionMarkNamesTheDefaultDatabase) {
  // No path: the database defaults to the user name, as libpq does.
  auto u = ParseDatabaseUrl("postgres://who?me:pw@localhost");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->database_name, "who?me");
  EXPECT_EQ(u->redacted, "postgres://who?me:***@localhost");
}

}  // namespace
}  // namespace cairn::db

// The one table from Status to exit code (clients/exit_codes.cc): errors made
// by the modules that make them exit with their kind's code, every other
// error by its StatusCode, and the text of a message decides nothing.
#include "clients/cli/exit_codes.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <utility>
#include <vector>

#include "cairn/db/database.h"
#include "cairn/export/export.h"
#include "cairn/runner/formats.h"
#include "cairn/runner/plan.h"
#include "cairn/store/identity.h"
#include "clients/yapper/yapper_bridge.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

using cli::ExitFor;

TEST(ClientsExitCodesTest, OkIsZero) { EXPECT_EQ(ExitFor(Status::Ok()), 0); }

// The codes every error without a kind has exited with since 0.1: pinned so
// that a change to the table is a visible change to this list.
TEST(ClientsExitCodesTest, ErrorsWithoutAKindExitByTheirCode) {
  const std::vector<std::pair<StatusCode, int>> expected = {
      {StatusCode::kCancelled, 70},         {StatusCode::kUnknown, 70},
      {StatusCode::kInvalidArgument, 3},    {StatusCode::kDeadlineExceeded, 7},
      {StatusCode::kNotFound, 3},           {StatusCode::kAlreadyExists, 3},
      {StatusCode::kPermissionDenied, 19},  {StatusCode::kResourceExhausted, 4},
      {StatusCode::kFailedPrecondition, 3}, {StatusCode::kAborted, 6},
      {StatusCode::kOutOfRange, 4},         {StatusCode::kUnimplemented, 70},
      {StatusCode::kInternal, 70},          {StatusCode::kUnavailable, 4},
      {StatusCode::kDataLoss, 5},           {StatusCode::kUnauthenticated, 19},
  };
  for (const auto& [code, exit] : expected)
    EXPECT_EQ(ExitFor(Status(code, "x")), exit) << StatusCodeName(code);
}

TEST(ClientsExitCodesTest, APlanChangedErrorExits10) {
  runner::ReviewedPlan plan;
  plan.hash = std::string(64, 'b');
  Status s = runner::PlanChangedError(std::string(64, 'a'), plan);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.kind(), runner::kPlanChanged);
  EXPECT_EQ(ExitFor(s), cli::kExitPlanChanged);
  // However it is annotated on the way up.
  EXPECT_EQ(ExitFor(s.Annotate("migrate")), 10);
}

TEST(ClientsExitCodesTest, TheTextOfAMessageDecidesNothing) {
  // The messages IsPlanChanged and IsAdoptRefused used to look for, without
  // the kind: exit by their code (3), not 10 or 20.
  EXPECT_EQ(ExitFor(FailedPreconditionError("plan changed since review: reviewed plan x")), 3);
  EXPECT_EQ(ExitFor(FailedPreconditionError("adopt refused: x; nothing was written")), 3);
  EXPECT_EQ(ExitFor(FailedPreconditionError("Yapper schema mismatch: table x")), 3);
}

TEST(ClientsExitCodesTest, KindsExitWithTheirRowWhateverTheirCode) {
  const Status base = FailedPreconditionError("x");
  EXPECT_EQ(ExitFor(base.WithKind(runner::kAdoptRefused)), 20);
  EXPECT_EQ(ExitFor(base.WithKind(cli::kYapperMismatch)), 13);
  EXPECT_EQ(ExitFor(InvalidArgumentError("x").WithKind(ledger::kStreamRefused)), 3);
  EXPECT_EQ(ExitFor(AlreadyExistsError("x").WithKind(cli::kHistoryRefused)), 5);
  EXPECT_EQ(ExitFor(InvalidArgumentError("x").WithKind(cli::kBadFlag)), 2);
  // A kind the table does not list exits by the code.
  constexpr ErrorKind kUnlisted{"test.Unlisted"};
  EXPECT_EQ(ExitFor(AbortedError("x").WithKind(kUnlisted)), 6);
}

TEST(ClientsExitCodesTest, ErrorsFromOpeningTheTargetExit4UnlessTheirKindHasARow) {
  EXPECT_EQ(ExitFor(InvalidArgumentError("x"), /*opening_target=*/true), 4);
  EXPECT_EQ(ExitFor(AlreadyExistsError("x").WithKind(db::kConstraintViolation), true), 4);
  // An ambiguous or unknown --stream is refused when the runner opens: exit 3.
  EXPECT_EQ(ExitFor(InvalidArgumentError("x").WithKind(ledger::kStreamRefused), true), 3);
  EXPECT_EQ(ExitFor(Status::Ok(), true), 0);
}

TEST(ClientsExitCodesTest, KeygenOverAnExistingFileIsAUsageError) {
  TempDir dir;
  const std::string path = dir.File("key.pem");
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto key = ledger::SigningKey::Generate(path);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().kind(), ledger::kKeyFileExists);
  EXPECT_EQ(ExitFor(key.status()), cli::kExitUsage);
  // Any other failure to create the file is not.
  auto missing = ledger::SigningKey::Generate(dir.File("no/such/dir/key.pem"));
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().kind().none());
  EXPECT_EQ(ExitFor(missing.status()), 3);
}

}  // namespace
}  // namespace cairn::testing

// Status kinds (cairn/base/status.h): what an error is travels with it
// through Annotate, StatusOr and the CAIRN_ macros, so that callers test the
// kind and never the text of the message.
#include "cairn/base/status.h"

#include <gtest/gtest.h>

namespace cairn::testing {
namespace {

constexpr ErrorKind kTestKind{"test.Kind"};
constexpr ErrorKind kOtherKind{"test.Other"};

Status Make() { return FailedPreconditionError("refused").WithKind(kTestKind); }

Status ThroughReturnIfError() {
  CAIRN_RETURN_IF_ERROR(Make());
  return Status::Ok();
}

StatusOr<int> MakeOr() { return Make().Annotate("step"); }

StatusOr<int> ThroughAssignOrReturn() {
  CAIRN_ASSIGN_OR_RETURN(int v, MakeOr());
  return v + 1;
}

TEST(StatusKindTest, AnErrorHasNoKindUnlessGivenOne) {
  EXPECT_TRUE(InvalidArgumentError("x").kind().none());
  EXPECT_TRUE(Status::Ok().kind().none());
  EXPECT_EQ(Make().kind(), kTestKind);
  EXPECT_EQ(Make().kind().name(), "test.Kind");
}

TEST(StatusKindTest, WithKindKeepsCodeAndMessageAndLeavesOkAlone) {
  Status s = Make();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "refused");
  EXPECT_EQ(s.ToString(), "FAILED_PRECONDITION: refused");  // the kind is not shown
  EXPECT_EQ(s.WithKind(kOtherKind).kind(), kOtherKind);     // replaces
  EXPECT_EQ(s.kind(), kTestKind);                           // the original is unchanged
  EXPECT_TRUE(Status::Ok().WithKind(kTestKind).ok());
  EXPECT_TRUE(Status::Ok().WithKind(kTestKind).kind().none());
}

TEST(StatusKindTest, KindsCompareByName) {
  constexpr ErrorKind same{"test.Kind"};
  EXPECT_EQ(same, kTestKind);
  EXPECT_NE(kOtherKind, kTestKind);
  EXPECT_NE(ErrorKind(), kTestKind);
}

TEST(StatusKindTest, AnnotateKeepsTheKind) {
  Status s = Make().Annotate("outer").Annotate("outermost");
  EXPECT_EQ(s.message(), "outermost: outer: refused");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.kind(), kTestKind);
}

TEST(StatusKindTest, TheMacrosAndStatusOrKeepTheKind) {
  Status s = ThroughReturnIfError();
  EXPECT_EQ(s.kind(), kTestKind);
  StatusOr<int> v = ThroughAssignOrReturn();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "step: refused");
  EXPECT_EQ(v.status().kind(), kTestKind);
}

TEST(StatusKindTest, AMessageThatLooksLikeAKindIsNotOne) {
  // Only WithKind gives a kind: the text of the message never does.
  EXPECT_TRUE(FailedPreconditionError("test.Kind").kind().none());
}

}  // namespace
}  // namespace cairn::testing

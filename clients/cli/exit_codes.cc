#include "cli/exit_codes.h"

#include "cairn/export/export.h"
#include "cairn/runner/checks.h"
#include "cairn/runner/formats.h"
#include "cairn/runner/plan.h"
#include "cairn/store/identity.h"
#include "yapper/yapper_bridge.h"

namespace cairn::cli {
namespace {

// One row of the table: errors with this key exit with `exit`.
template <typename Key>
struct Row {
  Key key;
  ExitCode exit;
};

// The one table, in two parts. Kinds first: an error that carries one of
// these kinds exits with its code, whatever its StatusCode.
constexpr Row<ErrorKind> kByKind[] = {
    {runner::kPlanChanged, kExitPlanChanged},
    {runner::kAdoptRefused, kExitAdoptRefused},
    {runner::kDriftRefused, kExitDrift},
    {runner::kNotConfirmed, kExitNotConfirmed},
    {kYapperMismatch, kExitDrift},                     // restarting the bridge will not help
    {ledger::kStreamRefused, kExitInvalidMigrations},  // also when opening the target
    {ledger::kKeyFileExists, kExitUsage},              // keygen --out names an existing file
    {kHistoryRefused, kExitVerifyFailed},
    {kBadFlag, kExitUsage},
};

// Then an error from opening the target is kExitDatabase, and every other
// error goes by its StatusCode; a code not listed is kExitInternal.
constexpr Row<StatusCode> kByCode[] = {
    {StatusCode::kInvalidArgument, kExitInvalidMigrations},
    {StatusCode::kFailedPrecondition, kExitInvalidMigrations},
    {StatusCode::kNotFound, kExitInvalidMigrations},
    {StatusCode::kAlreadyExists, kExitInvalidMigrations},
    {StatusCode::kUnauthenticated, kExitUnauthenticated},
    {StatusCode::kPermissionDenied, kExitUnauthenticated},
    {StatusCode::kUnavailable, kExitDatabase},
    {StatusCode::kResourceExhausted, kExitDatabase},
    {StatusCode::kOutOfRange, kExitDatabase},           // a server behind the position asked for
    {StatusCode::kDeadlineExceeded, kExitLockTimeout},  // only the runner lock's timeout
    {StatusCode::kDataLoss, kExitVerifyFailed},
    {StatusCode::kAborted, kExitConflict},
};

}  // namespace

int ExitFor(const Status& s, bool opening_target) {
  if (s.ok()) return kExitOk;
  if (!s.kind().none())
    for (const auto& row : kByKind)
      if (row.key == s.kind()) return row.exit;
  if (opening_target) return kExitDatabase;
  for (const auto& row : kByCode)
    if (row.key == s.code()) return row.exit;
  return kExitInternal;
}

std::string_view ExitName(int exit_code) {
  switch (exit_code) {
    case kExitOk:
      return "ok";
    case kExitMigrationFailed:
      return "migration_failed";
    case kExitUsage:
      return "usage";
    case kExitInvalidMigrations:
      return "invalid_migrations";
    case kExitDatabase:
      return "database";
    case kExitVerifyFailed:
      return "verify_failed";
    case kExitConflict:
      return "conflict";
    case kExitLockTimeout:
      return "lock_timeout";
    case kExitCompensationFailed:
      return "compensation_failed";
    case kExitPlanChanged:
      return "plan_changed";
    case kExitNotConfirmed:
      return "not_confirmed";
    case kExitLintFindings:
      return "lint_findings";
    case kExitUnauthenticated:
      return "unauthenticated";
    case kExitDrift:
      return "drift";
    case kExitRehearsalFailed:
      return "rehearsal_failed";
    case kExitInterrupted:
      return "interrupted";
    case kExitNoLedger:
      return "no_ledger";
    case kExitAdoptRefused:
      return "adopt_refused";
    case kExitInternal:
      return "internal";
    case kExitSigint:
      return "interrupted";
    case kExitSigterm:
      return "interrupted";
    default:
      return "error";
  }
}

}  // namespace cairn::cli

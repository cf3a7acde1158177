// The exit codes of `cairn` and `cairn-net` (listed in README.md) and the one
// table that turns a Status into one (exit_codes.cc; docs/design.md, "The
// error model").
//
//   if (!s.ok()) return ExitFor(s);   // or Fail(s), which prints it first
//
// The runner library never picks an exit code: it returns a Status whose code
// and kind (cairn/base/status.h) say what went wrong, and only the command
// line maps that to a number. A new exit code is one enumerator here and one
// row in the table.
#ifndef CAIRN_CLIENTS_CLI_EXIT_CODES_H_
#define CAIRN_CLIENTS_CLI_EXIT_CODES_H_

#include <string_view>

#include "cairn/base/status.h"

namespace cairn::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitMigrationFailed = 1,
  kExitUsage = 2,
  kExitInvalidMigrations = 3,
  kExitDatabase = 4,
  kExitVerifyFailed = 5,
  kExitConflict = 6,
  kExitLockTimeout = 7,         // another runner held the lock past --lock-timeout
  kExitCompensationFailed = 8,  // --tx none: a migration failed and so did undoing the run
  kExitPlanChanged = 10,        // --plan-hash differs from the current plan
  kExitNotConfirmed = 11,       // production pre-flight not confirmed (no terminal, no --yes)
  kExitLintFindings = 12,       // cairn lint found dangerous operations
  kExitUnauthenticated = 19,    // a cairn server refused the token or its role
  kExitDrift = 13,              // the live schema differs from the ledger's fingerprint
  kExitRehearsalFailed = 14,    // cairn rehearse found a failing or irreversible migration
  kExitInterrupted = 16,        // SIGINT/SIGTERM stopped a batched migration; migrate resumes
  kExitNoLedger = 18,           // verify: the database holds no ledger events to verify
  kExitAdoptRefused = 20,       // cairn adopt: the other tool's table shows a dirty/failed entry
  kExitInternal = 70,
  kExitSigint = 130,   // SIGINT stopped an ordinary migration (128 + 2)
  kExitSigterm = 143,  // SIGTERM stopped an ordinary migration (128 + 15)
};

// Kinds the command line gives errors by where they happened, when the
// error's own code and kind do not say it.
//   A refusal of the history a command reads, as forward's of its source (exit 5).
inline constexpr ErrorKind kHistoryRefused{"cli.HistoryRefused"};
//   A flag's value that a library refused, as export's --format (exit 2).
inline constexpr ErrorKind kBadFlag{"cli.BadFlag"};

// The exit code for `s`: kExitOk when it is OK; else the table's row for its
// kind, if it has one; else, for an error from opening the target database or
// server (`opening_target`), kExitDatabase; else the row for its code; else
// kExitInternal.
int ExitFor(const Status& s, bool opening_target = false);

// The exit code's name, as `--json` reports it in error.kind (docs/json.md):
// "migration_failed", "usage", "lock_timeout", ...; "error" for a code not
// in ExitCode.
std::string_view ExitName(int exit_code);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_EXIT_CODES_H_

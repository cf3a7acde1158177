// Migrating at application start-up (StarPunk's pattern): every instance of
// an application calls MigrateOnStartup before it serves; exactly one applies
// what is pending, the others wait for the runner lock, find nothing left,
// and start.
//
//   cairn::runner::StartupOptions opts;
//   opts.dir = "/app/migrations";
//   opts.lock_timeout = std::chrono::seconds(30);
//   if (cairn::Status s = cairn::runner::MigrateOnStartup(url, opts); !s.ok()) {
//     std::fprintf(stderr, "cannot start: %s\n", s.ToString().c_str());
//     return 1;  // fail fast: never serve on a half-migrated schema
//   }
//
// Safe to call from several threads and processes at once (each call opens
// its own connection and takes the runner lock, cairn/runner/lock.h).
#ifndef CAIRN_RUNNER_STARTUP_H_
#define CAIRN_RUNNER_STARTUP_H_

#include <chrono>
#include <string>

#include "cairn/base/status.h"
#include "cairn/runner/checks.h"
#include "cairn/runner/runner.h"

namespace cairn::runner {

struct StartupOptions {
  std::string dir = "migrations";
  std::string stream;  // empty: the ledger's own (RunnerOptions::stream)
  // How long to wait for another instance that is migrating (0: not at all).
  std::chrono::milliseconds lock_timeout{60000};
  v1::TransactionMode tx = v1::TRANSACTION_MODE_PER_MIGRATION;
  // Recorded in RunStarted.command_line, e.g. "myapp 2.3 startup".
  std::string application = "cairn startup";
  // When set, receives the run's report (also on failure, when there is one).
  RunReport* report = nullptr;
  // The checks of `cairn migrate` (cairn/runner/checks.h), made under the
  // runner lock when something is pending. A start-up is unattended, so by
  // default a drifted schema refuses it, as `cairn migrate --strict` does;
  // kWarn logs the drift and migrates, as `cairn migrate` does.
  DriftPolicy drift = DriftPolicy::kRefuse;
  // Recorded in RunStarted.environment. "production" needs the pre-flight:
  // no one can be asked at start-up, so pending migrations are refused
  // unless `confirmed` says the plan was reviewed in advance (`cairn plan`),
  // as `cairn migrate --env production` without a terminal needs --yes.
  std::string environment;
  bool confirmed = false;
};

// Applies every pending migration in `dir` to `database_url`, holding the
// runner lock. OK when the schema is current afterwards (including when
// another instance did the work while this one waited). Errors:
//   kDeadlineExceeded   another runner held the lock longer than lock_timeout
//   kFailedPrecondition refused before running (bad file, changed checksum,
//                       out-of-order file, a prepared run pending; schema
//                       drift: kind kDriftRefused; production not confirmed:
//                       kind kNotConfirmed), or a migration failed: the
//                       message names file, line and error; the failure is
//                       in the ledger
//   kUnavailable        cannot connect or the connection broke
//   kAborted            another writer changed the ledger during the run
Status MigrateOnStartup(const std::string& database_url, const StartupOptions& options = {});

}  // namespace cairn::runner

#endif  // CAIRN_RUNNER_STARTUP_H_

// An application that migrates its database as it starts, StarPunk's
// pattern, safely: run as many instances at once as you like; one applies
// the pending migrations, the others wait for it and then start.
//
//   startup_migrate DATABASE_URL MIGRATIONS_DIR [LOCK_TIMEOUT]
//
// Exit status: 0 when the schema is current and the "application" would now
// serve; 1 when it must not start (the reason is printed).
#include <cstdio>
#include <string>

#include "cairn/runner/migration.h"
#include "cairn/runner/startup.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATABASE_URL MIGRATIONS_DIR [LOCK_TIMEOUT]\n", argv[0]);
    return 2;
  }
  cairn::runner::StartupOptions options;
  options.dir = argv[2];
  options.application = "startup_migrate example";
  if (argc > 3) {
    auto timeout = cairn::runner::ParseDuration(argv[3]);
    if (!timeout.ok()) {
      std::fprintf(stderr, "%s\n", timeout.status().message().c_str());
      return 2;
    }
    options.lock_timeout = *timeout;
  }
  cairn::runner::RunReport report;
  options.report = &report;

  // Fail fast: an application must not serve on a schema it does not expect.
  cairn::Status s = cairn::runner::MigrateOnStartup(argv[1], options);
  if (!s.ok()) {
    std::fprintf(stderr, "not starting: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("applied %zu migration(s); schema at version %s\n", report.applied.size(),
              report.version_after.empty() ? "(none)" : report.version_after.c_str());
  if (!report.handover.empty()) std::printf("%s\n", report.handover.c_str());
  std::printf("serving\n");
  return 0;
}

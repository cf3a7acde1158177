// cairn report --out FILE.html: the ledger as one self-contained HTML page
// for auditors (docs/report.md). Reads the database; writes only FILE.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "report/html_report.h"
#include "report/report_model.h"

#ifndef CAIRN_VERSION_STRING
#define CAIRN_VERSION_STRING "unknown"
#endif

namespace cairn::cli {
namespace {

struct ReportArgs {
  std::string out;
  std::vector<std::string> streams;
  bool all_streams = false;
  std::string title;
};

// Writes `contents` to `path` through a temporary file in the same directory
// and a rename, so a failed run never leaves a half-written report at `path`.
Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return InvalidArgumentError("--out " + path + ": cannot create: " + std::strerror(errno));
  size_t written = std::fwrite(contents.data(), 1, contents.size(), f);
  int err = written == contents.size() ? 0 : errno;
  if (std::fflush(f) != 0 && err == 0) err = errno;
  if (err == 0 && ::fsync(::fileno(f)) != 0) err = errno;
  if (std::fclose(f) != 0 && err == 0) err = errno;
  if (err == 0 && std::rename(tmp.c_str(), path.c_str()) != 0) err = errno;
  if (err != 0) {
    std::remove(tmp.c_str());
    return InvalidArgumentError("--out " + path + ": cannot write: " + std::strerror(err));
  }
  return Status::Ok();
}

int RunReport(const ReportArgs& args, CliContext& ctx) {
  runner::RunnerOptions options = ctx.RunnerOptionsFromGlobals();
  int rc;
  auto runner = ctx.OpenRunner(options, &rc);
  if (!runner) return rc;

  std::vector<std::string> streams = args.streams;
  if (args.all_streams) {
    auto listed = runner->store().ListStreams();
    if (!listed.ok()) return Fail(listed.status());
    streams = *listed;
    if (streams.empty()) streams.push_back(runner->stream());
  } else if (streams.empty()) {
    streams.push_back(runner->stream());  // --stream before the command, or the database's name
  }

  report::LedgerEventSource source(runner->store(), streams, runner->connection().url().redacted);
  report::ReportOptions report_options;
  report_options.title = args.title;
  report_options.tool_version = "cairn " CAIRN_VERSION_STRING;
  auto built = report::BuildReport(source, report_options);
  if (!built.ok()) return Fail(built.status());
  const std::string html = report::RenderHtml(*built);
  if (Status s = WriteFileAtomically(args.out, html); !s.ok()) return Fail(s);

  if (!ctx.quiet)
    std::printf("wrote %s: %zu migration(s), %lld event(s), %zu target(s), %zu bytes\n",
                args.out.c_str(), built->migrations.size(),
                static_cast<long long>(built->total_events), built->targets.size(), html.size());
  int exit_code = runner::kExitOk;
  for (const report::TargetSummary& t : built->targets) {
    if (!t.read_error.empty()) {
      std::fprintf(stderr, "cairn: error: stream %s: history incomplete: %s\n", t.name.c_str(),
                   t.read_error.c_str());
      exit_code = runner::kExitDatabase;
    }
  }
  for (const report::TargetSummary& t : built->targets) {
    if (!t.verified) {
      std::fprintf(stderr, "cairn: error: stream %s: the chain could not be verified: %s\n",
                   t.name.c_str(), t.verify_error.c_str());
      if (exit_code == runner::kExitOk) exit_code = runner::kExitDatabase;
    } else if (!t.verify.ok) {
      std::fprintf(stderr,
                   "cairn: error: ledger verification FAILED for stream %s at position %lld: %s "
                   "(the report shows it)\n",
                   t.name.c_str(), static_cast<long long>(t.verify.first_bad_position),
                   t.verify.problem.c_str());
      exit_code = runner::kExitVerifyFailed;
    }
  }
  return exit_code;
}

CommandAction SetupReport(CLI::App* cmd) {
  auto args = std::make_shared<ReportArgs>();
  cmd->add_option("--out,-o", args->out, "the HTML file to write")->required();
  cmd->add_option("--stream", args->streams,
                  "stream(s) to report on (repeatable; default: the target's stream)");
  cmd->add_flag("--all-streams", args->all_streams, "report on every stream in the database")
      ->excludes("--stream");
  cmd->add_option("--title", args->title, "the page title (default: names the targets)");
  return [args](CliContext& ctx) -> int { return RunReport(*args, ctx); };
}

}  // namespace

CAIRN_REGISTER_COMMAND(report, "write the ledger as a self-contained HTML report", 55, SetupReport);

}  // namespace cairn::cli

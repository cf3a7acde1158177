// cairn report --out FILE.html: the ledger as one self-contained HTML page
// for auditors (docs/report.md). Reads the database, a `cairn serve`
// (--server, net/report.cc), or a signed bundle (--bundle/--pubkey, which alongside a
// database or server only fills the signature slot); writes only FILE.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "build_info.h"
#include "cairn/export/bundle_reader.h"
#include "cairn/store/database_reader.h"
#include "cli/cli.h"
#include "cli/json_output.h"
#include "cli/net_commands.h"
#include "report/bundle_check.h"
#include "report/html_report.h"
#include "report/report_model.h"

namespace cairn::cli {
namespace {

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

int Store(StatusOr<report::Report> built, report::Report* out) {
  if (!built.ok()) return Fail(built.status());
  *out = std::move(*built);
  return kExitOk;
}

// Each Build* function folds the events of one source into *out and
// returns 0, or prints one error line and returns the exit code.

// The events read from the database directly.
int BuildDirect(const ReportArgs& args, CliContext& ctx, const report::ReportOptions& opts,
                report::Report* out) {
  runner::RunnerOptions options = ctx.ReadOnlyRunnerOptions();
  // Streams named by the report's own options need no default stream.
  options.any_stream = args.all_streams || !args.streams.empty();
  int rc;
  auto runner = ctx.OpenRunner(options, &rc);
  if (!runner) return rc;

  ledger::DatabaseEventReader reader(runner->store(), runner->connection().url().redacted);
  std::vector<std::string> streams = args.streams;
  if (args.all_streams) {
    auto listed = reader.Streams();
    if (!listed.ok()) return Fail(listed.status());
    streams = *listed;
    if (streams.empty()) streams.push_back(runner->stream());
  } else if (streams.empty()) {
    streams.push_back(runner->stream());  // --stream before the command, or the database's name
  }

  return Store(report::BuildReport(reader, streams, opts), out);
}

// The events of a signed bundle alone, offline: every stream it holds.
int BuildFromBundle(const ReportArgs& args, const ledger::PublicKey& key,
                    const report::ReportOptions& opts, report::Report* out) {
  auto reader = ledger::BundleEventReader::Open(args.bundle, key);
  if (!reader.ok()) return Fail(reader.status());
  auto streams = (*reader)->Streams();
  if (!streams.ok()) return Fail(streams.status());
  if (int rc = Store(report::BuildReport(**reader, *streams, opts), out); rc != 0) return rc;
  report::SetVerdict(report::VerdictOf(args.bundle, (*reader)->verified()), out);
  return kExitOk;
}

// Renders, writes and reports `r`; returns the exit code.
int WriteReport(const ReportArgs& args, const CliContext& ctx, const report::Report& r) {
  const std::string html = report::RenderHtml(r);
  if (Status s = WriteFileAtomically(args.out, html); !s.ok()) return Fail(s);

  if (JsonDocument* doc = ActiveJson()) {
    doc->Field("out", args.out);
    doc->Field("migrations", r.migrations.size());
    doc->Field("events", r.total_events);
    doc->Field("targets", r.targets.size());
    doc->Field("bytes", html.size());
  } else if (!ctx.quiet) {
    std::printf("wrote %s: %zu migration(s), %lld event(s), %zu target(s), %zu bytes\n",
                args.out.c_str(), r.migrations.size(), static_cast<long long>(r.total_events),
                r.targets.size(), html.size());
  }
  int exit_code = kExitOk;
  for (const report::TargetSummary& t : r.targets) {
    if (!t.read_error.empty()) {
      std::fprintf(stderr, "cairn: error: stream %s: history incomplete: %s\n", t.name.c_str(),
                   t.read_error.c_str());
      exit_code = kExitDatabase;
    }
  }
  for (const report::TargetSummary& t : r.targets) {
    if (!t.verified) {
      std::fprintf(stderr, "cairn: error: stream %s: the chain could not be verified: %s\n",
                   t.name.c_str(), t.verify_error.c_str());
      if (exit_code == kExitOk) exit_code = kExitDatabase;
    } else if (!t.verify.ok) {
      std::fprintf(stderr,
                   "cairn: error: ledger verification FAILED for stream %s at position %lld: %s "
                   "(the report shows it)\n",
                   t.name.c_str(), static_cast<long long>(t.verify.first_bad_position),
                   t.verify.problem.c_str());
      exit_code = kExitVerifyFailed;
    }
  }
  if (r.bundle == report::BundleCheck::kInvalid) {
    std::fprintf(stderr, "cairn: error: signature INVALID: %s (the report shows it)\n",
                 r.bundle_detail.c_str());
    exit_code = kExitVerifyFailed;
  }
  return exit_code;
}

int RunReport(const ReportArgs& args, CliContext& ctx) {
  std::optional<ledger::PublicKey> key;
  if (!args.bundle.empty()) {
    auto k = ledger::PublicKey::LoadPem(args.pubkey);
    if (!k.ok()) return Fail(k.status().Annotate("--pubkey"));
    key = std::move(*k);
  }
  report::ReportOptions opts;
  opts.title = args.title;
  opts.tool_version = "cairn " CAIRN_BUILD_VERSION;
  report::Report r;
  int rc;
  if (!args.remote.server.empty()) {
    rc = RunNetwork(Network().report, args, ctx, opts, &r);  // net/report.cc
  } else if (key && ctx.database.empty()) {
    rc = BuildFromBundle(args, *key, opts, &r);
  } else {
    rc = BuildDirect(args, ctx, opts, &r);
  }
  if (rc != kExitOk) return rc;
  if (key && r.bundle == report::BundleCheck::kNotChecked) {
    // Beside a database or server: the bundle's signature in the header.
    auto verdict = report::CheckBundle(args.bundle, *key);
    if (!verdict.ok()) return Fail(verdict.status());
    report::SetVerdict(*verdict, &r);
  }
  return WriteReport(args, ctx, r);
}

CommandAction SetupReport(CLI::App* cmd) {
  auto args = std::make_shared<ReportArgs>();
  cmd->add_option("--out,-o", args->out, "the HTML file to write")->required();
  cmd->add_option("--stream", args->streams,
                  "stream(s) to report on (repeatable; default: the target's stream)");
  cmd->add_flag("--all-streams", args->all_streams, "report on every stream in the database")
      ->excludes("--stream");
  cmd->add_option("--title", args->title, "the page title (default: names the targets)");
  args->remote.Add(cmd);
  auto* bundle = cmd->add_option(
      "--bundle", args->bundle,
      "a signed bundle: its signature goes in the header; alone (no database), also its events");
  cmd->add_option("--pubkey", args->pubkey, "the bundle signer's Ed25519 public key (PEM)")
      ->needs(bundle);
  bundle->needs("--pubkey");
  AddJsonFlag(cmd);
  return [args](CliContext& ctx) -> int { return RunReport(*args, ctx); };
}

}  // namespace

CAIRN_REGISTER_COMMAND(report, "write the ledger as a self-contained HTML report", 55, SetupReport);

}  // namespace cairn::cli

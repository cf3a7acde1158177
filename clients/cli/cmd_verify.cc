// cairn verify [--json] [--expect-head POS:HASH] [--anchor FILE]: recompute
// the hash chain, and check it against a head saved elsewhere
// (docs/verification.md), which is what catches a truncated tail.
// cairn verify --bundle FILE --pubkey KEY: check a signed bundle offline.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "cairn/base/hash.h"
#include "cairn/store/anchor.h"
#include "cairn/store/store.h"
#include "cli/cli.h"
#include "cli/cli_output.h"
#include "cli/cmd_export.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

using nlohmann::json;

struct VerifyFlags {
  bool json_out = false;
  std::string expect_head;
  std::string anchor_file;
};

// The anchor in `path`, or nullopt when the file does not exist yet.
StatusOr<std::optional<ledger::Anchor>> ReadAnchorFile(const std::string& path,
                                                       const std::string& stream) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    if (errno == ENOENT) return std::optional<ledger::Anchor>();
    return FailedPreconditionError("cannot read anchor file " + path + ": " + std::strerror(errno));
  }
  std::stringstream ss;
  ss << f.rdbuf();
  auto a = ledger::ParseAnchorFile(ss.str());
  if (!a.ok()) return InvalidArgumentError(path + ": " + a.status().message());
  if (a->stream != stream)
    return InvalidArgumentError(path + ": the anchor is for stream '" + a->stream +
                                "', the target's stream is '" + stream + "'");
  return std::optional<ledger::Anchor>(std::move(*a));
}

// Replaces `path` with the anchor by writing a temporary file beside it and
// renaming it over, so a crash leaves either the old or the new anchor.
Status WriteAnchorFile(const std::string& path, const ledger::Anchor& anchor) {
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr)
    return FailedPreconditionError("cannot write anchor file " + tmp + ": " + std::strerror(errno));
  const std::string line = ledger::FormatAnchorFile(anchor);
  bool ok = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  ok = std::fflush(f) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return FailedPreconditionError("cannot write anchor file " + path + ": " +
                                   std::strerror(errno));
  }
  return Status();
}

int RunVerify(CliContext& ctx, const VerifyFlags& flags) {
  std::optional<ledger::Anchor> expected;
  if (!flags.expect_head.empty()) {
    auto a = ledger::ParseExpectHead(flags.expect_head);
    if (!a.ok()) return Fail(a.status());
    expected = std::move(*a);
  }
  int rc;
  auto runner = ctx.OpenRunner(ctx.ReadOnlyRunnerOptions(), &rc);
  if (!runner) return rc;
  const std::string& stream = runner->stream();
  std::optional<ledger::Anchor> saved;
  if (!flags.anchor_file.empty()) {
    auto a = ReadAnchorFile(flags.anchor_file, stream);
    if (!a.ok()) return Fail(a.status());
    saved = std::move(*a);
  }

  auto r = runner->Verify();
  if (!r.ok()) return Fail(r.status());
  if (r->ok && r->events_checked == 0) {
    // Zero events verified is never a success (README, exit code 18).
    auto why = WhyNoEvents(*runner, 0);
    if (!why.ok()) return Fail(why.status());
    std::fprintf(stderr, "cairn: error: %s: nothing to verify\n", why->c_str());
    return JsonFail(kExitNoLedger, *why + ": nothing to verify");
  }
  for (const auto* anchor : {&expected, &saved}) {
    if (!anchor->has_value()) continue;
    Status s = ledger::CheckAnchor(runner->store(), stream, **anchor, &*r);
    if (!s.ok()) return Fail(s);
  }

  if (JsonDocument* doc = flags.json_out ? ActiveJson() : nullptr) {
    // "ok" is the envelope's: true when the chain verified and every check passed.
    json j = {
        {"stream", stream},
        {"events_checked", r->events_checked},
        {"head", {{"position", r->head.position}, {"hash", cairn::ledger::ToHex(r->head.hash)}}}};
    if (!r->ok) {
      j["first_bad_position"] = r->first_bad_position;
      j["fault"] = r->fault;
      j["problem"] = r->problem;
    }
    for (const auto& [key, value] : j.items()) doc->Field(key, value);
  } else if (r->ok) {
    std::printf("ok: stream %s, %lld event(s) verified, head position %lld hash %s\n",
                stream.c_str(), static_cast<long long>(r->events_checked),
                static_cast<long long>(r->head.position),
                cairn::ledger::ToHex(r->head.hash).c_str());
  }
  if (!r->ok) {
    std::fprintf(stderr,
                 "cairn: error: ledger verification FAILED for stream %s at position %lld: %s\n",
                 stream.c_str(), static_cast<long long>(r->first_bad_position), r->problem.c_str());
    return JsonFail(kExitVerifyFailed, "ledger verification FAILED for stream " + stream +
                                           " at position " + std::to_string(r->first_bad_position) +
                                           ": " + r->problem);
  }
  if (!flags.anchor_file.empty()) {
    Status s =
        WriteAnchorFile(flags.anchor_file, ledger::Anchor{r->head.position, r->head.hash, stream});
    if (!s.ok()) return Fail(s);
  }
  return kExitOk;
}

CommandAction SetupVerify(CLI::App* cmd) {
  auto flags = std::make_shared<VerifyFlags>();
  auto bundle = std::make_shared<BundleCheckOptions>();
  AddBundleCheckOptions(cmd, bundle.get());
  cmd->add_flag("--json", flags->json_out, "print one JSON document (docs/json.md)");
  cmd->add_option("--expect-head", flags->expect_head,
                  "POS:HASH from an earlier verify: the ledger must "
                  "still hold it (catches a truncated tail)");
  cmd->add_option("--anchor", flags->anchor_file,
                  "check the head saved in FILE (if it exists), then "
                  "save the new head there");
  return [flags, bundle](CliContext& ctx) {
    if (bundle->bundle.empty()) return RunVerify(ctx, *flags);
    bundle->json = flags->json_out;
    return VerifyBundleFile(*bundle);  // offline: cmd_export.cc
  };
}

}  // namespace

CAIRN_REGISTER_COMMAND(verify, "recompute the ledger's hash chain, or check a bundle offline", 50,
                       SetupVerify);

}  // namespace cairn::cli

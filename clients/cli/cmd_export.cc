// cairn export, cairn keygen, and the offline half of cairn verify
// (--bundle): compliance exports of a target's ledger (docs/export.md).
#include "cli/cmd_export.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cairn/base/hash.h"
#include "cairn/export/export.h"
#include "cairn/store/database_reader.h"
#include "cairn/store/identity.h"
#include "cli/json_output.h"
#include "cli/net_commands.h"
#include "cli/output_file.h"

namespace cairn::cli {

StatusOr<int64_t> ExportWith(ledger::EventReader& reader, const std::vector<std::string>& streams,
                             const ExportOptions& o, ledger::ExportFormat format,
                             const ledger::SigningKey* key, const std::string& reading_from) {
  OutputFile out;
  CAIRN_RETURN_IF_ERROR(out.Open(o.out));
  CAIRN_ASSIGN_OR_RETURN(auto writer, ledger::NewExportWriter(
                                          format, [&](std::string_view b) { return out.Write(b); },
                                          key, reader.Origin(), ledger::NowMicros()));
  auto n = ledger::ExportStreams(reader, streams, *writer);
  if (!n.ok()) return reading_from.empty() ? n.status() : n.status().Annotate(reading_from);
  CAIRN_RETURN_IF_ERROR(out.Commit());
  return *n;
}

namespace {

int RunExport(CliContext& ctx, const ExportOptions& o) {
  JsonDocument* doc = ActiveJson();
  if (doc != nullptr && o.out.empty()) {
    std::fprintf(stderr,
                 "cairn: error: export --json needs --out FILE (without it the export "
                 "itself goes to standard output)\n");
    return JsonFail(kExitUsage, "export --json needs --out FILE");
  }
  auto format = ledger::ParseExportFormat(o.format);
  if (!format.ok()) return Fail(format.status().WithKind(kBadFlag));
  if (o.all_streams && !o.stream.empty()) {
    std::fprintf(stderr, "cairn: error: --stream and --all-streams exclude each other\n");
    return kExitUsage;
  }
  std::optional<ledger::SigningKey> key;
  if (*format == ledger::ExportFormat::kBundle) {
    if (o.key.empty()) {
      std::fprintf(stderr, "cairn: error: --format bundle needs --key (a private key file)\n");
      return kExitUsage;
    }
    auto k = ledger::SigningKey::LoadPrivatePem(o.key);
    if (!k.ok()) return Fail(k.status().Annotate("--key"));
    key.emplace(std::move(*k));
  }
  if (!o.remote.server.empty())  // net/export.cc
    return RunNetwork(Network().export_records, ctx, o, *format, key ? &*key : nullptr);
  int rc = 0;
  CliContext scoped = ctx;
  if (!o.stream.empty()) scoped.stream = o.stream;
  auto target = OpenLedgerOf(scoped, "", &rc, o.all_streams);
  if (!target) return rc;
  ledger::DatabaseEventReader reader(*target->store, target->conn->url().redacted);
  std::vector<std::string> streams{target->stream};
  if (o.all_streams) {
    auto all = reader.Streams();
    if (!all.ok()) return Fail(all.status());
    streams = *all;
  }
  auto n = ExportWith(reader, streams, o, *format, key ? &*key : nullptr);
  if (!n.ok()) return Fail(n.status());
  if (doc != nullptr) {
    doc->Field("format", o.format);
    doc->Field("out", o.out);
    doc->Field("streams", streams);
    doc->Field("records", *n);
  } else if (!ctx.quiet && !o.out.empty()) {
    std::fprintf(stderr, "exported %lld record(s) of %zu stream(s) to %s\n",
                 static_cast<long long>(*n), streams.size(), o.out.c_str());
  }
  return kExitOk;
}

}  // namespace

std::unique_ptr<OpenLedger> OpenLedgerOf(const CliContext& ctx, const std::string& url_text,
                                         int* exit_code, bool any_stream, bool create) {
  const std::string& text = url_text.empty() ? ctx.database : url_text;
  if (text.empty()) {
    std::fprintf(stderr, "cairn: error: no database: give --database or set DATABASE_URL\n");
    *exit_code = kExitUsage;
    return nullptr;
  }
  auto url = db::ParseDatabaseUrl(text);
  if (!url.ok()) {
    *exit_code = Fail(url.status(), /*connecting=*/true);
    return nullptr;
  }
  db::OpenOptions open;
  open.create_missing = create;
  auto conn = db::Connection::Open(*url, open);
  if (!conn.ok()) {
    *exit_code = Fail(conn.status(), /*connecting=*/true);
    return nullptr;
  }
  auto out = std::make_unique<OpenLedger>();
  out->conn = std::move(*conn);
  out->store = ledger::LedgerStore::For(*out->conn);
  out->stream = ctx.stream.empty() ? url->database_name : ctx.stream;
  if (url_text.empty()) {  // the target: its ledger's own stream (docs/ledger-format.md)
    auto stream = ledger::ResolveStream(
        *out->store, {.stream = ctx.stream, .new_stream = ctx.new_stream, .any_stream = any_stream},
        *url);
    if (!stream.ok()) {
      *exit_code = Fail(stream.status());
      return nullptr;
    }
    out->stream = std::move(*stream);
  }
  *exit_code = kExitOk;
  return out;
}

void AddBundleCheckOptions(CLI::App* cmd, BundleCheckOptions* o) {
  auto* bundle = cmd->add_option("--bundle", o->bundle,
                                 "check a verification bundle offline (no database needed)");
  cmd->add_option("--pubkey", o->pubkey, "the signer's Ed25519 public key (PEM)")->needs(bundle);
  bundle->needs("--pubkey");
}

int VerifyBundleFile(const BundleCheckOptions& o) {
  auto key = ledger::PublicKey::LoadPem(o.pubkey);
  if (!key.ok()) return Fail(key.status().Annotate("--pubkey"));
  std::FILE* f = std::fopen(o.bundle.c_str(), "rb");
  if (!f) {
    const std::string why = "--bundle " + o.bundle + ": cannot open: " + std::strerror(errno);
    std::fprintf(stderr, "cairn: error: %s\n", why.c_str());
    return JsonFail(kExitUsage, why);
  }
  auto report = ledger::VerifyBundle(f, *key);
  std::fclose(f);
  if (!report.ok()) {
    std::fprintf(stderr, "cairn: error: %s: %s\n", o.bundle.c_str(),
                 report.status().message().c_str());
    // A bundle that fails verification: kDataLoss, exit 5.
    const int exit_code = ExitFor(report.status());
    if (JsonDocument* doc = ActiveJson())
      doc->SetError(JsonError(report.status().Annotate(o.bundle), exit_code));
    return exit_code;
  }
  if (JsonDocument* doc = o.json ? ActiveJson() : nullptr) {
    nlohmann::json j = {{"origin", report->origin},
                        {"created_at", ledger::FormatMicros(report->created_at_micros)},
                        {"streams", nlohmann::json::array()}};
    for (const auto& s : report->streams) {
      j["streams"].push_back(
          {{"stream", s.name},
           {"records", s.records},
           {"head", {{"position", s.head.position}, {"hash", ledger::ToHex(s.head.hash)}}}});
    }
    for (const auto& [key, value] : j.items()) doc->Field(key, value);
  } else {
    for (const auto& s : report->streams) {
      std::printf("ok: stream %s, %lld record(s), head position %lld hash %s\n", s.name.c_str(),
                  static_cast<long long>(s.records), static_cast<long long>(s.head.position),
                  ledger::ToHex(s.head.hash).c_str());
    }
    std::printf("signature ok: bundle of %s, created %s\n", report->origin.c_str(),
                ledger::FormatMicros(report->created_at_micros).c_str());
  }
  return kExitOk;
}

CAIRN_REGISTER_COMMAND(
    export, "export the ledger for auditors (CloudEvents, CSV, signed bundle)", 60,
    [](CLI::App* cmd) -> CommandAction {
      auto o = std::make_shared<ExportOptions>();
      cmd->add_option("--format", o->format, "cloudevents|jsonl|csv|bundle")->required();
      cmd->add_option("--stream", o->stream, "the stream to export (default: the target's)");
      cmd->add_flag("--all-streams", o->all_streams, "export every stream of the database");
      cmd->add_option("--out", o->out, "write to FILE (default: stdout)");
      cmd->add_option("--key", o->key, "Ed25519 private key (PEM) that signs a bundle");
      o->remote.Add(cmd);
      AddJsonFlag(cmd, "with --out: print a JSON summary of the export (docs/json.md)");
      return [o](CliContext& ctx) { return RunExport(ctx, *o); };
    });

CAIRN_REGISTER_COMMAND(keygen, "make an Ed25519 key pair for signing bundles", 61,
                       [](CLI::App* cmd) -> CommandAction {
                         auto out = std::make_shared<std::string>();
                         cmd->add_option("--out", *out,
                                         "private key file; the public key goes to FILE.pub")
                             ->required();
                         AddJsonFlag(cmd);
                         return [out](CliContext& ctx) -> int {
                           auto key = ledger::SigningKey::Generate(*out);
                           // An existing --out (ledger::kKeyFileExists) exits 2.
                           if (!key.ok()) return Fail(key.status());
                           if (JsonDocument* doc = ActiveJson()) {
                             doc->Field("private_key_file", *out);
                             doc->Field("public_key_file", *out + ".pub");
                             doc->Field("public_key", ledger::ToHex(key->public_key()));
                             return kExitOk;
                           }
                           if (!ctx.quiet)
                             std::printf("wrote %s and %s.pub (public key %s)\n", out->c_str(),
                                         out->c_str(), ledger::ToHex(key->public_key()).c_str());
                           return kExitOk;
                         };
                       });

}  // namespace cairn::cli

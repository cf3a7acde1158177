// cairn forward --to URL: copies a target's stream(s) into a central ledger
// (usually PostgreSQL), keeping positions and hashes. Every record is checked
// on arrival by LedgerStore::Import; forwarding is resumable (it starts after
// the central head), idempotent (records already there are skipped by event
// id) and safe with several forwarders at once (Import holds the central
// stream's lock). See docs/export.md, "Central ledger".
#include <cstdio>
#include <vector>

#include "cairn/ledger/hash.h"
#include "cmd_export.h"

namespace cairn::cli {
namespace {

struct ForwardOptions {
  std::string to;
  std::string stream;
  bool all_streams = false;
  int64_t batch = 1000;
};

// A refusal of the source's history is a verification failure (exit 5).
int Refuse(const Status& s) {
  Fail(s);
  return runner::kExitVerifyFailed;
}

// Forwards one stream; returns the exit code and adds to *forwarded.
int ForwardStream(OpenLedger& source, OpenLedger& central, const std::string& stream, int64_t batch,
                  int64_t* forwarded) {
  auto central_head = central.store->GetHead(stream);
  if (!central_head.ok()) return Fail(central_head.status());
  auto source_head = source.store->GetHead(stream);
  if (!source_head.ok()) return Fail(source_head.status());
  const ledger::Head& c = *central_head;
  if (c.position > source_head->position) {
    return Refuse(AlreadyExistsError("stream '" + stream + "': the central ledger is at position " +
                                     std::to_string(c.position) + ", beyond the source's head at " +
                                     std::to_string(source_head->position) +
                                     ": another history under the same name"));
  }
  if (c.position > 0) {
    // The central copy must be a prefix of the source's chain.
    std::string hash_there;
    Status s = source.store->ReadRecords(stream, c.position, 1, [&](const ledger::StoredRecord& r) {
      hash_there = r.hash;
      return false;
    });
    if (!s.ok()) return Fail(s);
    if (hash_there != c.hash) {
      return Refuse(AlreadyExistsError("stream '" + stream + "' position " +
                                       std::to_string(c.position) +
                                       ": the central ledger holds a different event there "
                                       "(another history under the same name)"));
    }
  }
  int64_t next = c.position + 1;
  std::vector<ledger::StoredRecord> pending;
  while (next <= source_head->position) {
    pending.clear();
    Status s = source.store->ReadRecords(stream, next, batch, [&](const ledger::StoredRecord& r) {
      pending.push_back(r);
      return true;
    });
    if (!s.ok()) return Fail(s);
    if (pending.empty()) break;
    auto tx = central.conn->Begin();
    if (!tx.ok()) return Fail(tx.status());
    int64_t added = 0;
    for (const auto& r : pending) {
      auto imported = central.store->Import(r);
      if (!imported.ok()) {
        const StatusCode code = imported.status().code();
        Status refused = imported.status().Annotate("refused on arrival");
        if (code == StatusCode::kDataLoss || code == StatusCode::kAlreadyExists ||
            code == StatusCode::kFailedPrecondition) {
          return Refuse(refused);
        }
        return Fail(refused);
      }
      if (!imported->duplicate) ++added;
    }
    if (Status cs = (*tx)->Commit(); !cs.ok()) return Fail(cs);
    *forwarded += added;
    next = pending.back().position + 1;
  }
  return runner::kExitOk;
}

int RunForward(CliContext& ctx, const ForwardOptions& o) {
  if (o.all_streams && !o.stream.empty()) {
    std::fprintf(stderr, "cairn: error: --stream and --all-streams exclude each other\n");
    return runner::kExitUsage;
  }
  if (o.batch < 1) {
    std::fprintf(stderr, "cairn: error: --batch must be at least 1\n");
    return runner::kExitUsage;
  }
  int rc = 0;
  CliContext scoped = ctx;
  if (!o.stream.empty()) scoped.stream = o.stream;
  auto source = OpenLedgerOf(scoped, "", &rc);
  if (!source) return rc;
  auto central = OpenLedgerOf(scoped, o.to, &rc);
  if (!central) return rc;
  if (Status s = central->store->EnsureSchema(); !s.ok()) return Fail(s.Annotate("--to"));
  std::vector<std::string> streams{source->stream};
  if (o.all_streams) {
    auto all = source->store->ListStreams();
    if (!all.ok()) return Fail(all.status());
    streams = *all;
  }
  for (const std::string& stream : streams) {
    int64_t forwarded = 0;
    rc = ForwardStream(*source, *central, stream, o.batch, &forwarded);
    if (rc != runner::kExitOk) return rc;
    auto head = central->store->GetHead(stream);
    if (!head.ok()) return Fail(head.status());
    if (!ctx.quiet) {
      std::printf(
          "stream %s: forwarded %lld new record(s) to %s, central head position %lld hash %s\n",
          stream.c_str(), static_cast<long long>(forwarded), central->conn->url().redacted.c_str(),
          static_cast<long long>(head->position), ledger::ToHex(head->hash).c_str());
    }
  }
  return runner::kExitOk;
}

CommandAction ForwardSetup(CLI::App* cmd) {
  auto o = std::make_shared<ForwardOptions>();
  cmd->add_option("--to", o->to, "the central ledger, e.g. postgres://central/ledger")->required();
  cmd->add_option("--stream", o->stream, "the stream to forward (default: the target's)");
  cmd->add_flag("--all-streams", o->all_streams, "forward every stream of the database");
  cmd->add_option("--batch", o->batch, "records per central transaction")->capture_default_str();
  return [o](CliContext& ctx) { return RunForward(ctx, *o); };
}

}  // namespace

CAIRN_REGISTER_COMMAND(forward, "copy the ledger into a central ledger, verified on arrival", 62,
                       ForwardSetup);

}  // namespace cairn::cli

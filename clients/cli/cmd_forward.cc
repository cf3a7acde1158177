// cairn forward --to URL: copies a target's stream(s) into a central ledger
// (usually PostgreSQL), keeping positions and hashes. Every record is checked
// on arrival by LedgerStore::Import; forwarding is resumable (it starts after
// the central head), idempotent (records already there are skipped by event
// id) and safe with several forwarders at once (Import holds the central
// stream's lock). The first forward of a stream records which target it
// comes from; another target, or a copy of this one, is refused under that
// name and forwards with --as NAME instead, its records re-sealed for the
// central stream (docs/ledger-format.md, "Target identity"). See
// docs/export.md, "Central ledger".
#include <cstdio>
#include <vector>

#include "cairn/base/hash.h"
#include "cairn/store/identity.h"
#include "cli/cmd_export.h"
#include "cli/json_output.h"

namespace cairn::cli {
namespace {

struct ForwardOptions {
  std::string to;
  std::string stream;
  bool all_streams = false;
  std::string as;  // the central stream's name, when not the source's
  int64_t batch = 1000;
};

// A refusal of the source's history is a verification failure (exit 5).
int Refuse(const Status& s) { return Fail(s.WithKind(kHistoryRefused)); }

// Who the source is (docs/ledger-format.md, "Target identity").
struct Source {
  OpenLedger* ledger = nullptr;
  ledger::StreamOrigin origin;  // its target id, location and URL
};

// The central stream's recorded origin must be this source: the same target
// (target id) in the same place (location). Otherwise refused (exit 3) with
// both named. A central stream without a recorded origin is no refusal.
Status CheckOrigin(const ledger::StreamOrigin& there, const Source& src, const std::string& stream,
                   const std::string& central_name) {
  if (!there.known()) return Status::Ok();
  const ledger::StreamOrigin& here = src.origin;
  const std::string head = "stream '" + central_name +
                           "' of the central ledger comes from target " + there.target_id + " (" +
                           there.url + ")";
  const std::string fix =
      "; forward this one under another name with `forward --stream " + stream + " --as NAME`";
  if (there.target_id != here.target_id)
    return FailedPreconditionError(head + "; " + here.url + " is another target, " +
                                   here.target_id + ", whose stream has the same name" + fix);
  if (there.location != here.location)
    return FailedPreconditionError(
        head + "; " + here.url + " holds the same target id in another place (" + here.location +
        ", not " + there.location + "): a copy of that target, or the target itself moved" + fix);
  return Status::Ok();
}

// With --as: the source record, checked as Import checks a record (its hash
// and its link to `prev_source_hash`), re-sealed as position r.position of
// stream `as` after the central head `head`. Its event id is derived from
// the original one, so forwarding again finds it (docs/ledger-format.md).
StatusOr<ledger::StoredRecord> Reseal(const ledger::StoredRecord& r, const std::string& as,
                                      const std::string& prev_source_hash,
                                      const ledger::Head& head) {
  const std::string where = "stream '" + r.stream + "' position " + std::to_string(r.position);
  if (r.prev_hash != prev_source_hash)
    return DataLossError(where + ": broken link: prev_hash does not equal the hash of position " +
                         std::to_string(r.position - 1));
  if (ledger::RecordHash(r.stream, r.position, r.prev_hash, r.record) != r.hash)
    return DataLossError(where + ": hash mismatch: the hash does not match the record");
  v1::Event e;
  if (!e.ParseFromString(r.record) || e.stream() != r.stream || e.event_id() != r.event_id)
    return DataLossError(where + ": record mismatch: the record disagrees with its columns");
  ledger::StoredRecord out;
  out.stream = as;
  out.position = r.position;
  out.event_id = ledger::DerivedEventId(as, r.event_id);
  out.event_type = r.event_type;
  out.recorded_at = r.recorded_at;
  out.prev_hash = head.hash;
  e.set_stream(as);
  e.set_event_id(out.event_id);
  e.set_prev_hash(head.hash);
  if (!e.SerializeToString(&out.record)) return InternalError(where + ": cannot serialize");
  out.hash = ledger::RecordHash(as, out.position, out.prev_hash, out.record);
  return out;
}

// Forwards one stream (as `as`, or its own name); returns the exit code and
// adds to *forwarded.
int ForwardStream(const Source& src, OpenLedger& central, const std::string& stream,
                  const std::string& as, int64_t batch, int64_t* forwarded) {
  OpenLedger& source = *src.ledger;
  const std::string& name = as.empty() ? stream : as;
  auto origin = ledger::ReadStreamOrigin(*central.store, name);
  if (!origin.ok()) return Fail(origin.status());
  if (Status s = CheckOrigin(*origin, src, stream, name); !s.ok()) return Fail(s);
  auto central_head = central.store->GetHead(name);
  if (!central_head.ok()) return Fail(central_head.status());
  auto source_head = source.store->GetHead(stream);
  if (!source_head.ok()) return Fail(source_head.status());
  const ledger::Head& c = *central_head;
  const std::string under = as.empty() ? "" : " (as '" + as + "')";
  if (c.position > source_head->position) {
    return Refuse(AlreadyExistsError(
        "stream '" + stream + "'" + under + ": the central ledger is at position " +
        std::to_string(c.position) + ", beyond the source's head at " +
        std::to_string(source_head->position) + ": another history under the same name"));
  }
  // The source's hash just before the next record to forward (--as checks links).
  std::string prev_source_hash = ledger::GenesisHash();
  if (c.position > 0) {
    // The central copy must be a prefix of the source's chain.
    std::string there;
    Status s = source.store->ReadRecords(stream, c.position, 1, [&](const ledger::StoredRecord& r) {
      there = as.empty() ? r.hash : ledger::DerivedEventId(as, r.event_id);
      prev_source_hash = r.hash;
      return false;
    });
    if (!s.ok()) return Fail(s);
    std::string here = c.hash;
    if (!as.empty()) {
      s = central.store->ReadRecords(name, c.position, 1, [&](const ledger::StoredRecord& r) {
        here = r.event_id;
        return false;
      });
      if (!s.ok()) return Fail(s);
    }
    if (there != here) {
      return Refuse(AlreadyExistsError("stream '" + name + "' position " +
                                       std::to_string(c.position) +
                                       ": the central ledger holds a different event there "
                                       "(another history under the same name)"));
    }
  }
  if (!origin->known()) {
    // The first forward (since target ids exist) names the stream's origin;
    // a forwarder that raced this one and won is checked against.
    auto tx = central.conn->Begin();
    if (!tx.ok()) return Fail(tx.status());
    if (Status s = ledger::RecordStreamOrigin(**tx, *central.store, name, src.origin); !s.ok())
      return Fail(s);
    if (Status s = (*tx)->Commit(); !s.ok()) return Fail(s);
    origin = ledger::ReadStreamOrigin(*central.store, name);
    if (!origin.ok()) return Fail(origin.status());
    if (Status s = CheckOrigin(*origin, src, stream, name); !s.ok()) return Fail(s);
  }
  int64_t next = c.position + 1;
  ledger::Head central_at = c;
  std::vector<ledger::StoredRecord> pending;
  while (next <= source_head->position) {
    pending.clear();
    Status s = source.store->ReadRecords(stream, next, batch, [&](const ledger::StoredRecord& r) {
      pending.push_back(r);
      return true;
    });
    if (!s.ok()) return Fail(s);
    if (pending.empty()) break;
    if (!as.empty()) {
      for (auto& r : pending) {
        std::string source_hash = r.hash;
        auto resealed = Reseal(r, as, prev_source_hash, central_at);
        if (!resealed.ok()) return Refuse(resealed.status().Annotate("refused on arrival"));
        r = std::move(*resealed);
        central_at = ledger::Head{r.position, r.hash};
        prev_source_hash = std::move(source_hash);
      }
    }
    auto tx = central.conn->Begin();
    if (!tx.ok()) return Fail(tx.status());
    int64_t added = 0;
    for (const auto& r : pending) {
      auto imported = central.store->Import(**tx, r);
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
  return kExitOk;
}

int RunForward(CliContext& ctx, const ForwardOptions& o) {
  if (o.all_streams && !o.stream.empty()) {
    std::fprintf(stderr, "cairn: error: --stream and --all-streams exclude each other\n");
    return kExitUsage;
  }
  if (!o.as.empty() && o.all_streams) {
    std::fprintf(stderr, "cairn: error: --as names one stream: it cannot go with --all-streams\n");
    return kExitUsage;
  }
  if (o.batch < 1) {
    std::fprintf(stderr, "cairn: error: --batch must be at least 1\n");
    return kExitUsage;
  }
  int rc = 0;
  CliContext scoped = ctx;
  if (!o.stream.empty()) scoped.stream = o.stream;
  auto source = OpenLedgerOf(scoped, "", &rc, o.all_streams);
  if (!source) return rc;
  auto central = OpenLedgerOf(scoped, o.to, &rc, /*any_stream=*/false, /*create=*/true);
  if (!central) return rc;
  if (Status s = central->store->EnsureSchema(); !s.ok()) return Fail(s.Annotate("--to"));
  // Who the source is: its target id (written now if its ledger predates
  // target ids) and where it is (docs/ledger-format.md, "Target identity").
  Source src{source.get(), {}};
  auto exists = source->store->Exists();
  if (!exists.ok()) return Fail(exists.status());
  if (!*exists) {
    std::fprintf(stderr, "cairn: error: no ledger in %s: nothing to forward\n",
                 source->conn->url().redacted.c_str());
    return kExitNoLedger;
  }
  auto id = ledger::EnsureTargetId(*source->store);
  if (!id.ok()) return Fail(id.status());
  auto location = ledger::LocationOf(*source->conn);
  if (!location.ok()) return Fail(location.status());
  src.origin = {*id, *location, source->conn->url().redacted};
  std::vector<std::string> streams{source->stream};
  if (o.all_streams) {
    auto all = source->store->ListStreams();
    if (!all.ok()) return Fail(all.status());
    streams = *all;
  }
  JsonDocument* doc = ActiveJson();  // docs/json.md
  if (doc != nullptr) {
    doc->Field("central", central->conn->url().redacted);
    doc->BeginArray("streams");  // closed by Finish, also after an error
  }
  for (const std::string& stream : streams) {
    int64_t forwarded = 0;
    rc = ForwardStream(src, *central, stream, o.as, o.batch, &forwarded);
    if (rc != kExitOk) return rc;
    const std::string& name = o.as.empty() ? stream : o.as;
    auto head = central->store->GetHead(name);
    if (!head.ok()) return Fail(head.status());
    if (doc != nullptr) {
      doc->Element(
          {{"stream", stream},
           {"as", name},
           {"forwarded", forwarded},
           {"central_head", {{"position", head->position}, {"hash", ledger::ToHex(head->hash)}}}});
    } else if (!ctx.quiet) {
      const std::string as = o.as.empty() ? "" : " as " + o.as;
      std::printf(
          "stream %s: forwarded %lld new record(s)%s to %s, central head position %lld hash %s\n",
          stream.c_str(), static_cast<long long>(forwarded), as.c_str(),
          central->conn->url().redacted.c_str(), static_cast<long long>(head->position),
          ledger::ToHex(head->hash).c_str());
    }
  }
  return kExitOk;
}

CommandAction ForwardSetup(CLI::App* cmd) {
  auto o = std::make_shared<ForwardOptions>();
  cmd->add_option("--to", o->to, "the central ledger, e.g. postgres://central/ledger")->required();
  cmd->add_option("--stream", o->stream, "the stream to forward (default: the target's)");
  cmd->add_flag("--all-streams", o->all_streams, "forward every stream of the database");
  cmd->add_option("--as", o->as,
                  "store the stream under this name in the central ledger (another target's "
                  "stream has its name there); records are re-sealed, docs/ledger-format.md");
  cmd->add_option("--batch", o->batch, "records per central transaction")->capture_default_str();
  AddJsonFlag(cmd);
  return [o](CliContext& ctx) { return RunForward(ctx, *o); };
}

}  // namespace

CAIRN_REGISTER_COMMAND(forward, "copy the ledger into a central ledger, verified on arrival", 62,
                       ForwardSetup);

}  // namespace cairn::cli

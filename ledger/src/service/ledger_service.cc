// The Ledger service's RPCs and the server around them. Every RPC returns
// through ToGrpcStatus (grpc_status.cc), the only cairn -> gRPC mapping.
#include "cairn/service/ledger_service.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/util/message_differencer.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "cairn/base/hash.h"
#include "cairn/export/export.h"
#include "cairn/rpc/grpc_status.h"
#include "cairn/store/records.h"
#include "cairn/store/state.h"
#include "cairn/v1/ledger_service.grpc.pb.h"
#include "target.h"

namespace cairn::service {
namespace {

using ledger::StoredRecord;
using rpc::ToGrpcStatus;

constexpr int32_t kDefaultLimit = 100;
constexpr int32_t kMaxLimit = 1000;
// Rows a ReadStream call examines at most per page when filters skip rows;
// it then returns a partial page and a token to go on.
constexpr int64_t kMaxScan = 20000;
// Records a subscriber reads from the store at a time (its memory bound
// while catching up; the pooled connection is released before sending).
constexpr int64_t kCatchUpBatch = 256;
// Batched subscriptions (SubscribeRequest.max_batch, docs/service.md): the
// largest max_batch accepted, and the encoded size at which a batch stops
// growing.
constexpr int32_t kMaxSubscribeBatch = 1000;
constexpr size_t kMaxBatchBytes = size_t{1} << 20;

void FillRecord(const std::string& target, const StoredRecord& r, bool decode,
                v1::LedgerRecord* out) {
  out->set_target(target);
  out->set_stream(r.stream);
  out->set_position(r.position);
  out->set_record(r.record);
  out->set_prev_hash(r.prev_hash);
  out->set_hash(r.hash);
  out->set_event_id(r.event_id);
  out->set_event_type(r.event_type);
  ledger::MicrosToTimestamp(r.recorded_at, out->mutable_recorded_at());
  if (decode) {
    if (out->mutable_event()->ParseFromString(r.record)) {
      out->mutable_event()->set_hash(r.hash);
    } else {
      out->clear_event();
    }
  }
}

bool IsLowerUuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

// Page tokens: "1.<next position>.<f|b>.<first 8 bytes of SHA-256(target/stream), hex>".
std::string StreamTag(const std::string& target, const std::string& stream) {
  return ledger::ToHex(ledger::Sha256(target + "/" + stream).substr(0, 8));
}

std::string MakePageToken(int64_t next, bool backwards, const std::string& tag) {
  return "1." + std::to_string(next) + "." + (backwards ? "b" : "f") + "." + tag;
}

Status ParsePageToken(const std::string& token, const std::string& tag, int64_t* next,
                      bool* backwards) {
  const Status bad = InvalidArgumentError("page_token: malformed or from another stream");
  std::vector<std::string> parts;
  std::stringstream ss(token);
  std::string part;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  if (parts.size() != 4 || parts[0] != "1" || (parts[2] != "f" && parts[2] != "b") ||
      parts[3] != tag || parts[1].empty() || parts[1].size() > 18)
    return bad;
  for (char c : parts[1])
    if (c < '0' || c > '9') return bad;
  *next = std::stoll(parts[1]);
  *backwards = parts[2] == "b";
  if (*next < 1) return bad;
  return Status::Ok();
}

struct StreamKey {
  const Target* target;
  std::string stream;
  bool operator<(const StreamKey& o) const {
    return target != o.target ? target < o.target : stream < o.stream;
  }
};

class LedgerServiceImpl final : public v1::Ledger::Service {
 public:
  LedgerServiceImpl(std::vector<std::unique_ptr<Target>> targets, const TokenTable* tokens)
      : targets_(std::move(targets)), tokens_(tokens) {
    char host[256] = {0};
    if (gethostname(host, sizeof host - 1) == 0) host_ = host;
  }

  void Stop() {
    for (auto& t : targets_) t->Stop();
  }

  grpc::Status ListStreams(grpc::ServerContext* ctx, const v1::ListStreamsRequest*,
                           v1::ListStreamsResponse* resp) override {
    return ToGrpcStatus([&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Auth(ctx, kRoleReader).status());
      for (auto& t : targets_) {
        CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
        CAIRN_ASSIGN_OR_RETURN(auto names, ledger::ListStreamNames(session->store()));
        for (const auto& n : names) {
          CAIRN_ASSIGN_OR_RETURN(auto head, session->store().GetHead(n));
          FillInfo(*t, n, head, resp->add_streams());
        }
      }
      return Status::Ok();
    }());
  }

  grpc::Status ReadStream(grpc::ServerContext* ctx, const v1::ReadStreamRequest* req,
                          v1::ReadStreamResponse* resp) override {
    return ToGrpcStatus([&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Auth(ctx, kRoleReader).status());
      if (req->limit() < 0) return InvalidArgumentError("limit: must not be negative");
      if (req->from_position() < 0)
        return InvalidArgumentError("from_position: must not be negative");
      const int32_t limit = req->limit() == 0 ? kDefaultLimit : std::min(req->limit(), kMaxLimit);
      CAIRN_ASSIGN_OR_RETURN(Target * target, Resolve(req->target(), req->stream(), true));
      const std::string tag = StreamTag(target->name(), req->stream());
      int64_t from = req->from_position();
      bool backwards = req->direction() == v1::READ_DIRECTION_BACKWARDS;
      if (!req->page_token().empty())
        CAIRN_RETURN_IF_ERROR(ParsePageToken(req->page_token(), tag, &from, &backwards));
      const int64_t after =
          req->has_recorded_after() ? ledger::TimestampToMicros(req->recorded_after()) : INT64_MIN;
      const int64_t before = req->has_recorded_before()
                                 ? ledger::TimestampToMicros(req->recorded_before())
                                 : INT64_MAX;
      const bool need_decode = !req->migration_id().empty() || !req->run_id().empty();
      CAIRN_ASSIGN_OR_RETURN(auto session, target->Acquire());
      CAIRN_ASSIGN_OR_RETURN(auto head, session->store().GetHead(req->stream()));
      FillInfo(*target, req->stream(), head, resp->mutable_head());
      int64_t scanned = 0, last = 0;
      bool more = false;
      Status s = ledger::ReadRecords(
          session->store(),
          {.stream = req->stream(), .from_position = from, .backwards = backwards},
          [&](const StoredRecord& r) {
            if (resp->records_size() >= limit || scanned >= kMaxScan) {
              more = true;
              return false;
            }
            ++scanned;
            last = r.position;
            if (r.recorded_at < after || r.recorded_at >= before) return true;
            if (req->event_types_size() > 0 &&
                std::find(req->event_types().begin(), req->event_types().end(), r.event_type) ==
                    req->event_types().end())
              return true;
            if (need_decode) {
              v1::Event e;
              if (!e.ParseFromString(r.record)) return true;
              if (!req->run_id().empty() && e.run_id() != req->run_id()) return true;
              if (!req->migration_id().empty() && ledger::BodyMigrationId(e) != req->migration_id())
                return true;
            }
            FillRecord(target->name(), r, !req->raw_only(), resp->add_records());
            return true;
          });
      CAIRN_RETURN_IF_ERROR(s);
      const int64_t next = backwards ? last - 1 : last + 1;
      if (more && next >= 1) resp->set_next_page_token(MakePageToken(next, backwards, tag));
      return Status::Ok();
    }());
  }

  grpc::Status Subscribe(grpc::ServerContext* ctx, const v1::SubscribeRequest* req,
                         grpc::ServerWriter<v1::SubscribeResponse>* writer) override {
    return ToGrpcStatus(RunSubscription(ctx, *req, writer));
  }

  grpc::Status GetState(grpc::ServerContext* ctx, const v1::GetStateRequest* req,
                        v1::GetStateResponse* resp) override {
    return ToGrpcStatus([&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Auth(ctx, kRoleReader).status());
      if (req->as_of_position() < 0)
        return InvalidArgumentError("as_of_position: must not be negative");
      CAIRN_ASSIGN_OR_RETURN(Target * target, Resolve(req->target(), req->stream(), true));
      const int64_t until_pos = req->as_of_position() > 0 ? req->as_of_position() : INT64_MAX;
      const int64_t until_time =
          req->has_as_of_time() ? ledger::TimestampToMicros(req->as_of_time()) : INT64_MAX;
      CAIRN_ASSIGN_OR_RETURN(auto session, target->Acquire());
      ledger::StateBuilder builder(req->stream());
      CAIRN_RETURN_IF_ERROR(session->store().Read(req->stream(), 1, 0, [&](const v1::Event& e) {
        if (e.position() > until_pos) return false;
        if (ledger::TimestampToMicros(e.recorded_at()) > until_time) return false;
        builder.Apply(e);
        return true;
      }));
      const ledger::StreamState& st = builder.state();
      resp->set_target(target->name());
      resp->set_stream(req->stream());
      resp->set_position(st.head.position);
      resp->set_hash(st.head.position ? st.head.hash : ledger::GenesisHash());
      resp->set_version(st.CurrentVersion());
      for (const auto& id : st.applied_order) resp->add_applied_order(id);
      resp->set_runs(st.runs);
      for (const auto& [id, m] : st.migrations) {
        auto* out = resp->add_migrations();
        out->set_migration_id(id);
        out->set_description(m.description);
        out->set_status(std::string(ledger::MigrationStatusName(m.status)));
        out->set_checksum(m.checksum);
        out->set_file(m.file);
        out->set_storage_type(m.storage_type);
        if (m.applied_at) ledger::MicrosToTimestamp(m.applied_at, out->mutable_applied_at());
        out->set_applied_by(m.applied_by);
        out->set_applied_run_id(m.applied_run_id);
        out->set_applied_position(m.applied_position);
        out->set_times_applied(m.times_applied);
        out->set_last_error(m.last_error);
      }
      return Status::Ok();
    }());
  }

  grpc::Status Verify(grpc::ServerContext* ctx, const v1::VerifyRequest* req,
                      v1::VerifyResponse* resp) override {
    return ToGrpcStatus([&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Auth(ctx, kRoleReader).status());
      CAIRN_ASSIGN_OR_RETURN(Target * target, Resolve(req->target(), req->stream(), true));
      CAIRN_ASSIGN_OR_RETURN(auto session, target->Acquire());
      CAIRN_ASSIGN_OR_RETURN(auto report, session->store().Verify(req->stream()));
      resp->set_ok(report.ok);
      resp->set_events_checked(report.events_checked);
      resp->set_head_position(report.head.position);
      resp->set_head_hash(report.head.hash);
      resp->set_first_bad_position(report.first_bad_position);
      resp->set_problem(report.problem);
      return Status::Ok();
    }());
  }

  grpc::Status Append(grpc::ServerContext* ctx, const v1::AppendRequest* req,
                      v1::AppendResponse* resp) override {
    return ToGrpcStatus([&]() -> Status {
      CAIRN_ASSIGN_OR_RETURN(Identity who, Auth(ctx, kRoleWriter));
      const v1::Event& in = req->event();
      if (req->stream().empty()) return InvalidArgumentError("stream: required");
      if (!in.stream().empty() && in.stream() != req->stream())
        return InvalidArgumentError("event.stream: must be empty or equal stream");
      if (in.position() != 0 || !in.prev_hash().empty() || !in.hash().empty() ||
          in.has_recorded_at() || in.has_actor())
        return InvalidArgumentError(
            "event: position, prev_hash, hash, recorded_at and actor are set by the server");
      if (in.body_case() == v1::Event::BODY_NOT_SET)
        return InvalidArgumentError("event: a body is required");
      if (!in.event_id().empty() && !IsLowerUuid(in.event_id()))
        return InvalidArgumentError("event.event_id: must be a lowercase UUID");
      if (req->has_expected_position() && req->expected_position() < 0)
        return InvalidArgumentError("expected_position: must not be negative");
      CAIRN_ASSIGN_OR_RETURN(Target * target, Resolve(req->target(), req->stream(), false));
      v1::Event event = in;
      event.set_stream(req->stream());
      if (event.event_id().empty()) event.set_event_id(ledger::NewUuid());
      event.mutable_actor()->set_user(who.name);
      event.mutable_actor()->set_host(host_);
      event.mutable_actor()->set_tool_version("cairn serve 0.1.0");
      CAIRN_ASSIGN_OR_RETURN(auto session, target->Acquire());
      Status s = AppendOne(*session, event, req, resp);
      if (!s.ok() && s.code() == StatusCode::kUnavailable) session->Discard();
      if (s.ok() && !resp->duplicate()) target->Kick();
      return s;
    }());
  }

  grpc::Status Export(grpc::ServerContext* ctx, const v1::ExportRequest* req,
                      grpc::ServerWriter<v1::ExportResponse>* writer) override {
    return ToGrpcStatus([&]() -> Status {
      CAIRN_RETURN_IF_ERROR(Auth(ctx, kRoleExporter).status());
      if (req->after_position() < 0)
        return InvalidArgumentError("after_position: must not be negative");
      if (req->after_position() > 0 && req->stream().empty())
        return InvalidArgumentError("after_position: needs a stream");
      std::vector<std::pair<Target*, std::string>> streams;
      if (!req->stream().empty()) {
        CAIRN_ASSIGN_OR_RETURN(Target * t, Resolve(req->target(), req->stream(), true));
        streams.emplace_back(t, req->stream());
      } else {
        CAIRN_ASSIGN_OR_RETURN(auto targets, Targets(req->target()));
        for (Target* t : targets) {
          CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
          CAIRN_ASSIGN_OR_RETURN(auto names, ledger::ListStreamNames(session->store()));
          for (auto& n : names) streams.emplace_back(t, n);
        }
      }
      for (auto& [t, stream] : streams) {
        int64_t last = req->after_position();
        ledger::Head head{last, ""};
        // One batch at a time: memory stays bounded and the pooled
        // connection is not held while the client reads slowly.
        for (;;) {
          std::vector<StoredRecord> batch;
          {
            CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
            CAIRN_RETURN_IF_ERROR(ledger::ReadRecords(
                session->store(), {.stream = stream, .from_position = last + 1, .limit = 1000},
                [&](const StoredRecord& r) {
                  batch.push_back(r);
                  return true;
                }));
          }
          v1::ExportResponse out;
          for (const auto& r : batch) {
            out.Clear();
            FillRecord(t->name(), r, false, out.mutable_record());
            if (!writer->Write(out)) return CancelledError("client went away");
            last = r.position;
            head = {r.position, r.hash};
          }
          if (batch.size() < 1000) break;
        }
        v1::ExportResponse end;
        if (head.hash.empty()) {  // nothing sent: report the stream's head
          CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
          CAIRN_ASSIGN_OR_RETURN(head, session->store().GetHead(stream));
        }
        FillInfo(*t, stream, head, end.mutable_stream_end());
        if (!writer->Write(end)) return CancelledError("client went away");
      }
      return Status::Ok();
    }());
  }

 private:
  StatusOr<Identity> Auth(grpc::ServerContext* ctx, Role role) {
    const auto& md = ctx->client_metadata();
    auto it = md.find("authorization");
    std::string header;
    if (it != md.end()) header.assign(it->second.data(), it->second.size());
    return Authorize(*tokens_, it == md.end() ? nullptr : &header, role);
  }

  void FillInfo(const Target& t, const std::string& stream, const ledger::Head& head,
                v1::StreamInfo* out) {
    out->set_target(t.name());
    out->set_stream(stream);
    out->set_head_position(head.position);
    out->set_head_hash(head.hash.empty() ? ledger::GenesisHash() : head.hash);
  }

  StatusOr<std::vector<Target*>> Targets(const std::string& name) {
    std::vector<Target*> out;
    for (auto& t : targets_)
      if (name.empty() || t->name() == name) out.push_back(t.get());
    if (out.empty()) return NotFoundError("target: no served target is named '" + name + "'");
    return out;
  }

  // The target holding `stream`. With must_exist=false a stream that exists
  // nowhere resolves to the only candidate target.
  StatusOr<Target*> Resolve(const std::string& target, const std::string& stream, bool must_exist) {
    if (stream.empty()) return InvalidArgumentError("stream: required");
    CAIRN_ASSIGN_OR_RETURN(auto candidates, Targets(target));
    std::vector<Target*> found;
    for (Target* t : candidates) {
      CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
      CAIRN_ASSIGN_OR_RETURN(auto head, session->store().GetHead(stream));
      if (head.position > 0) found.push_back(t);
    }
    if (found.size() == 1) return found[0];
    if (found.size() > 1)
      return InvalidArgumentError("stream '" + stream + "' exists in several targets; set target");
    if (!must_exist && candidates.size() == 1) return candidates[0];
    return NotFoundError("stream: no stream named '" + stream + "'");
  }

  Status AppendOne(Session& session, const v1::Event& event, const v1::AppendRequest* req,
                   v1::AppendResponse* resp) {
    CAIRN_RETURN_IF_ERROR(session.store().EnsureSchema());
    CAIRN_ASSIGN_OR_RETURN(auto tx, session.conn().Begin());
    // An idempotent retry: the same event_id with the same content (the
    // server-set actor and time aside) returns the stored position.
    CAIRN_ASSIGN_OR_RETURN(
        auto rows,
        session.conn().Query("SELECT position, record, hash FROM cairn_ledger WHERE event_id = $1",
                             {db::Value(event.event_id())}));
    if (!rows.empty()) {
      v1::Event stored;
      if (!stored.ParseFromString(rows[0][1].AsBytes()))
        return DataLossError("stored record of event " + event.event_id() + " does not decode");
      auto content = [](v1::Event e) {
        e.clear_position();
        e.clear_prev_hash();
        e.clear_hash();
        e.clear_recorded_at();
        e.clear_actor();
        return e;
      };
      if (!google::protobuf::util::MessageDifferencer::Equals(content(stored), content(event)))
        return AlreadyExistsError("event.event_id: " + event.event_id() +
                                  " is already in the ledger with different content");
      resp->set_position(rows[0][0].AsInt());
      resp->set_hash(rows[0][2].AsBytes());
      resp->set_duplicate(true);
      resp->set_event_id(event.event_id());
      return Status::Ok();
    }
    CAIRN_ASSIGN_OR_RETURN(auto result, session.store().Append(*tx, event));
    if (req->has_expected_position() && result.position != req->expected_position() + 1) {
      return AbortedError("expected_position: the head of stream '" + event.stream() + "' is " +
                          std::to_string(result.position - 1) + ", not " +
                          std::to_string(req->expected_position()));
    }
    CAIRN_RETURN_IF_ERROR(tx->Commit());
    resp->set_position(result.position);
    resp->set_hash(result.hash);
    resp->set_duplicate(false);
    resp->set_event_id(event.event_id());
    return Status::Ok();
  }

  // --- Subscribe -----------------------------------------------------------

  struct Subscription {
    grpc::ServerContext* ctx;
    grpc::ServerWriter<v1::SubscribeResponse>* writer;
    bool decode;
    std::map<StreamKey, int64_t> last;  // last position sent per stream
    // Batching (max_batch > 1): records wait in `pending` until Flush(),
    // which runs before anything else is written and before every wait.
    int32_t max_batch = 1;
    v1::SubscribeResponse pending;
    size_t pending_bytes = 0;
  };

  // Sends every record of `key` after sub.last[key], reading from the store
  // in bounded batches without holding a connection while sending.
  Status CatchUp(Subscription& sub, Target* t, const std::string& stream) {
    int64_t& last = sub.last[{t, stream}];
    for (;;) {
      std::vector<StoredRecord> batch;
      {
        CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
        CAIRN_RETURN_IF_ERROR(ledger::ReadRecords(
            session->store(), {.stream = stream, .from_position = last + 1, .limit = kCatchUpBatch},
            [&](const StoredRecord& r) {
              batch.push_back(r);
              return true;
            }));
      }
      for (const auto& r : batch) CAIRN_RETURN_IF_ERROR(Send(sub, t, r));
      if (static_cast<int64_t>(batch.size()) < kCatchUpBatch) return Status::Ok();
    }
  }

  Status Send(Subscription& sub, const Target* t, const StoredRecord& r) {
    if (sub.max_batch > 1) return AddToBatch(sub, t, r);
    v1::SubscribeResponse out;
    FillRecord(t->name(), r, sub.decode, out.mutable_record());
    if (!sub.writer->Write(out)) return CancelledError("subscriber went away");
    sub.last[{t, r.stream}] = r.position;
    return Status::Ok();
  }

  // Adds a record to the pending batch, sending the batch first when the
  // record would take it past kMaxBatchBytes and after when it is full.
  // sub.last advances now: nothing that reports positions is written
  // before the batch (Flush), and a failed write ends the subscription.
  Status AddToBatch(Subscription& sub, const Target* t, const StoredRecord& r) {
    v1::LedgerRecord rec;
    FillRecord(t->name(), r, sub.decode, &rec);
    // Its share of the batch's encoded size: tag, length and the record.
    const size_t body = rec.ByteSizeLong();
    const size_t size = 1 + google::protobuf::io::CodedOutputStream::VarintSize64(body) + body;
    if (sub.pending_bytes > 0 && sub.pending_bytes + size > kMaxBatchBytes)
      CAIRN_RETURN_IF_ERROR(Flush(sub));
    *sub.pending.mutable_batch()->add_records() = std::move(rec);
    sub.pending_bytes += size;
    sub.last[{t, r.stream}] = r.position;
    if (sub.pending.batch().records_size() >= sub.max_batch) return Flush(sub);
    return Status::Ok();
  }

  // Sends the pending batch, if any.
  Status Flush(Subscription& sub) {
    if (!sub.pending.has_batch()) return Status::Ok();
    const bool ok = sub.writer->Write(sub.pending);
    sub.pending.Clear();
    sub.pending_bytes = 0;
    if (!ok) return CancelledError("subscriber went away");
    return Status::Ok();
  }

  // Catches up every stream of the subscription (all streams of each
  // target, when no stream was named).
  Status CatchUpAll(Subscription& sub, const std::vector<Target*>& targets,
                    const std::string& stream) {
    for (Target* t : targets) {
      std::vector<std::string> names;
      if (!stream.empty()) {
        names.push_back(stream);
      } else {
        CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
        CAIRN_ASSIGN_OR_RETURN(names, ledger::ListStreamNames(session->store()));
      }
      for (const auto& n : names) CAIRN_RETURN_IF_ERROR(CatchUp(sub, t, n));
    }
    return Status::Ok();
  }

  void FillPositions(const Subscription& sub,
                     google::protobuf::RepeatedPtrField<v1::StreamPosition>* out) {
    for (const auto& [key, pos] : sub.last) {
      auto* p = out->Add();
      p->set_target(key.target->name());
      p->set_stream(key.stream);
      p->set_position(pos);
    }
  }

  Status RunSubscription(grpc::ServerContext* ctx, const v1::SubscribeRequest& req,
                         grpc::ServerWriter<v1::SubscribeResponse>* writer) {
    CAIRN_RETURN_IF_ERROR(Auth(ctx, kRoleReader).status());
    if (req.checkpoint_interval_ms() < 0)
      return InvalidArgumentError("checkpoint_interval_ms: must not be negative");
    if (req.start_case() == v1::SubscribeRequest::kAfterPosition && req.after_position() < 0)
      return InvalidArgumentError("after_position: must not be negative");
    if (!req.stream().empty() && req.after_positions_size() > 0)
      return InvalidArgumentError("after_positions: only for subscriptions to every stream");
    if (req.max_batch() < 0 || req.max_batch() > kMaxSubscribeBatch)
      return InvalidArgumentError("max_batch: must be between 0 and " +
                                  std::to_string(kMaxSubscribeBatch));
    const auto interval = std::chrono::milliseconds(
        req.checkpoint_interval_ms() == 0 ? 1000 : std::max(req.checkpoint_interval_ms(), 10));
    Subscription sub{ctx, writer, !req.raw_only(), {}, std::max(req.max_batch(), 1), {}, 0};
    std::vector<Target*> targets;
    if (!req.stream().empty()) {
      // A stream that does not exist yet may be followed in a named target.
      CAIRN_ASSIGN_OR_RETURN(Target * t, Resolve(req.target(), req.stream(), req.target().empty()));
      targets.push_back(t);
    } else {
      CAIRN_ASSIGN_OR_RETURN(targets, Targets(req.target()));
    }
    // Starting positions.
    for (Target* t : targets) {
      std::vector<std::string> names;
      if (!req.stream().empty()) {
        names.push_back(req.stream());
      } else if (req.start_case() == v1::SubscribeRequest::kFromEnd) {
        CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
        CAIRN_ASSIGN_OR_RETURN(names, ledger::ListStreamNames(session->store()));
      }
      for (const auto& n : names) {
        int64_t start = 0;
        if (req.start_case() == v1::SubscribeRequest::kAfterPosition) start = req.after_position();
        if (req.start_case() == v1::SubscribeRequest::kFromEnd) {
          CAIRN_ASSIGN_OR_RETURN(auto session, t->Acquire());
          CAIRN_ASSIGN_OR_RETURN(auto head, session->store().GetHead(n));
          start = head.position;
        }
        sub.last[{t, n}] = start;
      }
    }
    for (const auto& p : req.after_positions()) {
      if (p.position() < 0) return InvalidArgumentError("after_positions: negative position");
      for (Target* t : targets)
        if (p.target().empty() || p.target() == t->name()) sub.last[{t, p.stream()}] = p.position();
    }

    // A resume point beyond a stream's head cannot come from this ledger:
    // the server lags behind the one the client read (a replica, a restored
    // backup) or holds another history. Waiting silently would stall the
    // client; it is told instead, and may retry once the server caught up.
    for (const auto& [key, pos] : sub.last) {
      if (pos == 0) continue;
      CAIRN_ASSIGN_OR_RETURN(auto session, const_cast<Target*>(key.target)->Acquire());
      CAIRN_ASSIGN_OR_RETURN(auto head, session->store().GetHead(key.stream));
      if (pos > head.position)
        return Status(StatusCode::kOutOfRange,
                      std::string(req.stream().empty() ? "after_positions" : "after_position") +
                          ": " + std::to_string(pos) + " is beyond the head of stream '" +
                          key.stream + "' on target '" + key.target->name() + "' (position " +
                          std::to_string(head.position) +
                          "): this server is behind the ledger the position came from, or "
                          "holds another history");
    }

    // History, then attach to the hubs, then read once more what was
    // committed in between (duplicates from the queue are dropped below).
    CAIRN_RETURN_IF_ERROR(CatchUpAll(sub, targets, req.stream()));
    auto box = std::make_shared<Mailbox>();
    box->stream = req.stream();
    for (Target* t : targets) {
      std::map<std::string, int64_t> after;
      for (const auto& [key, pos] : sub.last)
        if (key.target == t) after[key.stream] = pos;
      t->Attach(box, after);
    }
    struct Detacher {
      std::vector<Target*>& targets;
      std::shared_ptr<Mailbox>& box;
      ~Detacher() {
        for (Target* t : targets) t->Detach(box);
      }
    } detacher{targets, box};
    CAIRN_RETURN_IF_ERROR(CatchUpAll(sub, targets, req.stream()));
    CAIRN_RETURN_IF_ERROR(Flush(sub));
    {
      v1::SubscribeResponse out;
      FillPositions(sub, out.mutable_caught_up()->mutable_positions());
      if (!writer->Write(out)) return CancelledError("subscriber went away");
    }

    auto next_checkpoint = std::chrono::steady_clock::now() + interval;
    for (;;) {
      std::deque<Delivery> items;
      bool overflowed = false;
      {
        std::unique_lock<std::mutex> lock(box->mu);
        const auto wake = std::min(
            next_checkpoint, std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
        box->cv.wait_until(lock, wake,
                           [&] { return !box->queue.empty() || box->overflowed || box->closed; });
        if (box->closed) return UnavailableError("the server is shutting down");
        overflowed = box->overflowed;
        box->overflowed = false;
        items.swap(box->queue);
      }
      if (ctx->IsCancelled()) return CancelledError("subscriber went away");
      if (overflowed) {
        // The queue was dropped: the store has everything, in order.
        CAIRN_RETURN_IF_ERROR(CatchUpAll(sub, targets, req.stream()));
      }
      for (const Delivery& d : items) {
        Target* t = const_cast<Target*>(d.target);
        int64_t& last = sub.last[{t, d.rec->stream}];
        if (d.rec->position <= last) continue;
        if (d.rec->position == last + 1) {
          CAIRN_RETURN_IF_ERROR(Send(sub, t, *d.rec));
        } else {
          CAIRN_RETURN_IF_ERROR(CatchUp(sub, t, d.rec->stream));  // a gap: re-read
        }
      }
      CAIRN_RETURN_IF_ERROR(Flush(sub));  // all this re-read found, before waiting again
      if (std::chrono::steady_clock::now() >= next_checkpoint) {
        v1::SubscribeResponse out;
        FillPositions(sub, out.mutable_checkpoint()->mutable_positions());
        ledger::MicrosToTimestamp(ledger::NowMicros(), out.mutable_checkpoint()->mutable_at());
        if (!writer->Write(out)) return CancelledError("subscriber went away");
        next_checkpoint = std::chrono::steady_clock::now() + interval;
      }
    }
  }

  std::vector<std::unique_ptr<Target>> targets_;
  const TokenTable* tokens_;
  std::string host_;
};

StatusOr<std::string> ReadPem(const std::string& path, const char* option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError(std::string(option) + ": cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServerImpl final : public LedgerServer {
 public:
  int port() const override { return port_; }
  void Wait() override { server_->Wait(); }
  void Shutdown() override {
    std::call_once(once_, [this] {
      if (auto* health = server_->GetHealthCheckService())
        health->SetServingStatus(false);  // every service, "" included
      service_->Stop();                   // ends subscriptions
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    });
  }
  ~ServerImpl() override { Shutdown(); }

  ServerOptions options_;
  std::unique_ptr<LedgerServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::once_flag once_;
};

}  // namespace

StatusOr<std::unique_ptr<LedgerServer>> LedgerServer::Start(ServerOptions options) {
  if (options.targets.empty()) return InvalidArgumentError("--database: no target to serve");
  if (options.tokens.empty())
    return InvalidArgumentError(
        "no bearer tokens configured: give --tokens-file FILE or set CAIRN_SERVE_TOKENS");
  if (options.tls.cert_file.empty() != options.tls.key_file.empty())
    return InvalidArgumentError("--tls-cert and --tls-key: give both or neither");
  if (!options.tls.client_ca_file.empty() && options.tls.cert_file.empty())
    return InvalidArgumentError("--tls-client-ca: needs --tls-cert and --tls-key");

  std::vector<std::unique_ptr<Target>> targets;
  for (const auto& spec : options.targets) {
    CAIRN_ASSIGN_OR_RETURN(auto url, db::ParseDatabaseUrl(spec.url));
    std::string name = spec.name.empty() ? url.database_name : spec.name;
    for (const auto& t : targets)
      if (t->name() == name)
        return InvalidArgumentError("target '" + name +
                                    "' is given twice; name targets apart in the config file");
    CAIRN_ASSIGN_OR_RETURN(auto target,
                           Target::Open(name, url, options.pool_size, options.subscriber_queue,
                                        options.fallback_poll));
    targets.push_back(std::move(target));
  }

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options.tls.cert_file.empty()) {
    creds = grpc::InsecureServerCredentials();
  } else {
    grpc::SslServerCredentialsOptions ssl(
        options.tls.client_ca_file.empty()
            ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    CAIRN_ASSIGN_OR_RETURN(std::string cert, ReadPem(options.tls.cert_file, "--tls-cert"));
    CAIRN_ASSIGN_OR_RETURN(std::string key, ReadPem(options.tls.key_file, "--tls-key"));
    ssl.pem_key_cert_pairs.push_back({key, cert});
    if (!options.tls.client_ca_file.empty()) {
      CAIRN_ASSIGN_OR_RETURN(ssl.pem_root_certs,
                             ReadPem(options.tls.client_ca_file, "--tls-client-ca"));
    }
    creds = grpc::SslServerCredentials(ssl);
  }

  auto impl = std::make_unique<ServerImpl>();
  impl->options_ = std::move(options);
  impl->service_ = std::make_unique<LedgerServiceImpl>(std::move(targets), &impl->options_.tokens);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(impl->options_.listen, creds, &impl->port_);
  builder.RegisterService(impl->service_.get());
  impl->server_ = builder.BuildAndStart();
  if (!impl->server_ || impl->port_ == 0) {
    impl->service_->Stop();
    return UnavailableError("--listen: cannot listen on " + impl->options_.listen);
  }
  // Per-service probes (grpc-health-probe -service=cairn.v1.Ledger, Kubernetes)
  // ask by the service's full name; the default service knows only "".
  if (auto* health = impl->server_->GetHealthCheckService())
    health->SetServingStatus(v1::Ledger::service_full_name(), true);
  return std::unique_ptr<LedgerServer>(std::move(impl));
}

}  // namespace cairn::service

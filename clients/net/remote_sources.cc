#include "net/remote_sources.h"

#include "cairn/base/hash.h"

namespace cairn::cli {

StatusOr<int64_t> ExportThroughServer(client::LedgerClient& client,
                                      const v1::ExportRequest& request,
                                      ledger::ExportWriter& writer) {
  int64_t total = 0;
  bool open = false;  // a stream has begun and not ended
  std::string current;
  ledger::Head last{0, ledger::GenesisHash()};
  Status error;
  auto begin = [&](const std::string& stream) {
    open = true;
    current = stream;
    last = {0, ledger::GenesisHash()};
    return writer.BeginStream(stream);
  };
  Status s = client.Export(request, [&](const v1::ExportResponse& resp) {
    if (resp.has_record()) {
      const v1::LedgerRecord& r = resp.record();
      if (open && r.stream() != current) {
        error = DataLossError("the server sent stream '" + r.stream() + "' before the end of '" +
                              current + "'");
        return false;
      }
      if (!open && !(error = begin(r.stream())).ok()) return false;
      ledger::StoredRecord stored;
      stored.stream = r.stream();
      stored.position = r.position();
      stored.event_id = r.event_id();
      stored.event_type = r.event_type();
      stored.recorded_at = ledger::TimestampToMicros(r.recorded_at());
      stored.record = r.record();
      stored.prev_hash = r.prev_hash();
      stored.hash = r.hash();
      if (!(error = writer.Write(stored)).ok()) return false;
      last = {r.position(), r.hash()};
      ++total;
      return true;
    }
    if (resp.has_stream_end()) {
      const v1::StreamInfo& end = resp.stream_end();
      if (!open && !(error = begin(end.stream())).ok()) return false;  // an empty stream
      if (end.stream() != current || end.head_position() != last.position ||
          (last.position > 0 && end.head_hash() != last.hash)) {
        error = DataLossError("stream '" + end.stream() + "': the server's head (position " +
                              std::to_string(end.head_position()) +
                              ") is not the last record it sent (position " +
                              std::to_string(last.position) + ")");
        return false;
      }
      open = false;
      error = writer.EndStream(last);
      return error.ok();
    }
    return true;  // an item this version does not know
  });
  CAIRN_RETURN_IF_ERROR(s);
  CAIRN_RETURN_IF_ERROR(error);
  if (open) return DataLossError("the export ended inside stream '" + current + "'");
  CAIRN_RETURN_IF_ERROR(writer.Finish());
  return total;
}

ServerReportSource::ServerReportSource(client::LedgerClient& client,
                                       std::vector<ServedStream> streams, std::string origin)
    : client_(client), streams_(std::move(streams)), origin_(std::move(origin)) {}

std::vector<std::string> ServerReportSource::Targets() const {
  std::vector<std::string> out;
  for (const auto& s : streams_) out.push_back(s.stream);
  return out;
}

const ServedStream* ServerReportSource::Find(const std::string& stream) const {
  for (const auto& s : streams_)
    if (s.stream == stream) return &s;
  return nullptr;
}

Status ServerReportSource::ReadEvents(const std::string& target,
                                      const std::function<bool(const v1::Event&)>& fn) {
  const ServedStream* s = Find(target);
  if (!s) return NotFoundError("stream '" + target + "' is not part of this report");
  if (s->target.empty()) return Status::Ok();  // no target holds it yet: empty
  v1::ReadStreamRequest req;
  req.set_target(s->target);
  req.set_stream(s->stream);
  req.set_limit(1000);
  int64_t expected = 1;
  Status error;
  CAIRN_RETURN_IF_ERROR(client_.ReadAll(req, [&](const v1::LedgerRecord& r) {
    if (r.position() != expected) {
      error = DataLossError("stream '" + target + "': the server skipped from position " +
                            std::to_string(expected) + " to " + std::to_string(r.position()));
      return false;
    }
    ++expected;
    return fn(r.event());
  }));
  return error;
}

StatusOr<ledger::VerifyReport> ServerReportSource::Verify(const std::string& target) {
  const ServedStream* s = Find(target);
  if (!s) return NotFoundError("stream '" + target + "' is not part of this report");
  ledger::VerifyReport out;
  out.head = {0, ledger::GenesisHash()};
  if (s->target.empty()) return out;
  v1::VerifyRequest req;
  req.set_target(s->target);
  req.set_stream(s->stream);
  CAIRN_ASSIGN_OR_RETURN(auto resp, client_.Verify(req));
  out.ok = resp.ok();
  out.events_checked = resp.events_checked();
  out.head = {resp.head_position(), resp.head_hash()};
  out.first_bad_position = resp.first_bad_position();
  out.problem = resp.problem();
  return out;
}

}  // namespace cairn::cli

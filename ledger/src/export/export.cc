// Export writers for CloudEvents (batch and JSON Lines) and CSV, and the
// driver that feeds them from a LedgerStore. Formats: docs/export.md.
#include "cairn/export/export.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>

#include <cinttypes>
#include <cstdio>

#include "cairn/base/hash.h"
#include "export_internal.h"

namespace cairn::ledger {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of characters copied as is
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

// Appends the lowercase hex of `bytes`.
void AppendHex(std::string* out, std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  const size_t at = out->size();
  out->resize(at + 2 * bytes.size());
  char* p = out->data() + at;
  for (unsigned char c : bytes) {
    *p++ = kHex[c >> 4];
    *p++ = kHex[c & 15];
  }
}

// Appends FormatMicros(micros) as a JSON string; the date and time part is
// formatted once per second.
void AppendTime(std::string* out, int64_t micros) {
  thread_local int64_t cached_second = INT64_MIN;
  thread_local std::string cached;  // "2026-11-21T10:15:30." without the fraction
  int64_t sec = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --sec;
  }
  if (sec != cached_second) {
    std::string full = FormatMicros(sec * 1000000);
    cached = full.substr(0, full.size() - 7);  // drop "000000Z"
    cached_second = sec;
  }
  out->push_back('"');
  out->append(cached);
  char digits[6];
  for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
  out->append(digits, 6);
  out->append("Z\"");
}

void AppendJsonValue(std::string* out, const Message& m, const Reflection& r,
                     const FieldDescriptor* f, int index);

// The proto3 JSON mapping with the .proto's field names; defaults omitted.
void AppendMessageJson(std::string* out, const Message& m) {
  const auto* d = m.GetDescriptor();
  if (d->full_name() == "google.protobuf.Timestamp") {
    const Reflection& r = *m.GetReflection();
    AppendTime(out, r.GetInt64(m, d->field(0)) * 1000000 + r.GetInt32(m, d->field(1)) / 1000);
    return;
  }
  const Reflection& r = *m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r.ListFields(m, &fields);
  out->push_back('{');
  bool first = true;
  for (const FieldDescriptor* f : fields) {
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, f->name());
    out->push_back(':');
    if (f->is_repeated()) {
      out->push_back('[');
      for (int i = 0; i < r.FieldSize(m, f); ++i) {
        if (i) out->push_back(',');
        AppendJsonValue(out, m, r, f, i);
      }
      out->push_back(']');
    } else {
      AppendJsonValue(out, m, r, f, -1);
    }
  }
  out->push_back('}');
}

void AppendJsonValue(std::string* out, const Message& m, const Reflection& r,
                     const FieldDescriptor* f, int i) {
  const bool rep = i >= 0;
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& v = rep ? r.GetRepeatedStringReference(m, f, i, &scratch)
                                 : r.GetStringReference(m, f, &scratch);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        out->push_back('"');
        AppendBase64(out, v);
        out->push_back('"');
      } else {
        AppendJsonString(out, v);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_INT64:
      out->push_back('"');
      out->append(std::to_string(rep ? r.GetRepeatedInt64(m, f, i) : r.GetInt64(m, f)));
      out->push_back('"');
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      out->push_back('"');
      out->append(std::to_string(rep ? r.GetRepeatedUInt64(m, f, i) : r.GetUInt64(m, f)));
      out->push_back('"');
      break;
    case FieldDescriptor::CPPTYPE_INT32:
      out->append(std::to_string(rep ? r.GetRepeatedInt32(m, f, i) : r.GetInt32(m, f)));
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      out->append(std::to_string(rep ? r.GetRepeatedUInt32(m, f, i) : r.GetUInt32(m, f)));
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out->append((rep ? r.GetRepeatedBool(m, f, i) : r.GetBool(m, f)) ? "true" : "false");
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      char buf[40];
      double v = f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE
                     ? (rep ? r.GetRepeatedDouble(m, f, i) : r.GetDouble(m, f))
                     : (rep ? r.GetRepeatedFloat(m, f, i) : r.GetFloat(m, f));
      std::snprintf(buf, sizeof buf, "%.17g", v);
      out->append(buf);
      break;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* v = rep ? r.GetRepeatedEnum(m, f, i) : r.GetEnum(m, f);
      AppendJsonString(out, v->name());
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendMessageJson(out, rep ? r.GetRepeatedMessage(m, f, i) : r.GetMessage(m, f));
      break;
  }
}

void AppendSource(std::string* out, std::string_view stream) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = "urn:cairn:stream:";
  for (unsigned char c : stream) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      s.push_back(static_cast<char>(c));
    } else {
      s.push_back('%');
      s.push_back(kHex[c >> 4]);
      s.push_back(kHex[c & 15]);
    }
  }
  AppendJsonString(out, s);
}

// Writes the CloudEvent of `r` (decoded as `e`) to `out`.
void AppendCloudEvent(std::string* out, const StoredRecord& r, const v1::Event& e) {
  out->append("{\"specversion\":\"1.0\",\"id\":");
  AppendJsonString(out, r.event_id);
  out->append(",\"source\":");
  AppendSource(out, r.stream);
  out->append(",\"type\":");
  AppendJsonString(out, "dev.cairn.v1." + r.event_type);
  out->append(",\"time\":");
  AppendTime(out, r.recorded_at);
  std::string migration_id = BodyMigrationId(e);
  if (!migration_id.empty()) {
    out->append(",\"subject\":");
    AppendJsonString(out, migration_id);
  }
  out->append(",\"datacontenttype\":\"application/json\",\"data\":");
  AppendMessageJson(out, e);
  char seq[32];
  std::snprintf(seq, sizeof seq, "%020" PRId64, r.position);
  out->append(",\"sequence\":\"");
  out->append(seq);
  out->append("\",\"cairnstream\":");
  AppendJsonString(out, r.stream);
  out->append(",\"cairnposition\":");
  out->append(std::to_string(r.position));
  out->append(",\"cairnprevhash\":\"");
  AppendHex(out, r.prev_hash);
  out->append("\",\"cairnhash\":\"");
  AppendHex(out, r.hash);
  out->append("\",\"cairnrecord\":\"");
  AppendBase64(out, r.record);
  out->append("\"}");
}

Status DecodeRecord(const StoredRecord& r, v1::Event* e) {
  if (!e->ParseFromString(r.record)) {
    return DataLossError("stream '" + r.stream + "' position " + std::to_string(r.position) +
                         ": the record does not decode");
  }
  return Status::Ok();
}

class CloudEventsWriter final : public BufferedWriter {
 public:
  CloudEventsWriter(ByteSink sink, bool batch) : BufferedWriter(std::move(sink)), batch_(batch) {
    if (batch_) buffer_.push_back('[');
  }
  Status BeginStream(std::string_view) override { return Status::Ok(); }
  Status Write(const StoredRecord& r) override {
    CAIRN_RETURN_IF_ERROR(DecodeRecord(r, &event_));
    if (batch_ && any_) buffer_.append(",\n");
    any_ = true;
    AppendCloudEvent(&buffer_, r, event_);
    if (!batch_) buffer_.push_back('\n');
    return MaybeFlush();
  }
  Status EndStream(const Head&) override { return Status::Ok(); }
  Status Finish() override {
    if (batch_) buffer_.append("]\n");
    return Flush();
  }

 private:
  const bool batch_;
  bool any_ = false;
  v1::Event event_;
};

void AppendCsvField(std::string* out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

class CsvWriter final : public BufferedWriter {
 public:
  explicit CsvWriter(ByteSink sink) : BufferedWriter(std::move(sink)) {
    buffer_.append(
        "stream,position,time,who,host,event_type,migration_id,what,outcome,run_id,event_id,"
        "hash\r\n");
  }
  Status BeginStream(std::string_view) override { return Status::Ok(); }
  Status Write(const StoredRecord& r) override {
    CAIRN_RETURN_IF_ERROR(DecodeRecord(r, &event_));
    const std::string fields[] = {r.stream,
                                  std::to_string(r.position),
                                  FormatMicros(r.recorded_at),
                                  event_.actor().user(),
                                  event_.actor().host(),
                                  r.event_type,
                                  BodyMigrationId(event_),
                                  AuditWhat(event_),
                                  AuditOutcome(event_),
                                  event_.run_id(),
                                  r.event_id,
                                  ToHex(r.hash)};
    bool first = true;
    for (const std::string& f : fields) {
      if (!first) buffer_.push_back(',');
      first = false;
      AppendCsvField(&buffer_, f);
    }
    buffer_.append("\r\n");
    return MaybeFlush();
  }
  Status EndStream(const Head&) override { return Status::Ok(); }
  Status Finish() override { return Flush(); }

 private:
  v1::Event event_;
};

const char* DirectionWord(v1::Direction d) { return d == v1::DIRECTION_DOWN ? "down" : "up"; }

std::string Millis(int64_t micros) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.1f", static_cast<double>(micros) / 1000.0);
  return buf;
}

}  // namespace

void AppendBase64(std::string* out, std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const size_t at = out->size();
  out->resize(at + (in.size() + 2) / 3 * 4);
  char* o = out->data() + at;
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    *o++ = kTable[v >> 18];
    *o++ = kTable[(v >> 12) & 63];
    *o++ = kTable[(v >> 6) & 63];
    *o++ = kTable[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = p[i] << 16;
    if (i + 1 < in.size()) v |= p[i + 1] << 8;
    *o++ = kTable[v >> 18];
    *o++ = kTable[(v >> 12) & 63];
    *o++ = i + 1 < in.size() ? kTable[(v >> 6) & 63] : '=';
    *o++ = '=';
  }
}

std::string Base64(std::string_view in) {
  std::string out;
  AppendBase64(&out, in);
  return out;
}

const char* StorageTypeName(v1::StorageType t) {
  switch (t) {
    case v1::STORAGE_TYPE_TABLE:
      return "table";
    case v1::STORAGE_TYPE_DOCUMENT:
      return "document";
    case v1::STORAGE_TYPE_OBJECT:
      return "object";
    default:
      return "";
  }
}

std::string BodyMigrationId(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kMigrationStarted:
      return e.migration_started().migration_id();
    case v1::Event::kBatchApplied:
      return e.batch_applied().migration_id();
    case v1::Event::kStatementsCommitted:
      return e.statements_committed().migration_id();
    case v1::Event::kMigrationCommitted:
      return e.migration_committed().migration_id();
    case v1::Event::kMigrationRolledBack:
      return e.migration_rolled_back().migration_id();
    case v1::Event::kMigrationFailed:
      return e.migration_failed().migration_id();
    default:
      return "";
  }
}

std::string AuditWhat(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kRunStarted: {
      const auto& b = e.run_started();
      std::string s = std::string("run started: ") + DirectionWord(b.direction()) + ", " +
                      std::to_string(b.planned_migration_ids_size()) + " planned";
      if (!b.target_id().empty()) s += " (to " + b.target_id() + ")";
      return s;
    }
    case v1::Event::kMigrationStarted: {
      const auto& b = e.migration_started();
      return "migration " + b.migration_id() + " " + DirectionWord(b.direction()) +
             " started: " + b.description();
    }
    case v1::Event::kBatchApplied: {
      const auto& b = e.batch_applied();
      return "migration " + b.migration_id() + " batch " + std::to_string(b.batch_number()) + ": " +
             std::to_string(b.rows()) + " rows, cursor " + b.cursor();
    }
    case v1::Event::kMigrationCommitted: {
      const auto& b = e.migration_committed();
      return "migration " + b.migration_id() + " " + DirectionWord(b.direction()) +
             " committed: " + std::to_string(b.statements_executed()) + " statements in " +
             Millis(b.duration_micros()) + " ms";
    }
    case v1::Event::kMigrationRolledBack: {
      const auto& b = e.migration_rolled_back();
      std::string s = "migration " + b.migration_id() +
                      " rolled back: " + std::to_string(b.statements_executed()) +
                      " statements in " + Millis(b.duration_micros()) + " ms";
      if (!b.reason().empty()) s += ": " + b.reason();
      return s;
    }
    case v1::Event::kMigrationFailed: {
      const auto& b = e.migration_failed();
      return "migration " + b.migration_id() + " " + DirectionWord(b.direction()) + " failed at " +
             b.file() + ":" + std::to_string(b.line()) + ": " + b.error_message();
    }
    case v1::Event::kRunFinished: {
      const auto& b = e.run_finished();
      std::string s = "run finished: " + std::to_string(b.migrations_applied()) + " applied, " +
                      std::to_string(b.migrations_rolled_back()) + " rolled back";
      if (!b.error_message().empty()) s += ": " + b.error_message();
      return s;
    }
    default:
      return "";
  }
}

std::string AuditOutcome(const v1::Event& e) {
  switch (e.body_case()) {
    case v1::Event::kRunStarted:
    case v1::Event::kMigrationStarted:
      return "started";
    case v1::Event::kBatchApplied:
    case v1::Event::kMigrationCommitted:
      return "succeeded";
    case v1::Event::kMigrationRolledBack:
      return "rolled_back";
    case v1::Event::kMigrationFailed:
      return "failed";
    case v1::Event::kRunFinished:
      switch (e.run_finished().outcome()) {
        case v1::RUN_OUTCOME_SUCCEEDED:
          return "succeeded";
        case v1::RUN_OUTCOME_FAILED:
          return "failed";
        case v1::RUN_OUTCOME_NOTHING_TO_DO:
          return "nothing_to_do";
        case v1::RUN_OUTCOME_INTERRUPTED:
          return "interrupted";
        default:
          return "unspecified";
      }
    default:
      return "";
  }
}

Status BufferedWriter::Flush() {
  if (buffer_.empty()) return Status::Ok();
  Status s = sink_(buffer_);
  buffer_.clear();
  return s;
}

Status BufferedWriter::MaybeFlush() {
  return buffer_.size() >= kExportBufferSize / 2 ? Flush() : Status::Ok();
}

StatusOr<ExportFormat> ParseExportFormat(std::string_view name) {
  if (name == "cloudevents") return ExportFormat::kCloudEvents;
  if (name == "jsonl") return ExportFormat::kJsonLines;
  if (name == "csv") return ExportFormat::kCsv;
  if (name == "bundle") return ExportFormat::kBundle;
  return InvalidArgumentError("--format: unknown export format '" + std::string(name) +
                              "' (expected cloudevents, jsonl, csv or bundle)");
}

StatusOr<std::string> CloudEventJson(const StoredRecord& record) {
  v1::Event e;
  CAIRN_RETURN_IF_ERROR(DecodeRecord(record, &e));
  std::string out;
  AppendCloudEvent(&out, record, e);
  return out;
}

StatusOr<std::unique_ptr<ExportWriter>> NewExportWriter(ExportFormat format, ByteSink sink,
                                                        const SigningKey* key, std::string origin,
                                                        int64_t created_at_micros) {
  switch (format) {
    case ExportFormat::kCloudEvents:
      return std::unique_ptr<ExportWriter>(new CloudEventsWriter(std::move(sink), true));
    case ExportFormat::kJsonLines:
      return std::unique_ptr<ExportWriter>(new CloudEventsWriter(std::move(sink), false));
    case ExportFormat::kCsv:
      return std::unique_ptr<ExportWriter>(new CsvWriter(std::move(sink)));
    case ExportFormat::kBundle:
      if (key == nullptr)
        return InvalidArgumentError("--key: a bundle is signed: give the private key file");
      return NewBundleWriter(std::move(sink), *key, std::move(origin), created_at_micros);
  }
  return InvalidArgumentError("unknown export format");
}

StatusOr<int64_t> ExportStreams(EventReader& reader, const std::vector<std::string>& streams,
                                ExportWriter& writer) {
  CAIRN_ASSIGN_OR_RETURN(int64_t total, reader.ReadRecords(streams, writer));
  CAIRN_RETURN_IF_ERROR(writer.Finish());
  return total;
}

}  // namespace cairn::ledger

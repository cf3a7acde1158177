#include "cli/json_output.h"

#include <cstdio>
#include <optional>

#include "cli/exit_codes.h"

namespace cairn::cli {

using nlohmann::json;

namespace {

// Invalid UTF-8 (a file name, a statement) is replaced, never thrown on.
std::string Dump(const json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, json::error_handler_t::replace);
}

std::optional<JsonDocument>& Document() {
  static std::optional<JsonDocument> doc;
  return doc;
}

}  // namespace

std::string JsonDocument::Indent() const { return std::string(2 * stack_.size(), ' '); }

void JsonDocument::Separate() {
  Frame& top = stack_.back();
  std::fputs(top.any ? ",\n" : "\n", stdout);
  top.any = true;
  std::fputs(Indent().c_str(), stdout);
}

void JsonDocument::Begin(const std::string& command) {
  begun_ = true;
  std::fputs("{", stdout);
  stack_.push_back({false, false});
  Field("cairn_json", kJsonSchemaVersion);
  Field("command", command);
}

void JsonDocument::Field(std::string_view key, const json& value) {
  Separate();
  std::string text = Dump(value, 2);
  // Re-indent a multi-line value to its depth.
  const std::string indent = Indent();
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    out += c;
    if (c == '\n') out += indent;
  }
  std::printf("%s: %s", Dump(json(key), -1).c_str(), out.c_str());
}

void JsonDocument::BeginArray(std::string_view key) {
  Separate();
  std::printf("%s: [", Dump(json(key), -1).c_str());
  stack_.push_back({true, false});
}

void JsonDocument::BeginObject() {
  Separate();
  std::fputs("{", stdout);
  stack_.push_back({false, false});
}

void JsonDocument::Element(const json& value) {
  Separate();
  std::fputs(Dump(value, -1).c_str(), stdout);
}

void JsonDocument::End() {
  Frame top = stack_.back();
  stack_.pop_back();
  if (top.any) std::printf("\n%s", Indent().c_str());
  std::fputs(top.array ? "]" : "}", stdout);
}

void JsonDocument::Warn(std::string text) { warnings_.push_back(std::move(text)); }

void JsonDocument::SetError(json error) {
  if (error_.is_null()) error_ = std::move(error);
}

void JsonDocument::Finish(int exit_code) {
  if (!begun_ || finished_) return;
  while (stack_.size() > 1) End();
  Field("ok", exit_code == kExitOk);
  Field("exit_code", exit_code);
  Field("warnings", warnings_);
  // The error's kind is always the exit code's name.
  if (!error_.is_null()) error_["kind"] = std::string(ExitName(exit_code));
  if (exit_code != kExitOk)
    Field("error", error_.is_null()
                       ? JsonError(exit_code, "exit code " + std::to_string(exit_code) + " (" +
                                                  std::string(ExitName(exit_code)) + ")")
                       : error_);
  End();
  std::fputs("\n", stdout);
  std::fflush(stdout);
  finished_ = true;
}

void AddJsonFlag(CLI::App* cmd, const std::string& help) { cmd->add_flag("--json", help); }

JsonDocument* ActiveJson() {
  auto& doc = Document();
  return doc && doc->begun() && !doc->finished() ? &*doc : nullptr;
}

JsonDocument& StartJson(const std::string& command) {
  auto& doc = Document();
  doc.emplace();
  doc->Begin(command);
  return *doc;
}

json JsonError(const Status& s, int exit_code) {
  json e = JsonError(exit_code, s.message());
  e["code"] = std::string(StatusCodeName(s.code()));
  if (!s.kind().none()) e["cause"] = std::string(s.kind().name());
  return e;
}

json JsonError(int exit_code, const std::string& message) {
  return json{{"kind", std::string(ExitName(exit_code))}, {"message", message}};
}

int JsonFail(int exit_code, const std::string& message) {
  if (JsonDocument* doc = ActiveJson()) doc->SetError(JsonError(exit_code, message));
  return exit_code;
}

}  // namespace cairn::cli

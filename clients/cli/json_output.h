// --json: the one JSON document a command prints on standard output
// (docs/json.md). Every command's document has the same envelope:
//
//   {"cairn_json": 1, "command": "migrate", ...the command's fields...,
//    "ok": true, "exit_code": 0, "warnings": [], "error": {...}}
//
// The document is written as the command goes (a plan or a history can be
// larger than memory), so the envelope's head is printed when the command
// starts and its tail (ok, exit_code, warnings, error) when it ends; an error
// part-way closes whatever was open, so the output always parses.
//
//   if (JsonDocument* doc = ActiveJson()) doc->Field("path", *path);
//   else std::printf("%s\n", path->c_str());
#ifndef CAIRN_CLIENTS_CLI_JSON_OUTPUT_H_
#define CAIRN_CLIENTS_CLI_JSON_OUTPUT_H_

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"

namespace cairn::cli {

// The envelope's "cairn_json": raised only when a field changes meaning or
// goes away; new fields may appear within a version (docs/json.md).
inline constexpr int kJsonSchemaVersion = 1;

class JsonDocument {
 public:
  // Prints the head of the envelope: {"cairn_json": 1, "command": NAME.
  void Begin(const std::string& command);
  bool begun() const { return begun_; }
  bool finished() const { return finished_; }

  // "key": value in the innermost open object (an object value indented).
  void Field(std::string_view key, const nlohmann::json& value);
  // "key": [ in the innermost open object; End closes it.
  void BeginArray(std::string_view key);
  // { as the next element of the innermost open array; End closes it.
  void BeginObject();
  // The next element of the innermost open array, on one line.
  void Element(const nlohmann::json& value);
  // Closes the innermost open array or object.
  void End();

  // Collected into "warnings" (they are also logged on stderr).
  void Warn(std::string text);
  // The "error" object; the first one reported wins (Fail calls this).
  void SetError(nlohmann::json error);
  bool has_error() const { return !error_.is_null(); }

  // Closes everything still open and prints the tail: ok (exit_code == 0),
  // exit_code, warnings and, when exit_code != 0, error (one is made from
  // the exit code when the command reported none).
  void Finish(int exit_code);

 private:
  void Separate();  // "," when needed, then a new line and the indent
  std::string Indent() const;

  struct Frame {
    bool array = false;
    bool any = false;  // an element or field was written
  };
  bool begun_ = false, finished_ = false;
  std::vector<Frame> stack_;
  std::vector<std::string> warnings_;
  nlohmann::json error_;
};

// Adds `--json` to a command whose action reads ActiveJson().
void AddJsonFlag(CLI::App* cmd, const std::string& help = "print one JSON document (docs/json.md)");

// The process's document when --json was given and it is still open, or null.
JsonDocument* ActiveJson();
// Starts the process's document for `command` (CliMain, once --json is seen).
JsonDocument& StartJson(const std::string& command);

// The error object for a Status that made the command exit with `exit_code`:
// {"kind": ExitName(exit_code), "code": "FAILED_PRECONDITION",
//  "cause": "runner.PlanChanged" (when the error has a kind), "message": ...}.
nlohmann::json JsonError(const Status& s, int exit_code);
// The same for an error that is not a Status.
nlohmann::json JsonError(int exit_code, const std::string& message);
// Records an error in the active document, if any; returns exit_code.
int JsonFail(int exit_code, const std::string& message);

}  // namespace cairn::cli

#endif  // CAIRN_CLIENTS_CLI_JSON_OUTPUT_H_

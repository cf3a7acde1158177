// The runner's rooms (docs/design.md, "The run pipeline"): runner/src has
// one folder per stage of a run, and a file may include only its own room
// and the rooms its room reads from. This test reads every #include "..."
// line under runner/src and fails naming each file and include that runs
// back up the flow.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/test_support.h"

namespace fs = std::filesystem;

namespace {

// Who may include whom. The flow is source -> plan -> checks -> execute ->
// record; schema/ is the schema model, read by the stages that need the
// live schema; facade/ (the Runner and the commands on it) may read every
// room and no room reads it. "contract" is the public headers of plain
// values (options, report) that every room may read.
const std::map<std::string, std::set<std::string>>& Allowed() {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"source", {"source"}},
      {"schema", {"schema"}},
      // PostgreSQL's parser and the lint rules over its tree, per statement.
      {"lint", {"lint"}},
      {"plan", {"plan", "source"}},
      {"checks", {"checks", "plan", "source", "schema", "lint"}},
      {"execute", {"execute", "checks", "plan", "source", "schema", "lint"}},
      // Record implements the observer interface execute declares (see
      // kObserverInterface) and reads nothing else of execute, nor plan.
      {"record", {"record", "source", "schema"}},
      {"facade", {"facade", "record", "execute", "checks", "plan", "source", "schema", "lint"}},
  };
  return allowed;
}

// The one file of execute that record may include: the interface through
// which the executor reports what it applied.
const std::string kObserverInterface = "execute/run_observer.h";

// The room of each public header (runner/include/cairn/runner/): the room of
// the code that implements it.
const std::map<std::string, std::string>& PublicRooms() {
  static const std::map<std::string, std::string> rooms = {
      {"cairn/runner/options.h", "contract"},
      {"cairn/runner/report.h", "contract"},
      {"cairn/runner/batch_options.h", "contract"},
      {"cairn/runner/migration.h", "source"},
      {"cairn/runner/formats.h", "source"},
      {"cairn/runner/data_migration.h", "source"},
      {"cairn/runner/plan.h", "plan"},
      {"cairn/runner/unfinished.h", "plan"},
      {"cairn/runner/checks.h", "checks"},
      {"cairn/runner/lint.h", "checks"},
      {"cairn/runner/documents.h", "execute"},
      {"cairn/runner/runner.h", "facade"},
      {"cairn/runner/startup.h", "facade"},
      {"cairn/runner/schema_ops.h", "facade"},
      {"cairn/runner/repair.h", "facade"},
      {"cairn/runner/backup.h", "facade"},
      {"cairn/runner/lock.h", "facade"},
  };
  return rooms;
}

// Back edges known and explained, as "file -> room": formats/adopt.cc is the
// `cairn adopt` command, not a reader of files, and belongs in facade/ (it
// stays in formats/ while that folder is edited elsewhere); atlas.h's
// revisions reader, its helper, returns adopt's BaselineOptions::Original
// and moves with it.
const std::set<std::string>& Exceptions() {
  static const std::set<std::string> known = {
      "formats/adopt.cc -> facade",
      "formats/adopt.cc -> schema",
      "formats/atlas.h -> facade",
  };
  return known;
}

// The room of a file under runner/src ("formats" is part of source), or "".
std::string RoomOf(const std::string& rel) {
  const std::string top = rel.substr(0, rel.find('/'));
  if (top == rel) return "";
  if (top == "formats") return "source";
  return Allowed().count(top) ? top : "";
}

// One line per include that breaks the rules, in the files under `src`.
std::vector<std::string> RoomViolations(const fs::path& src) {
  std::vector<std::string> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".cc" || ext == ".h")) files.push_back(e.path());
  }
  for (const fs::path& file : files) {
    const std::string rel = fs::relative(file, src).generic_string();
    const std::string room = RoomOf(rel);
    if (room.empty()) {
      out.push_back(rel + ": in no room (add its folder to rooms_test.cc and docs/design.md)");
      continue;
    }
    std::ifstream in(file);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      const std::string prefix = "#include \"";
      if (line.rfind(prefix, 0) != 0) continue;
      const size_t end = line.find('"', prefix.size());
      const std::string inc = line.substr(prefix.size(), end - prefix.size());
      std::string target_room, target;
      if (fs::path beside = file.parent_path() / inc; fs::exists(beside)) {
        target =
            fs::relative(fs::weakly_canonical(beside), fs::weakly_canonical(src)).generic_string();
      } else if (fs::exists(src / inc)) {
        target = fs::path(inc).lexically_normal().generic_string();
      }
      if (!target.empty()) {
        target_room = RoomOf(target);
      } else if (auto it = PublicRooms().find(inc); it != PublicRooms().end()) {
        target_room = it->second;
      } else if (inc.rfind("cairn/schema/", 0) == 0) {
        target_room = "schema";
      } else if (inc.rfind("cairn/runner/", 0) == 0) {
        out.push_back(rel + ":" + std::to_string(number) + ": " + inc +
                      ": a public header with no room (add it to PublicRooms)");
        continue;
      } else if (inc.rfind("cairn/", 0) == 0) {
        continue;  // ledger, db, base, proto: below the runner, for every room
      } else {
        out.push_back(rel + ":" + std::to_string(number) + ": " + inc + ": not found");
        continue;
      }
      if (target_room == "contract") continue;
      if (room == "record" && target == kObserverInterface) continue;
      if (Allowed().at(room).count(target_room)) continue;
      if (Exceptions().count(rel + " -> " + target_room)) continue;
      out.push_back(rel + ":" + std::to_string(number) + ": " + room + " includes " + inc + " (" +
                    target_room + "), which comes after it in the run");
    }
  }
  return out;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// The check itself can fail: a small tree with one back edge, one file in
// no room and one include that exists nowhere.
TEST(RunnerRooms, FlagsIncludesThatRunBackUp) {
  cairn::testing::TempDir tmp;
  const fs::path src = fs::path(tmp.path()) / "src";
  Write(src / "source" / "parse.cc",
        "#include \"execute/run.h\"\n#include \"cairn/base/status.h\"\n");
  Write(src / "execute" / "run.h", "#include \"../source/parse.h\"\n#include \"plan/plan.h\"\n");
  Write(src / "source" / "parse.h", "");
  Write(src / "plan" / "plan.h", "#include \"cairn/runner/runner.h\"\n");
  Write(src / "record" / "ledger.cc",
        "#include \"execute/run_observer.h\"\n#include \"execute/run.h\"\n");
  Write(src / "execute" / "run_observer.h", "");
  Write(src / "misc" / "stray.cc", "");
  Write(src / "facade" / "f.cc", "#include \"nowhere.h\"\n");
  std::vector<std::string> v = RoomViolations(src);
  const std::string all = Joined(v);
  ASSERT_EQ(v.size(), 5u) << all;
  EXPECT_NE(all.find("source/parse.cc:1: source includes execute/run.h (execute)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("plan/plan.h:1: plan includes cairn/runner/runner.h (facade)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("record/ledger.cc:2: record includes execute/run.h (execute)"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("misc/stray.cc: in no room"), std::string::npos) << all;
  EXPECT_NE(all.find("facade/f.cc:1: nowhere.h: not found"), std::string::npos) << all;
}

TEST(RunnerRooms, RunnerSourcesIncludeOnlyEarlierRooms) {
  const fs::path src = fs::path(CAIRN_SOURCE_DIR) / "runner" / "src";
  ASSERT_TRUE(fs::is_directory(src / "execute")) << src;
  std::vector<std::string> v = RoomViolations(src);
  EXPECT_TRUE(v.empty()) << "includes that run back up the flow (docs/design.md):\n" << Joined(v);
}

}  // namespace

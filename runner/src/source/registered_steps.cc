// C++ data migrations as the source stage sees them: the registry that
// cairn_add_migrations fills, their checksums, and their merge with the
// migration files of a folder (docs/data-migrations.md).
#include "source/registered_steps.h"

#include <algorithm>
#include <cctype>
#include <deque>
#include <map>

#include "cairn/base/hash.h"
#include "cairn/store/state.h"
#include "cairn/runner/data_migration.h"

namespace cairn::runner {
namespace {

std::deque<DataMigration>& Registry() {
  static std::deque<DataMigration> steps;  // a deque: pointers stay valid as steps are added
  return steps;
}

bool ValidStepName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool RegisterDataMigration(DataMigration step) {
  Registry().push_back(std::move(step));
  return true;
}

const std::deque<DataMigration>& RegisteredDataMigrations() { return Registry(); }

void ClearRegisteredDataMigrations() { Registry().clear(); }

std::string DataMigrationChecksum(const DataMigration& step) {
  return "sha256:" + ledger::ToHex(ledger::Sha256("cairn-cpp-step\n" + step.id + "\n" + step.name +
                                                  "\n" + std::to_string(step.version)));
}

namespace internal {

Status MergeRegisteredSteps(std::vector<Migration>* files) {
  const auto& steps = RegisteredDataMigrations();
  if (steps.empty()) return Status::Ok();
  std::map<std::string, std::string, ledger::MigrationIdLess> taken;
  for (const Migration& m : *files) taken[m.id] = m.path;
  for (const DataMigration& s : steps) {
    const std::string label = "C++ step " + s.id + "_" + s.name;
    if (!AllDigits(s.id) || !ValidStepName(s.name))
      return InvalidArgumentError(label +
                                  ": id must be digits and name letters, digits, '_' or '-'");
    if (!s.up) return InvalidArgumentError(label + ": has no up function");
    if (!s.down && !s.irreversible)
      return InvalidArgumentError(label +
                                  ": has no down function; set irreversible = true if it "
                                  "cannot be undone");
    auto [it, inserted] = taken.emplace(s.id, label);
    if (!inserted)
      return InvalidArgumentError(label + ": duplicate migration number " + s.id + " (also " +
                                  it->second + ")");
    Migration m;
    m.id = s.id;
    m.name = s.name;
    m.description = s.name;
    std::replace(m.description.begin(), m.description.end(), '_', ' ');
    m.file = "c++:" + s.id + "_" + s.name;
    m.path = label;
    m.checksum = DataMigrationChecksum(s);
    if (s.down) m.down = Section{};
    m.step = &s;
    files->push_back(std::move(m));
  }
  std::sort(files->begin(), files->end(), [](const Migration& a, const Migration& b) {
    return ledger::CompareMigrationIds(a.id, b.id) < 0;
  });
  return Status::Ok();
}

}  // namespace internal
}  // namespace cairn::runner

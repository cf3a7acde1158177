#include "cairn/runner/plan.h"

#include <cctype>

#include "cairn/db/sql_splitter.h"
#include "cairn/ledger/hash.h"

namespace cairn::runner {
namespace {

constexpr std::string_view kPlanChanged = "plan changed since review";

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutStr(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// Trailing spaces and tabs removed from every line (docs/plans.md).
std::string CanonicalStatement(std::string_view text) {
  std::string out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    out.append(line);
    if (nl == std::string_view::npos) break;
    out.push_back('\n');
    start = nl + 1;
  }
  return out;
}

}  // namespace

ReviewedPlan MakeReviewedPlan(std::string_view stream, v1::Direction direction,
                              const std::vector<Migration>& steps) {
  ReviewedPlan plan;
  plan.stream = std::string(stream);
  plan.direction = direction;
  for (const Migration& m : steps) {
    PlannedMigration pm;
    pm.id = m.id;
    pm.description = m.description;
    pm.file = m.file;
    pm.checksum = m.checksum;
    pm.has_down = m.down.has_value();
    const Section* section =
        direction == v1::DIRECTION_DOWN ? (m.down ? &*m.down : nullptr) : &m.up;
    if (section != nullptr) {
      for (const db::SqlStatement& st : db::SplitSqlStatements(section->sql)) {
        int line = section->first_line;
        for (size_t i = 0; i < st.offset; ++i)
          if (section->sql[i] == '\n') ++line;
        pm.statements.push_back({line, CanonicalStatement(st.text)});
      }
    }
    plan.migrations.push_back(std::move(pm));
  }
  plan.hash = ledger::ToHex(ledger::Sha256(CanonicalPlanBytes(plan)));
  return plan;
}

std::string CanonicalPlanBytes(const ReviewedPlan& plan) {
  std::string out("cairn-plan-v1");
  out.push_back('\0');
  PutStr(&out, plan.stream);
  PutStr(&out, plan.direction == v1::DIRECTION_DOWN ? "down" : "up");
  PutU32(&out, static_cast<uint32_t>(plan.migrations.size()));
  for (const PlannedMigration& m : plan.migrations) {
    PutStr(&out, m.id);
    PutStr(&out, m.checksum);
    PutU32(&out, static_cast<uint32_t>(m.statements.size()));
    for (const PlannedStatement& s : m.statements) PutStr(&out, s.text);
  }
  return out;
}

StatusOr<std::string> NormalizePlanHash(std::string_view given) {
  std::string_view h = given;
  if (h.substr(0, 7) == "sha256:") h.remove_prefix(7);
  std::string out;
  for (char c : h) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      out.clear();
      break;
    }
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (out.size() != 64)
    return InvalidArgumentError("--plan-hash '" + std::string(given) +
                                "': expected the 64 hex digits `cairn plan` prints");
  return out;
}

Status PlanChangedError(std::string_view expected, const ReviewedPlan& actual) {
  std::string ids;
  for (const PlannedMigration& m : actual.migrations) ids += (ids.empty() ? "" : ",") + m.id;
  return FailedPreconditionError(std::string(kPlanChanged) + ": reviewed plan " +
                                 std::string(expected) + ", current plan " + actual.hash + " [" +
                                 ids + "]; review `cairn plan` again; nothing was run");
}

bool IsPlanChanged(const Status& status) {
  return status.code() == StatusCode::kFailedPrecondition &&
         std::string_view(status.message()).substr(0, kPlanChanged.size()) == kPlanChanged;
}

}  // namespace cairn::runner

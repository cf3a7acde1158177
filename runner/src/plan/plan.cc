#include "cairn/runner/plan.h"

#include <cctype>

#include "cairn/base/hash.h"
#include "cairn/db/sql_splitter.h"
#include "source/section_text.h"

namespace cairn::runner {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutStr(std::string* out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out->append(s);
}

// str(x) of docs/plans.md.
void PutBytes(std::string* out, std::string_view raw) { out->append(raw); }

// The statements of a section that no parse described (a hand-made Section):
// their count and digest, as the parser computes them.
Status DescribeStatements(const Migration& m, const Section& section, int64_t* count,
                          std::string* sha256) {
  ledger::Sha256Stream digest;
  std::string bytes;
  int64_t n = 0;
  CAIRN_RETURN_IF_ERROR(source::ForEachStatement(m, section, [&](const db::SqlStatement& st) {
    bytes.clear();
    source::AppendStatementBytes(st.text, &bytes);
    digest.Update(bytes);
    ++n;
    return true;
  }));
  *count = n;
  *sha256 = digest.Finish();
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> WalkPlan(std::string_view stream, v1::Direction direction,
                               const std::vector<Migration>& steps, PlanSink* sink) {
  // The bytes of CanonicalPlanBytes, from what the parse recorded of each
  // section (SectionFacts): hashing a plan reads no file.
  std::string bytes("cairn-plan-v2");
  bytes.push_back('\0');
  PutStr(&bytes, stream);
  PutStr(&bytes, direction == v1::DIRECTION_DOWN ? "down" : "up");
  PutU32(&bytes, static_cast<uint32_t>(steps.size()));
  static const std::string kNoStatements = ledger::Sha256("");
  for (const Migration& m : steps) {
    PutStr(&bytes, m.id);
    PutStr(&bytes, m.checksum);
    const Section* section =
        direction == v1::DIRECTION_DOWN ? (m.down ? &*m.down : nullptr) : &m.up;
    int64_t count = 0;
    std::string digest = kNoStatements;
    if (section != nullptr && section->facts.known) {
      count = section->facts.statements;
      digest = section->facts.statements_sha256;
    } else if (section != nullptr) {
      CAIRN_RETURN_IF_ERROR(DescribeStatements(m, *section, &count, &digest));
    }
    PutU32(&bytes, static_cast<uint32_t>(count));
    PutBytes(&bytes, digest);
    if (sink == nullptr) continue;
    PlannedMigration pm;
    pm.id = m.id;
    pm.description = m.description;
    pm.file = m.file;
    pm.checksum = m.checksum;
    pm.has_down = m.down.has_value();
    sink->BeginMigration(pm);
    if (section == nullptr) continue;
    // The statements shown are read back from the same text the parse
    // described (a changed file fails the read).
    CAIRN_RETURN_IF_ERROR(source::ForEachStatement(m, *section, [&](const db::SqlStatement& st) {
      sink->Statement({static_cast<int>(st.line), source::CanonicalStatement(st.text)});
      return true;
    }));
  }
  return ledger::ToHex(ledger::Sha256(bytes));
}

ReviewedPlan MakeReviewedPlan(std::string_view stream, v1::Direction direction,
                              const std::vector<Migration>& steps, bool with_statements) {
  struct Collect : PlanSink {
    ReviewedPlan* plan;
    bool statements;
    void BeginMigration(const PlannedMigration& m) override { plan->migrations.push_back(m); }
    void Statement(const PlannedStatement& s) override {
      if (statements) plan->migrations.back().statements.push_back(s);
    }
  };
  ReviewedPlan plan;
  plan.stream = std::string(stream);
  plan.direction = direction;
  Collect collect;
  collect.plan = &plan;
  collect.statements = with_statements;
  auto hash = WalkPlan(stream, direction, steps, &collect);
  plan.hash = hash.ok() ? *hash : std::string(64, '0');
  return plan;
}

std::string CanonicalPlanBytes(const ReviewedPlan& plan) {
  std::string out("cairn-plan-v2");
  out.push_back('\0');
  PutStr(&out, plan.stream);
  PutStr(&out, plan.direction == v1::DIRECTION_DOWN ? "down" : "up");
  PutU32(&out, static_cast<uint32_t>(plan.migrations.size()));
  for (const PlannedMigration& m : plan.migrations) {
    PutStr(&out, m.id);
    PutStr(&out, m.checksum);
    PutU32(&out, static_cast<uint32_t>(m.statements.size()));
    std::string statements;
    for (const PlannedStatement& s : m.statements) PutStr(&statements, s.text);
    PutBytes(&out, ledger::Sha256(statements));
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
  return FailedPreconditionError("plan changed since review: reviewed plan " +
                                 std::string(expected) + ", current plan " + actual.hash + " [" +
                                 ids + "]; review `cairn plan` again; nothing was run")
      .WithKind(kPlanChanged);
}

}  // namespace cairn::runner

#include "cairn/store/state.h"

#include <algorithm>

#include "cairn/base/hash.h"

namespace cairn::ledger {
namespace {

std::string ActorName(const v1::Actor& a) {
  if (a.host().empty()) return a.user();
  return a.user() + "@" + a.host();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

bool IsRepeatableMigrationId(std::string_view id) { return id.substr(0, 3) == "R__"; }

int CompareMigrationIds(std::string_view a, std::string_view b) {
  if (AllDigits(a) && AllDigits(b)) {
    auto strip = [](std::string_view s) {
      size_t i = 0;
      while (i + 1 < s.size() && s[i] == '0') ++i;
      return s.substr(i);
    };
    std::string_view x = strip(a), y = strip(b);
    if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
    int c = x.compare(y);
    if (c != 0) return c < 0 ? -1 : 1;
    return 0;
  }
  // Dotted versions (Flyway's "1.1", docs/formats.md): component by component
  // as numbers, a missing component counting as 0.
  auto dotted = [](std::string_view s) {
    if (s.empty() || s.front() == '.' || s.back() == '.' || s.find("..") != s.npos) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
  };
  if (dotted(a) && dotted(b)) {
    while (!a.empty() || !b.empty()) {
      size_t da = std::min(a.find('.'), a.size()), db = std::min(b.find('.'), b.size());
      int c = CompareMigrationIds(da == 0 ? "0" : a.substr(0, da), db == 0 ? "0" : b.substr(0, db));
      if (c != 0) return c;
      a.remove_prefix(std::min(da + 1, a.size()));
      b.remove_prefix(std::min(db + 1, b.size()));
    }
    return 0;
  }
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string_view MigrationStatusName(MigrationStatus s) {
  switch (s) {
    case MigrationStatus::kApplied:
      return "applied";
    case MigrationStatus::kRolledBack:
      return "rolled_back";
    case MigrationStatus::kFailed:
      return "failed";
  }
  return "unknown";
}

bool StreamState::IsApplied(const std::string& id) const {
  auto it = migrations.find(id);
  return it != migrations.end() && it->second.status == MigrationStatus::kApplied;
}

std::string StreamState::CurrentVersion() const {
  for (auto it = migrations.rbegin(); it != migrations.rend(); ++it)
    if (it->second.status == MigrationStatus::kApplied && !IsRepeatableMigrationId(it->first))
      return it->first;
  return "";
}

StateBuilder::StateBuilder(std::string stream) {
  state_.stream = std::move(stream);
  state_.head = Head{0, GenesisHash()};
}

BatchProgress& StateBuilder::StartProgress(MigrationRecord& r, v1::Direction direction) {
  BatchProgress& p = r.progress;
  if (!p.active) {
    p.active = true;
    p.direction = direction;
    if (auto it = attempt_.find(r.id); it != attempt_.end()) p.checksum = it->second.first;
  }
  return p;
}

void StateBuilder::Apply(const v1::Event& e) {
  state_.head = Head{e.position(), e.hash()};
  const int64_t at = TimestampToMicros(e.recorded_at());
  // Searches from the newest end: rollbacks revert recent migrations.
  auto remove_applied = [&](const std::string& id) {
    auto& order = state_.applied_order;
    auto it = std::find(order.rbegin(), order.rend(), id);
    if (it != order.rend()) order.erase(std::next(it).base());
  };
  // What the open run is doing (status names an unfinished run's last step).
  RunRecord& run = state_.last_run;
  const bool in_run = !e.run_id().empty() && e.run_id() == run.run_id && run.finished_at == 0;
  auto outcome = [&](const std::string& id) {
    if (!in_run) return;
    ++run.steps_done;
    if (run.current == id) {
      run.current.clear();
      run.current_direction = v1::DIRECTION_UNSPECIFIED;
    }
  };
  switch (e.body_case()) {
    case v1::Event::kRunStarted: {
      ++state_.runs;
      RunRecord fresh;
      fresh.run_id = e.run_id();
      fresh.direction = e.run_started().direction();
      fresh.started_at = at;
      fresh.actor = ActorName(e.actor());
      fresh.mode = e.run_started().mode();
      fresh.planned.assign(e.run_started().planned_migration_ids().begin(),
                           e.run_started().planned_migration_ids().end());
      state_.last_run = std::move(fresh);
      break;
    }
    case v1::Event::kRunFinished:
      if (state_.last_run.run_id == e.run_id()) {
        state_.last_run.finished_at = at;
        state_.last_run.outcome = e.run_finished().outcome();
      }
      break;
    case v1::Event::kMigrationStarted: {
      const auto& m = e.migration_started();
      MigrationRecord& r = state_.migrations[m.migration_id()];
      if (r.id.empty()) {
        r.id = m.migration_id();
        r.status = MigrationStatus::kRolledBack;  // "not applied" until an outcome says otherwise
      }
      // Description and file follow the latest attempt; the checksum is set
      // only when an up direction commits (below), from this pending value.
      r.description = m.description();
      r.file = m.file();
      r.storage_type = m.storage_type();
      if (m.direction() == v1::DIRECTION_UP) pending_checksum_[m.migration_id()] = m.checksum();
      if (!m.resumed()) r.progress = BatchProgress{};
      attempt_[m.migration_id()] = {m.checksum(), m.direction()};
      if (in_run) {
        run.current = m.migration_id();
        run.current_direction = m.direction();
      }
      break;
    }
    case v1::Event::kMigrationCommitted: {
      const auto& m = e.migration_committed();
      MigrationRecord& r = state_.migrations[m.migration_id()];
      const bool was_applied = r.status == MigrationStatus::kApplied && !r.id.empty();
      r.id = m.migration_id();
      r.status = MigrationStatus::kApplied;
      r.applied_at = at;
      r.applied_by = ActorName(e.actor());
      r.applied_run_id = e.run_id();
      r.applied_position = e.position();
      r.duration_micros = m.duration_micros();
      r.baselined = false;
      ++r.times_applied;
      if (auto it = pending_checksum_.find(m.migration_id()); it != pending_checksum_.end()) {
        r.checksum = it->second;
        pending_checksum_.erase(it);
      }
      r.progress = BatchProgress{};
      if (was_applied) remove_applied(r.id);  // keeps replay linear in the stream length
      state_.applied_order.push_back(r.id);
      outcome(r.id);
      break;
    }
    case v1::Event::kMigrationRolledBack: {
      const auto& m = e.migration_rolled_back();
      MigrationRecord& r = state_.migrations[m.migration_id()];
      r.id = m.migration_id();
      r.status = MigrationStatus::kRolledBack;
      r.rolled_back_at = at;
      r.progress = BatchProgress{};
      remove_applied(r.id);
      outcome(r.id);
      break;
    }
    case v1::Event::kMigrationFailed: {
      const auto& m = e.migration_failed();
      MigrationRecord& r = state_.migrations[m.migration_id()];
      r.id = m.migration_id();
      r.last_error = m.error_message();
      r.last_error_line = m.line();
      r.failed_at = at;
      // A failed down leaves the migration applied; a failed up leaves it not applied.
      if (m.direction() != v1::DIRECTION_DOWN && r.status != MigrationStatus::kApplied)
        r.status = MigrationStatus::kFailed;
      pending_checksum_.erase(m.migration_id());
      outcome(r.id);
      break;
    }
    case v1::Event::kMigrationBaselined: {
      const auto& m = e.migration_baselined();
      MigrationRecord& r = state_.migrations[m.migration_id()];
      const bool was_applied = r.status == MigrationStatus::kApplied && !r.id.empty();
      r.id = m.migration_id();
      r.description = m.description();
      r.file = m.file();
      r.checksum = m.checksum();
      r.status = MigrationStatus::kApplied;
      r.baselined = true;
      r.applied_at = at;
      r.applied_by = ActorName(e.actor());
      r.applied_run_id = e.run_id();
      r.applied_position = e.position();
      if (was_applied) remove_applied(r.id);
      state_.applied_order.push_back(r.id);
      break;
    }
    case v1::Event::kChecksumAccepted: {
      const auto& m = e.checksum_accepted();
      auto it = state_.migrations.find(m.migration_id());
      if (it != state_.migrations.end() && it->second.status == MigrationStatus::kApplied)
        it->second.checksum = m.new_checksum();
      break;
    }
    case v1::Event::kBatchApplied: {
      // Folded into the unfinished attempt's progress (docs/data-migrations.md).
      const auto& b = e.batch_applied();
      MigrationRecord& r = state_.migrations[b.migration_id()];
      if (r.id.empty()) {
        r.id = b.migration_id();
        r.status = MigrationStatus::kRolledBack;
      }
      BatchProgress& p = StartProgress(r, b.direction());
      p.cursor[b.loop()] = b.cursor();
      p.rows += b.rows();
      p.batches = b.batch_number();
      break;
    }
    case v1::Event::kStatementsCommitted: {
      // Folded like BatchApplied: the committed part of an unfinished attempt.
      const auto& c = e.statements_committed();
      MigrationRecord& r = state_.migrations[c.migration_id()];
      if (r.id.empty()) {
        r.id = c.migration_id();
        r.status = MigrationStatus::kRolledBack;
      }
      BatchProgress& p = StartProgress(r, c.direction());
      p.statements = c.statements_done();
      if (c.phase() == v1::STATEMENT_PHASE_INTENT) {
        p.intent = c.statement();
        p.intent_line = c.line();
      } else {
        p.intent.clear();
        p.intent_line = 0;
      }
      break;
    }
    case v1::Event::kBackupRestored:
    case v1::Event::BODY_NOT_SET:
      break;
  }
}

}  // namespace cairn::ledger

// StateBuilder::RestoreSnapshot reads the wire format by hand
// (ledger/src/store/snapshot.cc) while SerializeSnapshot uses the generated code.
// These tests hold the hand-written decoder to protobuf's own parser: on
// snapshots with every field set, with unknown fields, and on corrupted bytes.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/unknown_field_set.h>
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>

#include "cairn/store/state.h"
#include "cairn/v1/snapshot.pb.h"

namespace cairn {
namespace {

using ledger::StateBuilder;

std::string RandomText(std::mt19937_64& rng, size_t max_len) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789_:@ -";
  std::string s(rng() % (max_len + 1), ' ');
  for (char& c : s) c = kChars[rng() % (sizeof kChars - 1)];
  return s;
}

int64_t RandomNumber(std::mt19937_64& rng) {
  switch (rng() % 4) {
    case 0:
      return 0;
    case 1:
      return static_cast<int64_t>(rng() % 1000);
    case 2:
      return -static_cast<int64_t>(rng() % 1000);  // ten-byte varints
    default:
      return static_cast<int64_t>(rng());
  }
}

// A snapshot with every field set, as a newer or older writer might order it:
// the generated serializer writes fields in number order.
v1::StateSnapshot RandomSnapshot(uint64_t seed, int migrations) {
  std::mt19937_64 rng(seed);
  v1::StateSnapshot s;
  s.set_replay_version(ledger::kReplayVersion);
  s.set_stream(RandomText(rng, 20));
  s.set_position(1 + rng() % 100000);
  s.set_head_hash(std::string(32, static_cast<char>(rng() % 256)));
  for (int i = 0; i < migrations; ++i) {
    v1::MigrationStateSnapshot* m = s.add_migrations();
    char id[16];
    std::snprintf(id, sizeof id, "%05d", i + 1);
    m->set_id(id);
    m->set_description(RandomText(rng, 40));
    m->set_checksum("sha256:" + RandomText(rng, 64));
    m->set_file(std::string(id) + "_" + RandomText(rng, 30) + ".sql");
    m->set_storage_type(static_cast<v1::StorageType>(rng() % 4));
    m->set_status(static_cast<int32_t>(rng() % 3));
    m->set_applied_at(RandomNumber(rng));
    m->set_rolled_back_at(RandomNumber(rng));
    m->set_applied_by(RandomText(rng, 20));
    m->set_applied_run_id(RandomText(rng, 36));
    m->set_applied_position(RandomNumber(rng));
    m->set_duration_micros(RandomNumber(rng));
    m->set_times_applied(static_cast<int32_t>(RandomNumber(rng)));
    m->set_last_error(RandomText(rng, 80));
    m->set_last_error_line(static_cast<int32_t>(RandomNumber(rng)));
    m->set_failed_at(RandomNumber(rng));
    m->set_baselined(rng() % 2 == 0);
    v1::BatchProgressSnapshot* p = m->mutable_progress();
    p->set_active(rng() % 2 == 0);
    p->set_direction(static_cast<v1::Direction>(rng() % 3));
    p->set_checksum(RandomText(rng, 71));
    for (int c = 0, n = static_cast<int>(rng() % 3); c < n; ++c) {
      v1::LoopCursor* cursor = p->add_cursors();
      cursor->set_loop(c);
      cursor->set_cursor(RandomText(rng, 12));
    }
    p->set_rows(RandomNumber(rng));
    p->set_batches(RandomNumber(rng));
    if (rng() % 2 == 0) s.add_applied_order(id);
    if (rng() % 4 == 0) {
      v1::PendingChecksum* pc = s.add_pending_checksums();
      pc->set_migration_id(id);
      pc->set_checksum("sha256:" + RandomText(rng, 64));
    }
    v1::AttemptSnapshot* a = s.add_attempts();
    a->set_migration_id(id);
    a->set_checksum("sha256:" + RandomText(rng, 64));
    a->set_direction(static_cast<v1::Direction>(rng() % 3));
  }
  s.set_runs(RandomNumber(rng));
  v1::RunStateSnapshot* run = s.mutable_last_run();
  run->set_run_id(RandomText(rng, 36));
  run->set_direction(v1::DIRECTION_DOWN);
  run->set_started_at(RandomNumber(rng));
  run->set_finished_at(RandomNumber(rng));
  run->set_outcome(static_cast<v1::RunOutcome>(rng() % 5));
  run->set_actor(RandomText(rng, 20));
  return s;
}

// Adds `field` with varint, length-delimited and fixed wire types to `m`.
void AddUnknownFields(google::protobuf::Message* m, int field) {
  google::protobuf::UnknownFieldSet* u = m->GetReflection()->MutableUnknownFields(m);
  u->AddVarint(field, 300);
  u->AddLengthDelimited(field + 1, "not a field this cairn knows");
  u->AddFixed32(field + 2, 7);
  u->AddFixed64(field + 3, 8);
}

// Expects `restored` to hold exactly what protobuf's parser read into `want`.
void ExpectSameState(const v1::StateSnapshot& want, const StateBuilder& restored) {
  const ledger::StreamState& st = restored.state();
  EXPECT_EQ(st.stream, want.stream());
  EXPECT_EQ(st.head.position, want.position());
  EXPECT_EQ(st.head.hash, want.head_hash());
  EXPECT_EQ(st.runs, want.runs());
  // Duplicate ids (only corrupted bytes have them): the first one counts.
  std::set<std::string, ledger::MigrationIdLess> seen;
  for (const v1::MigrationStateSnapshot& m : want.migrations()) {
    if (!seen.insert(m.id()).second) continue;
    auto it = st.migrations.find(m.id());
    ASSERT_NE(it, st.migrations.end()) << m.id();
    const ledger::MigrationRecord& r = it->second;
    SCOPED_TRACE("migration " + m.id());
    EXPECT_EQ(r.id, m.id());
    EXPECT_EQ(r.description, m.description());
    EXPECT_EQ(r.checksum, m.checksum());
    EXPECT_EQ(r.file, m.file());
    EXPECT_EQ(r.storage_type, m.storage_type());
    EXPECT_EQ(static_cast<int32_t>(r.status), m.status());
    EXPECT_EQ(r.applied_at, m.applied_at());
    EXPECT_EQ(r.rolled_back_at, m.rolled_back_at());
    EXPECT_EQ(r.applied_by, m.applied_by());
    EXPECT_EQ(r.applied_run_id, m.applied_run_id());
    EXPECT_EQ(r.applied_position, m.applied_position());
    EXPECT_EQ(r.duration_micros, m.duration_micros());
    EXPECT_EQ(r.times_applied, m.times_applied());
    EXPECT_EQ(r.last_error, m.last_error());
    EXPECT_EQ(r.last_error_line, m.last_error_line());
    EXPECT_EQ(r.failed_at, m.failed_at());
    EXPECT_EQ(r.baselined, m.baselined());
    EXPECT_EQ(r.progress.active, m.progress().active());
    EXPECT_EQ(r.progress.direction, m.progress().direction());
    EXPECT_EQ(r.progress.checksum, m.progress().checksum());
    std::map<int32_t, std::string> cursors;  // a later cursor of the same loop wins
    for (const v1::LoopCursor& c : m.progress().cursors()) cursors[c.loop()] = c.cursor();
    EXPECT_EQ(r.progress.cursor, cursors);
    EXPECT_EQ(r.progress.rows, m.progress().rows());
    EXPECT_EQ(r.progress.batches, m.progress().batches());
  }
  EXPECT_EQ(st.migrations.size(), seen.size());
  ASSERT_EQ(st.applied_order.size(), static_cast<size_t>(want.applied_order_size()));
  for (int i = 0; i < want.applied_order_size(); ++i)
    EXPECT_EQ(st.applied_order[i], want.applied_order(i));
  EXPECT_EQ(st.last_run.run_id, want.last_run().run_id());
  EXPECT_EQ(st.last_run.direction, want.last_run().direction());
  EXPECT_EQ(st.last_run.started_at, want.last_run().started_at());
  EXPECT_EQ(st.last_run.finished_at, want.last_run().finished_at());
  EXPECT_EQ(st.last_run.outcome, want.last_run().outcome());
  EXPECT_EQ(st.last_run.actor, want.last_run().actor());
}

TEST(SnapshotCodecTest, EveryFieldSurvivesTheRoundTrip) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const v1::StateSnapshot want = RandomSnapshot(seed, 50);
    const std::string bytes = want.SerializeAsString();
    auto restored = StateBuilder::RestoreSnapshot(bytes);
    ASSERT_TRUE(restored.ok()) << restored.status().ToString();
    ExpectSameState(want, *restored);
    // Pending checksums and attempts are not visible in the state; they are
    // in the re-serialized bytes, which are the generated serializer's too.
    EXPECT_EQ(restored->SerializeSnapshot(), bytes);
  }
}

TEST(SnapshotCodecTest, UnknownFieldsAtEveryLevelAreSkipped) {
  const v1::StateSnapshot want = RandomSnapshot(7, 10);
  v1::StateSnapshot extended = want;
  AddUnknownFields(&extended, 90);
  for (auto& m : *extended.mutable_migrations()) {
    AddUnknownFields(&m, 90);
    AddUnknownFields(m.mutable_progress(), 90);
    for (auto& c : *m.mutable_progress()->mutable_cursors()) AddUnknownFields(&c, 90);
  }
  AddUnknownFields(extended.mutable_last_run(), 90);
  for (auto& a : *extended.mutable_attempts()) AddUnknownFields(&a, 90);
  for (auto& p : *extended.mutable_pending_checksums()) AddUnknownFields(&p, 90);
  const std::string bytes = extended.SerializeAsString();
  ASSERT_GT(bytes.size(), want.SerializeAsString().size());
  auto restored = StateBuilder::RestoreSnapshot(bytes);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  ExpectSameState(want, *restored);
  EXPECT_EQ(restored->SerializeSnapshot(), want.SerializeAsString());
}

TEST(SnapshotCodecTest, OtherReplayRulesAndUnknownStatusesAreRefused) {
  v1::StateSnapshot s = RandomSnapshot(3, 5);
  s.set_replay_version(ledger::kReplayVersion + 1);
  auto other = StateBuilder::RestoreSnapshot(s.SerializeAsString());
  EXPECT_EQ(other.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(other.status().message().find("replay rules version"), std::string::npos);
  s.set_replay_version(ledger::kReplayVersion);
  s.mutable_migrations(2)->set_status(7);
  auto unknown = StateBuilder::RestoreSnapshot(s.SerializeAsString());
  EXPECT_EQ(unknown.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(unknown.status().message().find("unknown migration status"), std::string::npos);
}

// Every prefix, and seeded random byte changes: the decoder never crashes,
// and whenever protobuf's parser accepts the bytes, the decoder reads the same.
TEST(SnapshotCodecTest, CorruptedBytesFailCleanlyOrDecodeLikeProtobuf) {
  const std::string valid = RandomSnapshot(11, 8).SerializeAsString();
  google::protobuf::LogSilencer quiet;  // the reference parser logs every bad UTF-8 string
  int agreed = 0, refused = 0;
  auto check = [&](const std::string& bytes) {
    auto restored = StateBuilder::RestoreSnapshot(bytes);
    v1::StateSnapshot reference;
    const bool parsed = reference.ParseFromString(bytes);
    bool usable = parsed && reference.replay_version() == ledger::kReplayVersion;
    for (const auto& m : reference.migrations())
      usable = usable && m.status() >= 0 && m.status() <= 2;
    if (!restored.ok()) {
      EXPECT_EQ(restored.status().code(), StatusCode::kDataLoss);
      EXPECT_FALSE(usable) << "protobuf reads bytes the decoder refused: "
                           << restored.status().ToString();
      ++refused;
      return;
    }
    if (usable) {
      ExpectSameState(reference, *restored);
      ++agreed;
    }
  };
  for (size_t n = 0; n < valid.size(); ++n) check(valid.substr(0, n));
  std::mt19937_64 rng(20261121);
  for (int i = 0; i < 3000; ++i) {
    std::string bytes = valid;
    for (int k = 0, changes = 1 + static_cast<int>(rng() % 3); k < changes; ++k)
      bytes[rng() % bytes.size()] = static_cast<char>(rng() % 256);
    check(bytes);
  }
  // Both outcomes occurred, so the comparison above was exercised.
  EXPECT_GT(agreed, 100);
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace cairn

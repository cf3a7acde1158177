// cairn forward and target identity (docs/ledger-format.md, "Target
// identity"): two targets whose streams share a name are told apart in one
// central ledger, and so is a copy of a target; the refusal names both, and
// `forward --as NAME` forwards the other one under another name, verified,
// resumable and idempotent. A renamed target is still itself.
#include <gmock/gmock.h>

#include <filesystem>

#include "cairn/store/identity.h"
#include "tests/ledger/ledger_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;

class ForwardIdentityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    central_ = TestDatabase::Create(db::Backend::kPostgres);
    if (!central_) return;
    WriteFile(dir_.File("0001_a.sql"), "-- cairn:up\nCREATE TABLE a (id INTEGER);\n");
    WriteFile(dir_.File("0002_b.sql"), "-- cairn:up\nCREATE TABLE b (id INTEGER);\n");
    prod_ = Migrated("prod.db");
  }

  // A new SQLite target in files_ migrated (stream campus) with dir_.
  std::string Migrated(const std::string& file) {
    const std::string url = "sqlite:" + files_.File(file);
    ProcessResult r = Cairn(url, {"--stream", "campus", "migrate"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return url;
  }
  ProcessResult Cairn(const std::string& url, std::vector<std::string> args) {
    return RunCairn(url, dir_.path(), args);
  }
  ProcessResult Forward(const std::string& url, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"forward", "--to", central_->url()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Cairn(url, args);
  }
  std::string TargetId(const std::string& url) {
    auto conn = db::Connection::Open(*db::ParseDatabaseUrl(url));
    EXPECT_TRUE(conn.ok());
    auto store = ledger::LedgerStore::For(**conn);
    auto id = ledger::ReadTargetId(*store);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }
  // Verifies `stream` in the central ledger; returns its head position.
  int64_t CentralVerified(const std::string& stream) {
    auto conn = central_->Connect();
    auto store = ledger::LedgerStore::For(*conn);
    auto report = store->Verify(stream);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    if (!report.ok()) return -1;
    EXPECT_TRUE(report->ok) << stream << ": " << report->problem;
    return report->head.position;
  }

  std::unique_ptr<TestDatabase> central_;
  TempDir dir_, files_;
  std::string prod_;
};

TEST_F(ForwardIdentityTest, AnotherTargetWithTheSameStreamNameIsRefusedAndAsForwardsIt) {
  if (!central_) return;
  const std::string staging = Migrated("staging.db");
  ASSERT_NE(TargetId(prod_), TargetId(staging));
  ProcessResult r = Forward(prod_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t prod_head = CentralVerified("campus");
  ASSERT_GT(prod_head, 0);

  r = Forward(staging);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr("stream 'campus' of the central ledger comes from target " +
                               TargetId(prod_) + " (" + prod_ + ")"));
  EXPECT_THAT(r.err, HasSubstr(staging + " is another target, " + TargetId(staging)));
  EXPECT_THAT(r.err, HasSubstr("`forward --stream campus --as NAME`"));
  EXPECT_EQ(CentralVerified("campus"), prod_head) << "nothing of staging went in";

  r = Forward(staging, {"--as", "campus_staging", "--batch", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("forwarded " + std::to_string(prod_head) +
                               " new record(s) as campus_staging"));
  EXPECT_EQ(CentralVerified("campus_staging"), prod_head);
  // Again: nothing new; then new events at staging: only those go.
  r = Forward(staging, {"--as", "campus_staging"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("forwarded 0 new record(s)"));
  WriteFile(dir_.File("0003_c.sql"), "-- cairn:up\nCREATE TABLE c (id INTEGER);\n");
  ASSERT_EQ(Cairn(staging, {"migrate"}).exit_code, 0);
  r = Forward(staging, {"--as", "campus_staging"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(CentralVerified("campus_staging"), prod_head);
  // prod still forwards under its own name; staging's old name stays refused.
  ASSERT_EQ(Cairn(prod_, {"migrate"}).exit_code, 0);
  r = Forward(prod_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_GT(CentralVerified("campus"), prod_head);
  EXPECT_EQ(Forward(staging).exit_code, 3);
  // --as names one stream.
  EXPECT_EQ(Forward(staging, {"--as", "x", "--all-streams"}).exit_code, 2);
}

TEST_F(ForwardIdentityTest, ACopyIsToldFromTheOriginalAndARenameIsNot) {
  if (!central_) return;
  ProcessResult r = Forward(prod_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string prod_path = files_.File("prod.db");
  const std::string copy_path = files_.File("staging.db");
  std::filesystem::copy_file(prod_path, copy_path);
  const std::string copy = "sqlite:" + copy_path;
  ASSERT_EQ(TargetId(copy), TargetId(prod_)) << "a byte copy carries the target id";

  r = Forward(copy);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_THAT(r.err, HasSubstr(copy + " holds the same target id in another place"));
  EXPECT_THAT(r.err, HasSubstr("a copy of that target, or the target itself moved"));
  // The copy diverges; under another name it forwards (its event ids are
  // the original's, so it needs --as to be stored at all).
  WriteFile(dir_.File("0003_c.sql"), "-- cairn:up\nCREATE TABLE c (id INTEGER);\n");
  ASSERT_EQ(Cairn(copy, {"migrate"}).exit_code, 0);
  r = Forward(copy, {"--as", "campus_copy"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CentralVerified("campus_copy");

  // mv prod.db: the same file, another name: still the original.
  const std::string moved_path = files_.File("prod-renamed.db");
  std::filesystem::rename(prod_path, moved_path);
  ASSERT_EQ(Cairn("sqlite:" + moved_path, {"migrate"}).exit_code, 0);
  r = Forward("sqlite:" + moved_path);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("stream campus: forwarded "));
  CentralVerified("campus");
}

TEST_F(ForwardIdentityTest, AnOlderBackupRestoredInPlaceThatDivergedIsAnotherHistory) {
  if (!central_) return;
  const std::string path = files_.File("prod.db");
  const std::string backup = ReadFileOrDie(path);
  WriteFile(dir_.File("0003_c.sql"), "-- cairn:up\nCREATE TABLE c (id INTEGER);\n");
  ASSERT_EQ(Cairn(prod_, {"migrate"}).exit_code, 0);
  ProcessResult r = Forward(prod_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int64_t head = CentralVerified("campus");
  // The backup written back over the same file (same inode: the same target
  // in the same place), then another migration: a history that forks from
  // what the central ledger holds.
  WriteFile(path, backup);
  WriteFile(dir_.File("0003_c.sql"), "-- cairn:up\nCREATE TABLE c2 (id INTEGER);\n");
  ASSERT_EQ(Cairn(prod_, {"migrate"}).exit_code, 0);
  r = Forward(prod_);
  EXPECT_EQ(r.exit_code, 5) << r.err;
  EXPECT_THAT(r.err, HasSubstr("the central ledger holds a different event there "
                               "(another history under the same name)"));
  EXPECT_EQ(CentralVerified("campus"), head);
}

TEST_F(ForwardIdentityTest, ACentralStreamForwardedBeforeOriginsGetsOneAtItsNextForward) {
  if (!central_) return;
  // As an older cairn forwarded it: the records, and no origin row.
  {
    auto source = db::Connection::Open(*db::ParseDatabaseUrl(prod_));
    ASSERT_TRUE(source.ok());
    auto from = ledger::LedgerStore::For(**source);
    auto conn = central_->Connect();
    auto central = ledger::LedgerStore::For(*conn);
    CAIRN_ASSERT_OK(central->EnsureSchema());
    CAIRN_ASSERT_OK_AND_ASSIGN(auto tx, conn->Begin());
    Status imported;
    CAIRN_ASSERT_OK(from->ReadRecords("campus", 1, 0, [&](const ledger::StoredRecord& r) {
      imported = central->Import(*tx, r).status();
      return imported.ok();
    }));
    CAIRN_ASSERT_OK(imported);
    CAIRN_ASSERT_OK(tx->Commit());
    CAIRN_ASSERT_OK_AND_ASSIGN(auto origin, ledger::ReadStreamOrigin(*central, "campus"));
    ASSERT_FALSE(origin.known());
  }
  ProcessResult r = Forward(prod_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("forwarded 0 new record(s)"));
  auto conn = central_->Connect();
  auto central = ledger::LedgerStore::For(*conn);
  CAIRN_ASSERT_OK_AND_ASSIGN(auto origin, ledger::ReadStreamOrigin(*central, "campus"));
  EXPECT_EQ(origin.target_id, TargetId(prod_));
  EXPECT_EQ(origin.url, prod_);
  EXPECT_THAT(origin.location, ::testing::StartsWith("file:"));
  EXPECT_EQ(Forward(Migrated("staging.db")).exit_code, 3);
}

TEST_F(ForwardIdentityTest, ASourceWithoutALedgerHasNothingToForward) {
  if (!central_) return;
  WriteFile(files_.File("empty.db"), "");  // an empty file is an empty SQLite database
  ProcessResult r = Forward("sqlite:" + files_.File("empty.db"));
  EXPECT_EQ(r.exit_code, 18) << r.err;
  EXPECT_THAT(r.err, HasSubstr("no ledger in sqlite:"));
  EXPECT_THAT(r.err, HasSubstr(": nothing to forward"));
  // A source that does not exist at all is not created: exit 4 naming it.
  r = Forward("sqlite:" + files_.File("missing.db"));
  EXPECT_EQ(r.exit_code, 4) << r.err;
  EXPECT_THAT(r.err, HasSubstr("missing.db' does not exist"));
  EXPECT_FALSE(std::filesystem::exists(files_.File("missing.db")));
}

}  // namespace
}  // namespace cairn::testing

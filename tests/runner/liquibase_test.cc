// Liquibase changelogs read as Liquibase 4.x reads them (docs/formats.md,
// "Liquibase"), end to end through the cairn binary on both backends: the
// shop folder (tests/runner/liquibase/shop, a YAML master changelog including
// formatted SQL files) applied and rolled back, DATABASECHANGELOG filled as
// Liquibase fills it (its columns, its MD5SUMs) adopted, and the files
// Liquibase rejects rejected by cairn. The expected checksums and schemas were
// produced by the real Liquibase 4.28 (scripts/liquibase-oracle.sh runs it on
// the same folder and compares; its result is in docs/formats.md).
#include "runner/src/formats/liquibase.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <filesystem>

#include "tests/runner/runner_test_util.h"

namespace cairn::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

const std::string kShop = std::string(CAIRN_SOURCE_DIR) + "/tests/runner/liquibase/shop";

// The rows Liquibase 4.28 wrote for the shop folder (ID, AUTHOR, FILENAME,
// MD5SUM), in ORDEREXECUTED order; dave:ignored (ignore:true) has none.
struct Row {
  const char* id;
  const char* author;
  const char* filename;
  const char* md5sum;
};
const Row kShopRows[] = {
    {"create-accounts", "alice", "changes/001-schema.sql", "9:0cf03571c4e21cae958ec666fa119d4b"},
    {"create-orders", "alice", "changes/001-schema.sql", "9:301ebb0e896b3e9bd68716eff40ed201"},
    {"seed-accounts", "bob", "changes/001-schema.sql", "9:6abde1b7d78c02b2f45566893c49d579"},
    {"orders-index", "bob", "changes/001-schema.sql", "9:2d25c3d97c87fd3ec670a2a2a263143d"},
    {"1", "carol", "shop/more.sql", "9:4db1b6145c01174424b98a774f9e413c"},
    {"2", "carol", "shop/more.sql", "9:fd32500d4ac8bb32653f6baed2aa961e"},
    {"3", "carol", "shop/more.sql", "9:357569a9170cb16176e3c95edfbeb041"},
    {"tags", "dave", "shop/more.sql", "9:a0c215d63d9abdbf79112e245646604f"},
    {"tag-index", "dave", "shop/more.sql", "9:093d7f1208262a5188585b766a7c5ee0"},
    {"notes", "eve", "changes/later/010-notes.sql", "9:b4ea5671044484dcbbf514971d7d4515"},
    {"notes-data", "eve", "changes/later/010-notes.sql", "9:1ccea56a63ef50f7d27b84ee5cd592a2"},
    {"archive", "eve", "changes/later/020-archive.sql", "9:43b8931b5d6b91c19833aea6ff55e643"},
};

TEST(RunnerLiquibaseChecksumTest, ChecksumsAreLiquibases) {
  using runner::internal::LiquibaseCheckSum;
  // Each recorded by Liquibase 4.28 for a changeset of that SQL.
  EXPECT_EQ(LiquibaseCheckSum("CREATE TABLE t1 (id integer primary key, name text);"),
            "9:0f697fb57a6a69e7217cfe0b8db116d9");
  EXPECT_EQ(LiquibaseCheckSum("-- a comment\nCREATE TABLE t2 (id integer);\nINSERT INTO t2 VALUES "
                              "(1);"),
            "9:ccb5a01e818d0efa07f1a571c1898b8a");
  EXPECT_EQ(LiquibaseCheckSum("CREATE TABLE raw1 (id int);"), "9:0201bf4eb885766f2c6adb52b34ea9a8");
  // Blanks, tabs and line ends do not count; any other change does.
  EXPECT_EQ(LiquibaseCheckSum("CREATE  TABLE\tt1 (id integer\r\nprimary key, name text);"),
            "9:0f697fb57a6a69e7217cfe0b8db116d9");
  EXPECT_NE(LiquibaseCheckSum("create table t1 (id integer primary key, name text);"),
            "9:0f697fb57a6a69e7217cfe0b8db116d9");
}

TEST(RunnerLiquibaseChecksumTest, ShopFolderChecksumsAreTheOnesLiquibaseRecorded) {
  std::vector<runner::Migration> migrations;
  auto changesets = runner::internal::ReadLiquibase(kShop, &migrations);
  ASSERT_TRUE(changesets.ok()) << changesets.status().ToString();
  std::vector<std::string> got, want;
  for (const auto& c : *changesets)
    if (!c.ignored) got.push_back(c.path + "::" + c.id + "::" + c.author + " " + c.md5sum);
  for (const Row& r : kShopRows)
    want.push_back(std::string(r.filename) + "::" + r.id + "::" + r.author + " " + r.md5sum);
  EXPECT_EQ(got, want);
  // One migration per changeset run, numbered by position (dave:ignored is 8).
  ASSERT_EQ(migrations.size(), 12u);
  EXPECT_EQ(migrations[7].id, "9");
  EXPECT_EQ(migrations[7].name, "tags");
  EXPECT_TRUE(migrations[3].no_transaction);  // runInTransaction:false
  EXPECT_FALSE(migrations[2].no_transaction);
  ASSERT_TRUE(migrations[7].down.has_value());  // "--rollback not required": a no-op
  EXPECT_EQ(migrations[7].down->facts.statements, 0);
  EXPECT_EQ(migrations[6].up.facts.statements, 2);  // endDelimiter:GO
}

// The statements Liquibase 4.28 sent for these changesets (its update-sql).
TEST(RunnerLiquibaseChecksumTest, StatementsAreCutAsLiquibaseCutsThem) {
  using runner::internal::LiquibaseStatementsOf;
  auto cut = LiquibaseStatementsOf(
      "SELECT 'a;b' AS x;\nSELECT 1\ngo\nSELECT 2\n/\nSELECT 'C:\\' AS p; SELECT 3;", true,
      std::nullopt);
  ASSERT_TRUE(cut.ok()) << cut.status().ToString();
  EXPECT_THAT(*cut, ::testing::ElementsAre("SELECT 'a;b' AS x", "SELECT 1", "SELECT 2",
                                           "SELECT 'C:\\' AS p", "SELECT 3"));
  cut = LiquibaseStatementsOf("SELECT 4; -- BEGIN\nSELECT 5;", true, std::nullopt);
  ASSERT_TRUE(cut.ok());
  EXPECT_THAT(*cut, ::testing::ElementsAre("SELECT 4", "-- BEGIN\nSELECT 5"));
  // A trigger body stays whole ...
  cut = LiquibaseStatementsOf(
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  INSERT INTO u VALUES (1);\n  INSERT INTO u "
      "VALUES (2);\nEND;\nSELECT 6;",
      true, std::nullopt);
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(cut->size(), 2u);
  // ... unless a CASE's END closes it for Liquibase, which then sends
  // "CREATE TRIGGER ... END", "INSERT ...", "END": refused.
  cut = LiquibaseStatementsOf(
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET v = CASE WHEN v > 0 THEN 1 "
      "ELSE 0 END;\n  INSERT INTO u VALUES (1);\nEND;",
      true, std::nullopt);
  EXPECT_THAT(cut.status().message(), HasSubstr("inside a BEGIN ... END block"));
  cut = LiquibaseStatementsOf("DO $$ BEGIN IF true THEN PERFORM 1; END IF; PERFORM 2; END $$;",
                              true, std::nullopt);
  EXPECT_THAT(cut.status().message(), HasSubstr("inside a BEGIN ... END block"));
  // splitStatements:false sends the whole; endDelimiter:GO cuts only there.
  cut = LiquibaseStatementsOf("SELECT 1; SELECT 2;", false, std::nullopt);
  ASSERT_TRUE(cut.ok());
  EXPECT_THAT(*cut, ::testing::ElementsAre("SELECT 1; SELECT 2;"));
  cut = LiquibaseStatementsOf("SELECT 1; SELECT 2\nGO\nSELECT 3\nGO", true, "GO");
  ASSERT_TRUE(cut.ok());
  EXPECT_THAT(*cut, ::testing::ElementsAre("SELECT 1; SELECT 2", "SELECT 3"));
}

class RunnerLiquibaseTest : public ::testing::TestWithParam<db::Backend> {
 protected:
  void SetUp() override {
    tdb_ = TestDatabase::Create(GetParam());
    pg_ = GetParam() == db::Backend::kPostgres;
    fs::copy(kShop, Dir(), fs::copy_options::recursive);
  }
  std::string Dir() const { return dir_.path() + "/shop"; }
  ProcessResult Cairn(const std::vector<std::string>& args) {
    return RunCairn(tdb_->url(), Dir(), args);
  }
  int64_t Count(const std::string& sql) {
    auto conn = tdb_->Connect();
    auto rows = conn->Query(sql);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0][0].AsInt() : -1;
  }
  std::vector<std::string> UserTables() {
    std::vector<std::string> out;
    for (const std::string& t : AllTables(*tdb_))
      if (t.rfind("cairn", 0) != 0 && t != "DATABASECHANGELOG" && t != "databasechangelog" &&
          t != "big_orders")  // PostgreSQL lists the view as a table
        out.push_back(t);
    return out;
  }
  // DATABASECHANGELOG as Liquibase creates it, with the first `n` rows
  // Liquibase wrote for the shop folder, and those changesets' objects.
  void FillAsLiquibase(size_t n) {
    ExecScript(*tdb_,
               std::string("CREATE TABLE DATABASECHANGELOG (ID VARCHAR(255) NOT NULL, AUTHOR "
                           "VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED ") +
                   (pg_ ? "TIMESTAMP WITHOUT TIME ZONE" : "TEXT") +
                   " NOT NULL, ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, "
                   "MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG "
                   "VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS "
                   "VARCHAR(255), DEPLOYMENT_ID VARCHAR(10));\n"
                   "CREATE TABLE accounts (id integer PRIMARY KEY, email varchar(200) NOT NULL, "
                   "created_at timestamp);\n"
                   "CREATE UNIQUE INDEX accounts_email ON accounts (email);\n"
                   "CREATE TABLE orders (id integer PRIMARY KEY, account_id integer REFERENCES "
                   "accounts (id), total numeric(10, 2));\n"
                   "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com');\n"
                   "INSERT INTO accounts (id, email) VALUES (2, 'b;c@example.com');\n");
    auto conn = tdb_->Connect();
    for (size_t i = 0; i < n; ++i) {
      const Row& r = kShopRows[i];
      auto s = conn->Execute(
          "INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, "
          "EXECTYPE, MD5SUM, DESCRIPTION, LIQUIBASE, DEPLOYMENT_ID) VALUES ($1, $2, $3, "
          "'2024-05-06 07:08:09', $4, 'EXECUTED', $5, 'sql', '4.28.0', '5065270218')",
          {db::Value(std::string(r.id)), db::Value(std::string(r.author)),
           db::Value(std::string(r.filename)), db::Value(static_cast<int64_t>(i + 1)),
           db::Value(std::string(r.md5sum))});
      ASSERT_TRUE(s.ok()) << s.status().ToString();
    }
  }
  std::unique_ptr<TestDatabase> tdb_;
  bool pg_ = false;
  TempDir dir_;
};

TEST_P(RunnerLiquibaseTest, ShopFolderAppliesAndRollsBackAsLiquibaseDoes) {
  // Recognised without --format: a YAML databaseChangeLog at the top.
  ProcessResult m = Cairn({"migrate"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  // What Liquibase 4.28 leaves (scripts/liquibase-oracle.sh compares the two).
  EXPECT_THAT(UserTables(), ::testing::UnorderedElementsAre("accounts", "orders", "audit_log",
                                                            "tags", "notes", "archived_orders"));
  EXPECT_EQ(Count("SELECT count(*) FROM accounts WHERE email = 'b;c@example.com'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM audit_log WHERE note = 'created'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM notes WHERE body = 'it''s done; really'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM notes WHERE body = '-- not a comment'"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM big_orders"), 0);  // the view exists
  ProcessResult s = Cairn({"status"});
  EXPECT_THAT(s.out, HasSubstr("0 pending")) << s.out;
  EXPECT_THAT(s.out, HasSubstr("accounts of the shop")) << s.out;  // its --comment
  EXPECT_THAT(s.out, HasSubstr("alice:create-orders")) << s.out;

  ProcessResult r = Cairn({"rollback", "--to", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // dave:tags's rollback is "not required": the table stays, as with Liquibase.
  EXPECT_THAT(UserTables(), ::testing::ElementsAre("tags"));
}

TEST_P(RunnerLiquibaseTest, AdoptsDatabaseChangelogThenMigratesTheRest) {
  FillAsLiquibase(4);
  ProcessResult a = Cairn({"--format", "liquibase", "adopt"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.out + a.err, HasSubstr("adopted 4 migration(s) from liquibase"));
  auto baselined = EventsOf(History(*tdb_, Dir()), "migration_baselined");
  ASSERT_EQ(baselined.size(), 4u);
  EXPECT_EQ(baselined[0]["migration_id"], "1");
  EXPECT_EQ(baselined[3]["original_checksum"], "liquibase:9:2d25c3d97c87fd3ec670a2a2a263143d");
  ProcessResult again = Cairn({"--format", "liquibase", "adopt"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out + again.err, HasSubstr("nothing to adopt"));

  // migrate runs exactly the rest: seed-accounts again would break the
  // unique email index, create-accounts again the existing table.
  ProcessResult m = Cairn({"--format", "liquibase", "migrate"});
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_EQ(Count("SELECT count(*) FROM accounts"), 2);
  EXPECT_EQ(Count("SELECT count(*) FROM notes"), 2);
  EXPECT_THAT(Cairn({"--format", "liquibase", "status"}).out, HasSubstr("0 pending"));
}

TEST_P(RunnerLiquibaseTest, AChangedChangesetIsRefusedUnlessItsOldChecksumIsValid) {
  FillAsLiquibase(4);
  const std::string file = Dir() + "/changes/001-schema.sql";
  std::string text = ReadFileOrDie(file);
  const std::string from = "INSERT INTO accounts (id, email) VALUES (1, 'a@example.com');";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(),
               "INSERT INTO accounts (id, email) VALUES (1, 'A@example.com');");
  WriteFile(file, text);
  ProcessResult a = Cairn({"--format", "liquibase", "adopt"});
  EXPECT_EQ(a.exit_code, 20) << a.err;
  EXPECT_THAT(a.err, HasSubstr("changes/001-schema.sql::seed-accounts::bob changed since "
                               "Liquibase ran it (MD5SUM 9:6abde1b7d78c02b2f45566893c49d579"));
  EXPECT_EQ(EventsOf(History(*tdb_, Dir()), "migration_baselined").size(), 0u);
  // --validCheckSum names the checksum Liquibase recorded: accepted, as by Liquibase.
  text.replace(text.find("--changeset bob:seed-accounts\n"), 30,
               "--changeset bob:seed-accounts\n--validCheckSum: "
               "9:6abde1b7d78c02b2f45566893c49d579\n");
  WriteFile(file, text);
  ProcessResult ok = Cairn({"--format", "liquibase", "adopt"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

TEST_P(RunnerLiquibaseTest, ARowWithoutItsChangesetIsRefused) {
  FillAsLiquibase(2);
  ExecScript(*tdb_,
             "INSERT INTO DATABASECHANGELOG (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, "
             "EXECTYPE, MD5SUM) VALUES ('gone', 'zed', 'changes/old.sql', '2024-05-06 07:08:09', "
             "3, 'EXECUTED', '9:00000000000000000000000000000000');\n");
  ProcessResult a = Cairn({"--format", "liquibase", "adopt"});
  EXPECT_EQ(a.exit_code, 20) << a.err;
  EXPECT_THAT(a.err, HasSubstr("changeset changes/old.sql::gone::zed but no changelog"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RunnerLiquibaseTest,
                         ::testing::Values(db::Backend::kSqlite, db::Backend::kPostgres),
                         BackendParamName);

// Files Liquibase rejects, and files cairn cannot run as Liquibase would:
// one error line naming the file and line, nothing run.
class RunnerLiquibaseBadInputTest : public ::testing::Test {
 protected:
  ProcessResult Migrate(const std::string& sql) {
    fs::create_directories(dir_.File("m"));
    WriteFile(dir_.File("m/changelog.sql"), sql);
    WriteFile(dir_.File("t.db"), "");
    return RunCairn("sqlite:" + dir_.File("t.db"), dir_.File("m"),
                    {"--format", "liquibase", "migrate"});
  }
  void ExpectRefused(const std::string& sql, const std::string& where, const std::string& what) {
    ProcessResult r = Migrate(sql);
    EXPECT_NE(r.exit_code, 0) << sql;
    EXPECT_THAT(r.err, HasSubstr("changelog.sql:" + where)) << sql;
    EXPECT_THAT(r.err, HasSubstr(what)) << sql;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;  // one line
    auto conn = db::Connection::Open(*db::ParseDatabaseUrl("sqlite:" + dir_.File("t.db")));
    ASSERT_TRUE(conn.ok());
    auto rows = (*conn)->Query("SELECT count(*) FROM sqlite_schema WHERE name = 'ok'");
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ((*rows)[0][0].AsInt(), 0) << "a changeset ran: " << sql;
  }
  TempDir dir_;
};

constexpr char kHead[] = "--liquibase formatted sql\n--changeset a:ok\nCREATE TABLE ok (id int);\n";

TEST_F(RunnerLiquibaseBadInputTest, WhatLiquibaseRejectsBeforeRunningAnything) {
  ExpectRefused(std::string(kHead) + "--changeset zed: spaced\nSELECT 1;\n", "4",
                "expected '--changeset <authorname>:<changesetId>'");
  ExpectRefused(std::string(kHead) + "-- changesets below are new\nSELECT 1;\n", "4",
                "unexpected formatting");
  ExpectRefused(std::string(kHead) + "-changeset a:2\nSELECT 1;\n", "4", "unexpected formatting");
  ExpectRefused(std::string(kHead) + "--ignoreLines:some\n", "4", "Unknown ignoreLines syntax");
  ExpectRefused(std::string(kHead) + "/* liquibase rollback\nDROP TABLE ok;\n", "4", "not closed");
  ExpectRefused(std::string(kHead) + "--precondition-row-count 1\n", "4",
                "'row-count' precondition type is not supported");
  ExpectRefused("--liquibase formatted sql\n--comment: outside\n" + std::string(kHead).substr(26),
                "2", "outside a changeset");
  ExpectRefused(std::string(kHead) + "--changeset a:empty\n--changeset a:3\nSELECT 1;\n", "4",
                "no SQL for changeset changelog.sql::empty::a");
  ExpectRefused(std::string(kHead) + "--changeset a:ok\nSELECT 1;\n", "4",
                "Liquibase refuses duplicate changeset identifiers");
}

TEST_F(RunnerLiquibaseBadInputTest, WhatCairnCannotRunAsLiquibaseWould) {
  ExpectRefused(std::string(kHead) + "--changeset a:2 runAlways:true\nSELECT 1;\n", "4",
                "runAlways:true");
  ExpectRefused(std::string(kHead) + "--changeset a:2 runOnChange:TRUE\nSELECT 1;\n", "4",
                "runOnChange:true");
  ExpectRefused(std::string(kHead) + "--changeset a:2 failOnError:false\nSELECT 1;\n", "4",
                "failOnError:false");
  ExpectRefused(std::string(kHead) + "--changeset a:2 dbms:postgresql\nSELECT 1;\n", "4",
                "dbms:postgresql");
  ExpectRefused(std::string(kHead) +
                    "--changeset a:2\n--precondition-table-exists table:ok\n"
                    "SELECT 1;\n",
                "5", "does not evaluate Liquibase preconditions");
  ExpectRefused(std::string(kHead) + "--changeset a:2\nSELECT '${schema}';\n", "4",
                "changelog parameter");
  ExpectRefused(
      "--liquibase formatted sql\n--property name:x value:y\n" + std::string(kHead).substr(26), "2",
      "does not substitute Liquibase changelog parameters");
  ExpectRefused(std::string(kHead) +
                    "--changeset a:2\nSELECT 1;\n/* liquibase rollback\n"
                    "-- undo it\nSELECT 2;\n*/\n",
                "7", "swallows the lines after it");
  ExpectRefused(std::string(kHead) +
                    "--changeset a:2\nSELECT 1;\n--rollback changeSetId:gone changesetAuthor:a\n",
                "4", "the rollback names changeset changelog.sql::gone::a, which is not in the");
  // Liquibase cuts a dollar-quoted body at its ';' (it does not know dollar
  // quotes): it would run broken statements; cairn refuses at load.
  ExpectRefused(std::string(kHead) +
                    "--changeset a:2\nCREATE FUNCTION f() RETURNS int AS $$\nDECLARE x int;\n"
                    "BEGIN RETURN 1; END;\n$$ LANGUAGE plpgsql;\n",
                "4", "cuts the up SQL into statements differently");
  ExpectRefused(std::string(kHead) +
                    "--changeset a:2 runInTransaction:false splitStatements:false\n"
                    "CREATE TABLE b (id int);\nCREATE TABLE c (id int);\n",
                "4", "outside a transaction");
  ExpectRefused(std::string(kHead) + "--changeset a:2\n-- cairn:no-transaction\nSELECT 1;\n", "4",
                "a directive to cairn");
}

TEST_F(RunnerLiquibaseBadInputTest, ABadMasterChangelogIsNamed) {
  fs::create_directories(dir_.File("m"));
  WriteFile(dir_.File("m/changelog.xml"),
            "<?xml version=\"1.0\"?>\n<databaseChangeLog>\n  <include file=\"a.sql\">\n"
            "</databaseChangeLog>\n");
  WriteFile(dir_.File("t.db"), "");
  ProcessResult r = RunCairn("sqlite:" + dir_.File("t.db"), dir_.File("m"), {"status"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("changelog.xml:4: not well-formed XML"));
  WriteFile(dir_.File("m/changelog.xml"),
            "<databaseChangeLog>\n  <changeSet id=\"1\" author=\"a\"/>\n</databaseChangeLog>\n");
  r = RunCairn("sqlite:" + dir_.File("t.db"), dir_.File("m"), {"status"});
  EXPECT_THAT(r.err, HasSubstr("changelog.xml:2: <changeSet>: cairn reads master changelogs of "
                               "include and includeAll only"));
  WriteFile(dir_.File("m/changelog.xml"),
            "<databaseChangeLog>\n  <include file=\"missing.sql\"/>\n</databaseChangeLog>\n");
  r = RunCairn("sqlite:" + dir_.File("t.db"), dir_.File("m"), {"status"});
  EXPECT_THAT(r.err, HasSubstr("missing.sql: included changelog does not exist"));
  // An include attribute cairn does not read is refused, not ignored.
  WriteFile(dir_.File("m/a.sql"), "--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n");
  WriteFile(dir_.File("m/changelog.xml"),
            "<databaseChangeLog>\n  <include file=\"a.sql\" logicalFilePath=\"x.sql\"/>\n"
            "</databaseChangeLog>\n");
  r = RunCairn("sqlite:" + dir_.File("t.db"), dir_.File("m"), {"status"});
  EXPECT_THAT(r.err, HasSubstr("changelog.xml:2: include attribute 'logicalFilePath': cairn "
                               "does not read it"));
}

// An XML master, a nested YAML changelog, includeAll (recursive, in path
// order) with a plain SQL file (Liquibase's changeset "raw" by "includeAll"):
// the FILENAMEs and MD5SUMs Liquibase 4.28 recorded for this layout. The
// nested file's lone CR line ends are line ends to Liquibase (Java's
// readLine) and change no checksum.
TEST(RunnerLiquibaseLayoutTest, XmlMasterNestedYamlAndPlainSqlAreLiquibasesPaths) {
  TempDir dir;
  const std::string m = dir.File("m");
  fs::create_directories(m + "/nested");
  fs::create_directories(m + "/changes/sub");
  WriteFile(m + "/master.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<databaseChangeLog "
            "xmlns=\"http://www.liquibase.org/xml/ns/dbchangelog\">\n"
            "  <include file=\"first.sql\" relativeToChangelogFile=\"true\"/>\n"
            "  <include file=\"nested/other.yaml\"/>\n"
            "  <includeAll path=\"changes/\" relativeToChangelogFile=\"true\"/>\n"
            "</databaseChangeLog>\n");
  WriteFile(m + "/nested/other.yaml",
            "databaseChangeLog:\n  - include:\n      file: inner.sql\n"
            "      relativeToChangelogFile: true\n");
  WriteFile(m + "/nested/inner.sql",
            "--liquibase formatted sql\r--changeset y:1\rCREATE TABLE y1 (id int);\r");
  WriteFile(m + "/first.sql",
            "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE a1 (id int);\n");
  WriteFile(m + "/changes/b.sql",
            "--liquibase formatted sql\n--changeset c:1\nCREATE TABLE c1 (id int);\n");
  WriteFile(m + "/changes/A.sql",
            "--liquibase formatted sql\n--changeset c:2\nCREATE TABLE c2 (id int);\n");
  WriteFile(m + "/changes/sub/a.sql",
            "--liquibase formatted sql\n--changeset c:3\nCREATE TABLE c3 (id int);\n");
  WriteFile(m + "/changes/c_raw.sql", "CREATE TABLE raw1 (id int);\n");
  WriteFile(m + "/changes/notes.txt", "not a changelog\n");
  auto changesets = runner::internal::ReadLiquibase(m, nullptr);
  ASSERT_TRUE(changesets.ok()) << changesets.status().ToString();
  std::vector<std::string> got;
  for (const auto& c : *changesets)
    got.push_back(c.path + "::" + c.id + "::" + c.author + " " + c.md5sum);
  // Liquibase 4.28's DATABASECHANGELOG for this layout, in ORDEREXECUTED order.
  EXPECT_THAT(got, ::testing::ElementsAre(
                       "first.sql::1::a 9:dfce0013934c6dc62a9a256c47851ba2",
                       "nested/inner.sql::1::y 9:49fa52d26aa0f097b4f71ddda8f4cfce",
                       "changes/A.sql::2::c 9:e31489ee565c550f23f4943726e9223d",
                       "changes/b.sql::1::c 9:8a943e1a72711c8373271a7ff6c93ce0",
                       "changes/c_raw.sql::raw::includeAll 9:0201bf4eb885766f2c6adb52b34ea9a8",
                       "changes/sub/a.sql::3::c 9:079e8312e936f8b91a51d702c1e0861b"));
  WriteFile(dir.File("t.db"), "");
  ProcessResult r = RunCairn("sqlite:" + dir.File("t.db"), m, {"migrate"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ProcessResult s = RunCairn("sqlite:" + dir.File("t.db"), m, {"status"});
  EXPECT_THAT(s.out, HasSubstr("includeAll:raw"));
  EXPECT_THAT(s.out, HasSubstr("0 pending"));
}

// cairn's checksum of a changeset covers its own lines only: editing the next
// changeset's line leaves it alone. A long SQL line that merely starts with
// '-' is SQL, never matched against Liquibase's patterns.
TEST(RunnerLiquibaseLayoutTest, EachChangesetsChecksumCoversItsOwnLines) {
  TempDir dir;
  const std::string m = dir.File("m");
  fs::create_directories(m);
  const std::string values = "  -1" + std::string(40000, ' ') + ");\n";
  auto read = [&](const std::string& second) {
    WriteFile(m + "/changelog.sql",
              "--liquibase formatted sql\n--changeset a:1\n"
              "CREATE TABLE t (v int);\nINSERT INTO t VALUES (\n" +
                  values + second + "SELECT 1;\n");
    std::vector<runner::Migration> ms;
    auto cs = runner::internal::ReadLiquibase(m, &ms);
    EXPECT_TRUE(cs.ok()) << cs.status().ToString();
    return ms;
  };
  auto before = read("--changeset a:2\n");
  auto after = read("--changeset a:2 labels:later\n");
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(before[0].checksum, after[0].checksum);
  EXPECT_NE(before[1].checksum, after[1].checksum);
  EXPECT_EQ(before[0].up.facts.statements, 2);
}

// A rollback naming another changeset runs that changeset's SQL (checked
// with Liquibase 4.28's rollback-count): dropping a table rolls back by
// creating it again.
TEST(RunnerLiquibaseLayoutTest, ARollbackNamingAnotherChangesetRunsItsSql) {
  TempDir dir;
  const std::string m = dir.File("m");
  fs::create_directories(m);
  WriteFile(m + "/changelog.sql",
            "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n"
            "--rollback DROP TABLE t;\n--changeset a:2\nDROP TABLE t;\n"
            "--rollback changeSetId:1 changesetAuthor:a\n");
  WriteFile(dir.File("t.db"), "");
  const std::string url = "sqlite:" + dir.File("t.db");
  ASSERT_EQ(RunCairn(url, m, {"migrate"}).exit_code, 0);
  auto tables = [&] {
    auto conn = db::Connection::Open(*db::ParseDatabaseUrl(url));
    auto rows = (*conn)->Query("SELECT count(*) FROM sqlite_schema WHERE name = 't'");
    return (*rows)[0][0].AsInt();
  };
  EXPECT_EQ(tables(), 0);
  ProcessResult r = RunCairn(url, m, {"rollback"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(tables(), 1);
}

}  // namespace
}  // namespace cairn::testing

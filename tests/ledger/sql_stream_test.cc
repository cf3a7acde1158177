// db::SqlStatementStream: the streaming splitter finds exactly the statements
// SplitSqlStatements finds in the whole text, however the text is cut.
#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "cairn/db/sql_splitter.h"

namespace cairn {
namespace {

struct Found {
  size_t offset, end, line;
  std::string text;
  bool operator==(const Found&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Found& f) {
  return os << "{" << f.offset << ".." << f.end << " line " << f.line << ": " << f.text << "}";
}

std::vector<Found> Whole(std::string_view script) {
  std::vector<Found> out;
  for (const db::SqlStatement& s : db::SplitSqlStatements(script))
    out.push_back({s.offset, s.end, s.line, std::string(s.text)});
  return out;
}

// Feeds `script` in pieces of `piece` bytes (the last one shorter).
std::vector<Found> Streamed(std::string_view script, size_t piece, size_t scan_bytes) {
  std::vector<Found> out;
  db::SqlStatementStream split(scan_bytes);
  auto sink = [&](const db::SqlStatement& s) {
    out.push_back({s.offset, s.end, s.line, std::string(s.text)});
    EXPECT_EQ(split.Text(s.offset, s.end).substr(0, s.text.size()), s.text);
  };
  for (size_t at = 0; at < script.size(); at += piece) split.Feed(script.substr(at, piece), sink);
  split.Finish(sink);
  return out;
}

// Every case the splitter handles, one script each.
const std::vector<std::string>& Cases() {
  static const std::vector<std::string> cases = {
      "SELECT 1;\n\nSELECT 2  ;SELECT 3",
      "INSERT INTO t VALUES ('a;b'); SELECT 'it''s; fine'; SELECT 2",
      "SELECT E'a\\';b'; SELECT e'\\\\'; SELECT 'a\\'; SELECT 2;",
      "SELECT 1 AS \"a;\"\"b\"; SELECT \"x;y\" FROM \"t;\";",
      "-- leading; comment\nSELECT 1; -- trailing; comment\n"
      "/* block; /* nested; */ still comment; */ SELECT 2;\n/* only */;\n-- last",
      "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n"
      "CREATE FUNCTION g() RETURNS text LANGUAGE sql AS $body$ SELECT ';' || $$x;$$ "
      "$body$;\nSELECT $1::int; SELECT a$b$c; SELECT 2",
      "CREATE FUNCTION h() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\n"
      "SELECT 3;",
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); END;\r\n"
      "SELECT 1;\r\nSELECT\r\n 2;\r\n",
      "\xEF\xBB\xBFSELECT 1;\nSELECT 'caf\xC3\xA9;';",
      " ;; \n ;\t",
      "SELECT 'unterminated; string",
      "SELECT 1; /* unterminated; comment",
      "SELECT $tag$ unterminated; dollar",
      "SELECT 1;-",
      "SELECT 1;-\n-",
      "SELECT 1;/",
      "SELECT x FROM t WHERE y = E'\\'';",
  };
  return cases;
}

TEST(SqlStatementStreamTest, EveryCutOfEveryCaseGivesTheWholeTextsStatements) {
  for (const std::string& script : Cases()) {
    const std::vector<Found> want = Whole(script);
    for (size_t piece = 1; piece <= script.size(); ++piece) {
      // A scan threshold of 1 scans after every piece: the hardest case for
      // the held-back tail; the default scans rarely.
      for (size_t scan : {size_t{1}, size_t{7}, size_t{1} << 16}) {
        ASSERT_EQ(Streamed(script, piece, scan), want)
            << "script: " << script << "\npiece " << piece << ", scan " << scan;
      }
    }
  }
}

TEST(SqlStatementStreamTest, LinesCountFromTheFirstByte) {
  const std::string script = "SELECT 1;\n\n-- c\nSELECT\n2;\nSELECT 3;";
  std::vector<Found> got = Streamed(script, 3, 1);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].line, 1u);
  EXPECT_EQ(got[1].line, 4u);
  EXPECT_EQ(got[2].line, 6u);
}

// A long seeded random script of every construct, cut at random places.
TEST(SqlStatementStreamTest, RandomScriptsCutAtRandomPlaces) {
  const unsigned seed = std::random_device{}();
  std::cerr << "seed " << seed << "\n";
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const std::vector<std::string> parts = {"SELECT 1",
                                          "'a;b'",
                                          "E'x\\';y'",
                                          "\"i;d\"",
                                          "$$ a; b $$",
                                          "$q$ ; $$ ; $q$",
                                          "/* c; /* n; */ ; */",
                                          "-- line; comment\n",
                                          ";",
                                          "\n",
                                          "\r\n",
                                          " ",
                                          "BEGIN ATOMIC",
                                          "END",
                                          "x",
                                          "$1",
                                          "a$b",
                                          "-",
                                          "/",
                                          "*",
                                          "'",
                                          "$",
                                          "E"};
  for (int round = 0; round < 200; ++round) {
    std::string script;
    const int n = static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i) script += parts[rng() % parts.size()];
    const std::vector<Found> want = Whole(script);
    std::vector<Found> got;
    db::SqlStatementStream split(1 + rng() % 64);
    auto sink = [&](const db::SqlStatement& s) {
      got.push_back({s.offset, s.end, s.line, std::string(s.text)});
    };
    for (size_t at = 0; at < script.size();) {
      const size_t piece = 1 + rng() % 17;
      split.Feed(std::string_view(script).substr(at, piece), sink);
      at += piece;
    }
    split.Finish(sink);
    ASSERT_EQ(got, want) << "script: " << script;
  }
}

// A statement far larger than the scan threshold is scanned a bounded number
// of times: the threshold doubles with the held-back text.
TEST(SqlStatementStreamTest, OneHugeStatementStaysOneStatement) {
  std::string body(8 << 20, 'x');
  const std::string script = "SELECT 1;\nSELECT '" + body + "';\nSELECT 3;";
  std::vector<Found> got = Streamed(script, 4096, 1 << 16);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].text.size(), body.size() + 9);
  EXPECT_EQ(got[2].line, 3u);
}

}  // namespace
}  // namespace cairn

// The ledger hash (docs/ledger-format.md, "The hash of a record") and the
// helpers next to it: SHA-256, hex, UUIDs, clocks.
#include "cairn/base/hash.h"

#include <chrono>
#include <ctime>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/ledger/ledger_test_util.h"
#include "tests/support/test_support.h"

namespace cairn::testing {
namespace {

std::string FromBytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(Sha256Test, MatchesFipsTestVectors) {
  EXPECT_EQ(ledger::ToHex(ledger::Sha256("")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(ledger::ToHex(ledger::Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(
      ledger::ToHex(ledger::Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(ledger::Sha256(std::string(1000, '\0')).size(), ledger::kHashSize);
}

TEST(RecordHashTest, WorkedExampleFromLedgerFormatDoc) {
  const std::string record = FromBytes({0x0a, 0x06, 0x63, 0x61, 0x6d, 0x70, 0x75, 0x73});
  // The hash input exactly as docs/ledger-format.md lists it.
  std::string input;
  input += FromBytes({0x63, 0x61, 0x69, 0x72, 0x6e, 0x2d, 0x6c, 0x65, 0x64, 0x67, 0x65, 0x72, 0x2d,
                      0x76, 0x31, 0x00});                                // "cairn-ledger-v1" 0x00
  input += FromBytes({0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01});  // position 1
  input += FromBytes({0x00, 0x00, 0x00, 0x06, 0x63, 0x61, 0x6d, 0x70, 0x75, 0x73});  // "campus"
  input += std::string(32, '\0');                                                    // prev_hash
  input += FromBytes({0x00, 0x00, 0x00, 0x08, 0x0a, 0x06, 0x63, 0x61, 0x6d, 0x70, 0x75, 0x73});
  ASSERT_EQ(input.size(), 16u + 8 + 10 + 32 + 12);
  ASSERT_EQ(input.substr(0, 16), std::string("cairn-ledger-v1\0", 16));

  const std::string hash = ledger::RecordHash("campus", 1, ledger::GenesisHash(), record);
  EXPECT_EQ(hash, ledger::Sha256(input));
  EXPECT_EQ(hash.size(), ledger::kHashSize);
  // Also computed with Python's hashlib over the same bytes.
  EXPECT_EQ(ledger::ToHex(hash),
            "bc08d2b6d6f4e2947e742abd5c810e9620a430f104edc10c3f6f8c1030248833");
}

TEST(RecordHashTest, EncodesLargePositionsMultiByteStreamsAndEmptyRecords) {
  std::string prev;
  for (int i = 0; i < 32; ++i) prev.push_back(static_cast<char>(i));
  const std::string stream = "caf\xc3\xa9";  // 5 bytes of UTF-8
  const int64_t position = (int64_t{1} << 40) + 3;
  std::string input("cairn-ledger-v1\0", 16);
  input += FromBytes({0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03});
  input += FromBytes({0x00, 0x00, 0x00, 0x05}) + stream;
  input += prev;
  input += FromBytes({0x00, 0x00, 0x00, 0x00});
  EXPECT_EQ(ledger::RecordHash(stream, position, prev, ""), ledger::Sha256(input));
  EXPECT_EQ(ledger::ToHex(ledger::RecordHash(stream, position, prev, "")),
            "e86e4abd049e4172f353b755c4744169720a2b08504a013f40916ad21159f80d");
}

TEST(RecordHashTest, EveryInputChangesTheHash) {
  const std::string prev(32, '\x11');
  const std::string base = ledger::RecordHash("campus", 5, prev, "record");
  std::set<std::string> hashes = {
      base,
      ledger::RecordHash("campuS", 5, prev, "record"),
      ledger::RecordHash("campus", 6, prev, "record"),
      ledger::RecordHash("campus", 5, std::string(32, '\x12'), "record"),
      ledger::RecordHash("campus", 5, prev, "recorD"),
      // Length prefixes keep the boundary between stream and what follows.
      ledger::RecordHash("campu", 5, "s" + prev.substr(1), "record"),
  };
  EXPECT_EQ(hashes.size(), 6u);
  EXPECT_EQ(ledger::RecordHash("campus", 5, prev, "record"), base) << "deterministic";
}

TEST(HashHelpersTest, GenesisHashIsThirtyTwoZeroBytes) {
  EXPECT_EQ(ledger::GenesisHash(), std::string(32, '\0'));
  EXPECT_EQ(ledger::kHashSize, 32u);
}

TEST(HashHelpersTest, ToHexIsLowercaseTwoDigitsPerByte) {
  EXPECT_EQ(ledger::ToHex(""), "");
  EXPECT_EQ(ledger::ToHex(FromBytes({0x00, 0xff, 0x10, 0xab, 0x09})), "00ff10ab09");
}

TEST(NewUuidTest, IsLowercaseVersion4AndUnique) {
  static const std::regex kV4(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = ledger::NewUuid();
    ASSERT_EQ(u.size(), 36u) << u;
    ASSERT_TRUE(std::regex_match(u, kV4)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(NewUuidTest, ForkedProcessesDoNotRepeatTheParentsUuids) {
  // Event ids are idempotency keys: a child that inherited its parent's
  // random state and repeated its ids would have its events refused.
  (void)ledger::NewUuid();  // the parent's generator is initialized before fork
  TempDir dir;
  std::vector<int> codes = RunInChildProcesses(3, [&](int child) {
    std::string out;
    for (int i = 0; i < 5; ++i) out += ledger::NewUuid() + "\n";
    WriteFile(dir.File("child" + std::to_string(child)), out);
    return 0;
  });
  ASSERT_EQ(codes, std::vector<int>(3, 0));
  std::set<std::string> all;
  size_t total = 0;
  for (int i = 0; i < 5; ++i, ++total) all.insert(ledger::NewUuid());
  for (int child = 0; child < 3; ++child) {
    std::string text = ReadFileOrDie(dir.File("child" + std::to_string(child)));
    ASSERT_EQ(text.size(), 5u * 37) << text;
    for (size_t at = 0; at < text.size(); at += 37, ++total) all.insert(text.substr(at, 36));
  }
  EXPECT_EQ(total, 20u);
  EXPECT_EQ(all.size(), total);
}

TEST(FormatMicrosTest, FormatsUtcWithSixFractionDigits) {
  EXPECT_EQ(ledger::FormatMicros(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(ledger::FormatMicros(1795256130123456), "2026-11-21T10:15:30.123456Z");
  EXPECT_EQ(ledger::FormatMicros(951868799000001), "2000-02-29T23:59:59.000001Z");
  EXPECT_EQ(ledger::FormatMicros(1), "1970-01-01T00:00:00.000001Z");
}

TEST(FormatMicrosTest, NegativeTimesCountBackFromTheEpoch) {
  EXPECT_EQ(ledger::FormatMicros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(ledger::FormatMicros(-1000000), "1969-12-31T23:59:59.000000Z");
  EXPECT_EQ(ledger::FormatMicros(-1500000), "1969-12-31T23:59:58.500000Z");
}

TEST(FormatMicrosTest, YearsKeepFourDigitsAndGrowPastThem) {
  EXPECT_EQ(ledger::FormatMicros(-62135596800000000), "0001-01-01T00:00:00.000000Z");
  EXPECT_EQ(ledger::FormatMicros(-59006361600000000), "0100-03-01T00:00:00.000000Z");  // no Feb 29
  EXPECT_EQ(ledger::FormatMicros(951782400000000), "2000-02-29T00:00:00.000000Z");
  EXPECT_EQ(ledger::FormatMicros(253402300799999999), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(ledger::FormatMicros(253402300800000000), "10000-01-01T00:00:00.000000Z");
}

// The civil-date arithmetic agrees with the C library's gmtime_r for every
// third day from year 1000 to 9999 (strftime does not pad years below 1000).
TEST(FormatMicrosTest, AgreesWithGmtimeForEveryDay) {
  int mismatches = 0;
  for (int64_t day = -354285; day <= 2932896; day += 3) {
    const int64_t secs = day * 86400 + (day * 7919 % 86400 + 86400) % 86400;
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char want[64];
    std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
    if (ledger::FormatMicros(secs * 1000000) != want && ++mismatches <= 3)
      ADD_FAILURE() << "day " << day << ": " << ledger::FormatMicros(secs * 1000000) << " vs "
                    << want;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(NowMicrosTest, FollowsTheSystemClock) {
  auto micros = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const int64_t before = micros();
  const int64_t now = ledger::NowMicros();
  const int64_t after = micros();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

}  // namespace
}  // namespace cairn::testing

#include "cairn/store/anchor.h"

#include <charconv>

#include "cairn/base/hash.h"

namespace cairn::ledger {
namespace {

constexpr std::string_view kTag = "cairn-anchor-v1";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A decimal position: digits only, no sign, no leading zeros, fits int64.
StatusOr<int64_t> ParsePosition(std::string_view text) {
  if (text.empty()) return InvalidArgumentError("the position is empty");
  if (text.size() > 1 && text[0] == '0')
    return InvalidArgumentError("the position has a leading zero");
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0)
    return InvalidArgumentError("the position '" + std::string(text) +
                                "' is not a non-negative decimal integer");
  return value;
}

}  // namespace

StatusOr<std::string> ParseHash(std::string_view hex) {
  if (hex.size() != 2 * kHashSize)
    return InvalidArgumentError("the hash must be " + std::to_string(2 * kHashSize) +
                                " hex digits, got " + std::to_string(hex.size()) + " characters");
  std::string out(kHashSize, '\0');
  for (size_t i = 0; i < kHashSize; ++i) {
    int hi = HexDigit(hex[2 * i]), lo = HexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("the hash has a character that is not hex");
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

StatusOr<Anchor> ParseExpectHead(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return InvalidArgumentError("--expect-head wants POS:HASH, got '" + std::string(text) + "'");
  Anchor a;
  auto pos = ParsePosition(text.substr(0, colon));
  if (!pos.ok()) return InvalidArgumentError("--expect-head: " + pos.status().message());
  a.position = *pos;
  auto hash = ParseHash(text.substr(colon + 1));
  if (!hash.ok()) return InvalidArgumentError("--expect-head: " + hash.status().message());
  a.hash = std::move(*hash);
  return a;
}

StatusOr<Anchor> ParseAnchorFile(std::string_view contents) {
  if (contents.empty() || contents.back() != '\n')
    return InvalidArgumentError("an anchor file is one line ending in a newline");
  std::string_view line = contents.substr(0, contents.size() - 1);
  if (line.find('\n') != std::string_view::npos)
    return InvalidArgumentError("an anchor file is one line; found several");
  auto next_field = [&line](std::string_view* field) {
    size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return false;
    *field = line.substr(0, sp);
    line.remove_prefix(sp + 1);
    return true;
  };
  std::string_view tag, position, hash;
  if (!next_field(&tag) || tag != kTag)
    return InvalidArgumentError("an anchor file starts with '" + std::string(kTag) + " '");
  if (!next_field(&position) || !next_field(&hash) || line.empty())
    return InvalidArgumentError("an anchor file line is '" + std::string(kTag) +
                                " POSITION HASH STREAM'");
  Anchor a;
  CAIRN_ASSIGN_OR_RETURN(a.position, ParsePosition(position));
  CAIRN_ASSIGN_OR_RETURN(a.hash, ParseHash(hash));
  a.stream = std::string(line);
  return a;
}

std::string FormatAnchorFile(const Anchor& anchor) {
  return std::string(kTag) + " " + std::to_string(anchor.position) + " " + ToHex(anchor.hash) +
         " " + anchor.stream + "\n";
}

Status CheckAnchor(LedgerStore& store, std::string_view stream, const Anchor& anchor,
                   VerifyReport* report) {
  if (!report->ok) return Status();
  const int64_t head = report->head.position;
  if (head < anchor.position) {
    report->ok = false;
    report->first_bad_position = head + 1;
    report->fault = "truncated";
    report->problem = "truncated: the ledger ends at position " + std::to_string(head) +
                      " but the anchor expects position " + std::to_string(anchor.position);
    return Status();
  }
  std::string found = GenesisHash();
  if (anchor.position == head) {
    found = report->head.hash;
  } else if (anchor.position > 0) {
    CAIRN_RETURN_IF_ERROR(store.Read(stream, anchor.position, 1, [&](const v1::Event& e) {
      found = e.hash();
      return false;
    }));
  }
  if (found != anchor.hash) {
    report->ok = false;
    report->first_bad_position = anchor.position;
    report->fault = "anchor mismatch";
    report->problem = "anchor mismatch: position " + std::to_string(anchor.position) +
                      " has hash " + ToHex(found) + ", the anchor expects " + ToHex(anchor.hash);
  }
  return Status();
}

}  // namespace cairn::ledger

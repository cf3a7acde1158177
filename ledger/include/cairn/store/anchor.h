// Head anchors: a (position, hash) pair saved outside the database, which
// makes a truncated tail or a rewritten last event detectable. The rules and
// the anchor file format are specified in docs/verification.md.
//
//   CAIRN_ASSIGN_OR_RETURN(Anchor a, ParseExpectHead("42:9f86d0..."));
//   CAIRN_ASSIGN_OR_RETURN(VerifyReport r, store.Verify("campus"));
//   CAIRN_RETURN_IF_ERROR(CheckAnchor(store, "campus", a, &r));
//   if (!r.ok) ... r.first_bad_position, r.problem ...
#ifndef CAIRN_STORE_ANCHOR_H_
#define CAIRN_STORE_ANCHOR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "cairn/base/status.h"
#include "cairn/store/store.h"

namespace cairn::ledger {

struct Anchor {
  int64_t position = 0;
  std::string hash;    // 32 raw bytes
  std::string stream;  // empty when the anchor came from --expect-head
};

// Parses "POS:HASH" (HASH: 64 hex digits, either case). kInvalidArgument
// saying what is wrong otherwise.
StatusOr<Anchor> ParseExpectHead(std::string_view text);

// Parses the contents of an anchor file (docs/verification.md, "Anchor file
// format"). kInvalidArgument saying what is wrong otherwise.
StatusOr<Anchor> ParseAnchorFile(std::string_view contents);

// The anchor file line for `anchor`, ending in '\n'.
std::string FormatAnchorFile(const Anchor& anchor);

// Parses `hex` (64 hex digits, either case) into 32 raw bytes.
StatusOr<std::string> ParseHash(std::string_view hex);

// Checks `anchor` against a finished verification of `stream` (which must
// be `report`'s stream). A report that already failed is left as it is.
// Otherwise, if the chain ends before the anchor's position or the event
// there has another hash, sets report->ok = false, first_bad_position, fault
// and problem ("truncated: ..." or "anchor mismatch: ..."). An error Status
// means the ledger could not be read.
Status CheckAnchor(LedgerStore& store, std::string_view stream, const Anchor& anchor,
                   VerifyReport* report);

}  // namespace cairn::ledger

#endif  // CAIRN_STORE_ANCHOR_H_

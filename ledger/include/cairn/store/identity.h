// What a database's ledger knows about itself (docs/ledger-format.md,
// "Stream names" and "Target identity"): which stream(s) it holds, and the
// target's identity, a UUID written into cairn_ledger_meta when the ledger is
// created. Neither depends on what the SQLite file or the PostgreSQL database
// is called now, so copies, renames and restores keep their history.
//
//   CAIRN_ASSIGN_OR_RETURN(std::string stream,
//                          ledger::ResolveStream(*store, {.stream = flag}, conn->url()));
//   CAIRN_ASSIGN_OR_RETURN(std::string id, ledger::EnsureTargetId(*store));
#ifndef CAIRN_STORE_IDENTITY_H_
#define CAIRN_STORE_IDENTITY_H_

#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"
#include "cairn/db/database.h"
#include "cairn/store/store.h"

namespace cairn::ledger {

struct StreamRequest {
  std::string stream;       // --stream; empty: the ledger's own stream
  bool new_stream = false;  // --new-stream: `stream` may be one the ledger lacks
  // The caller reads several streams itself (--all-streams): a ledger of
  // several streams is not refused when `stream` is empty.
  bool any_stream = false;
};

// The stream a command works on:
//   - `stream` given: it, if the ledger holds it, or holds no stream at all,
//     or `new_stream` is set; otherwise refused with the list;
//   - none given: the ledger's only stream; the database's name when the
//     ledger holds none (or has no tables yet); several: refused with the
//     list (with `any_stream`: the database's name).
// Refusals are kInvalidArgument of kind kStreamRefused.
StatusOr<std::string> ResolveStream(LedgerStore& store, const StreamRequest& request,
                                    const db::DatabaseUrl& url);
inline constexpr ErrorKind kStreamRefused{"ledger.StreamRefused"};

// The target id stored in cairn_ledger_meta ("target_id"), or "" when the
// ledger has none (no tables yet, or created before target ids existed).
StatusOr<std::string> ReadTargetId(LedgerStore& store);
// The target id, written first if the ledger has none (creating the ledger
// tables if needed). Runs in its own transaction unless one is open.
StatusOr<std::string> EnsureTargetId(LedgerStore& store);

// Where the database is now, physically, as text: SQLite "file:DEV:INODE"
// (the file's device and inode), PostgreSQL "postgres:SYSID:OID" (the
// cluster's system identifier and the database's oid). A rename (mv on one
// file system, ALTER DATABASE ... RENAME) keeps it; a copy (cp,
// CREATE DATABASE ... TEMPLATE, pg_dump and pg_restore) gets another.
StatusOr<std::string> LocationOf(db::Connection& conn);

// A central ledger's record of where one of its streams comes from
// (cairn forward): written by the first forward of the stream, never changed.
struct StreamOrigin {
  std::string target_id;
  std::string location;  // LocationOf() of the source at that forward
  std::string url;       // the source's redacted URL, for messages
  bool known() const { return !target_id.empty(); }
};
// The origin of `stream` in `central`; known() is false when none is stored.
StatusOr<StreamOrigin> ReadStreamOrigin(LedgerStore& central, std::string_view stream);
// Stores the origin of `stream` inside `tx`, a transaction on `central`'s
// connection (as LedgerStore::Append). An origin stored meanwhile by another
// forwarder is kept: the caller reads it again after commit.
Status RecordStreamOrigin(db::Transaction& tx, LedgerStore& central, std::string_view stream,
                          const StreamOrigin& origin);

// The event id of `event_id` forwarded under the stream name `as`
// (forward --as): a UUID-shaped text made from SHA-256("cairn forward --as"
// NUL as NUL event_id), so forwarding again derives the same id.
std::string DerivedEventId(std::string_view as, std::string_view event_id);

}  // namespace cairn::ledger

#endif  // CAIRN_STORE_IDENTITY_H_

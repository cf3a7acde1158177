// Bearer-token authentication for the Ledger service (docs/service.md, "Auth").
//
// A token table maps secret tokens to an identity name and a set of roles.
// Its text form (a file, or an environment variable) has one entry per line
// (or per ';'-separated item), blank lines and '#' comments ignored:
//
//   NAME ROLES TOKEN        e.g.  ci-bot reader,writer 9f2c...e1
//
// NAME is recorded as the actor of events appended with the token; ROLES is
// a comma-separated subset of reader, exporter, writer; TOKEN is at least 16
// characters without spaces. Tokens are compared as SHA-256 digests in
// constant time against every entry (no early exit).
#ifndef CAIRN_SERVICE_AUTH_H_
#define CAIRN_SERVICE_AUTH_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cairn/base/status.h"

namespace cairn::service {

enum Role : uint32_t {
  kRoleReader = 1,    // ListStreams, ReadStream, Subscribe, GetState, Verify
  kRoleExporter = 2,  // Export
  kRoleWriter = 4,    // Append
};
std::string_view RoleName(Role role);

struct Identity {
  std::string name;
  uint32_t roles = 0;
};

class TokenTable {
 public:
  // Adds the entries of `text`; `origin` (a file name or "$VAR") names the
  // source in errors, with the line: "tokens.txt:3: unknown role 'admin'".
  Status Parse(std::string_view text, std::string_view origin);
  Status LoadFile(const std::string& path);

  bool empty() const { return entries_.empty(); }
  // The identity owning `token`, or nullopt.
  std::optional<Identity> Find(std::string_view token) const;

 private:
  struct Entry {
    Identity identity;
    std::string digest;  // SHA-256 of the token
  };
  std::vector<Entry> entries_;
};

// Checks the "authorization: Bearer TOKEN" metadata value (`header`, null
// when absent) and the role: kUnauthenticated when the token is missing or
// unknown, kPermissionDenied when the identity lacks `role`.
StatusOr<Identity> Authorize(const TokenTable& tokens, const std::string* header, Role role);

}  // namespace cairn::service

#endif  // CAIRN_SERVICE_AUTH_H_

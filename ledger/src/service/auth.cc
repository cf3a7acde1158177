#include "cairn/service/auth.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "cairn/base/hash.h"

namespace cairn::service {

std::string_view RoleName(Role role) {
  switch (role) {
    case kRoleReader:
      return "reader";
    case kRoleExporter:
      return "exporter";
    case kRoleWriter:
      return "writer";
  }
  return "?";
}

Status TokenTable::Parse(std::string_view text, std::string_view origin) {
  std::string normalized(text);
  for (char& c : normalized)
    if (c == ';') c = '\n';
  std::istringstream lines(normalized);
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    const std::string where = std::string(origin) + ":" + std::to_string(number) + ": ";
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::istringstream fields(line);
    std::string name, roles, token, extra;
    if (!(fields >> name)) continue;
    if (!(fields >> roles >> token) || (fields >> extra))
      return InvalidArgumentError(where + "expected three fields: NAME ROLES TOKEN");
    if (token.size() < 16)
      return InvalidArgumentError(where + "token is shorter than 16 characters");
    Entry e;
    e.identity.name = name;
    std::istringstream role_list(roles);
    std::string role;
    while (std::getline(role_list, role, ',')) {
      if (role == "reader")
        e.identity.roles |= kRoleReader;
      else if (role == "exporter")
        e.identity.roles |= kRoleExporter;
      else if (role == "writer")
        e.identity.roles |= kRoleWriter;
      else
        return InvalidArgumentError(where + "unknown role '" + role +
                                    "' (expected reader, exporter, writer)");
    }
    e.digest = ledger::Sha256(token);
    entries_.push_back(std::move(e));
  }
  return Status::Ok();
}

Status TokenTable::LoadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgumentError("cannot read token file " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

std::optional<Identity> TokenTable::Find(std::string_view token) const {
  const std::string digest = ledger::Sha256(token);
  const Entry* found = nullptr;
  for (const Entry& e : entries_) {
    // Every entry is compared, so the time does not depend on which matched.
    const bool same = CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0;
    if (same && !found) found = &e;
  }
  if (!found) return std::nullopt;
  return found->identity;
}

StatusOr<Identity> Authorize(const TokenTable& tokens, const std::string* header, Role role) {
  // RFC 6750 section 2.1: `Bearer` 1*SP token, where the scheme is compared
  // case-insensitively (RFC 9110 section 11.1).
  static constexpr std::string_view kScheme = "bearer";
  std::string_view value = header ? std::string_view(*header) : std::string_view();
  const bool scheme_ok =
      value.size() > kScheme.size() && value[kScheme.size()] == ' ' &&
      std::equal(kScheme.begin(), kScheme.end(), value.begin(), [](char want, char got) {
        return want == std::tolower(static_cast<unsigned char>(got));
      });
  if (scheme_ok) value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (!scheme_ok || value.empty())
    return Status(StatusCode::kUnauthenticated,
                  "missing bearer token (metadata \"authorization: Bearer TOKEN\")");
  auto id = tokens.Find(value);
  if (!id) return Status(StatusCode::kUnauthenticated, "unknown bearer token");
  if (!(id->roles & role))
    return Status(StatusCode::kPermissionDenied,
                  "'" + id->name + "' lacks the " + std::string(RoleName(role)) + " role");
  return *id;
}

}  // namespace cairn::service

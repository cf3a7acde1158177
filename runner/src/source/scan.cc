// ScanMigrations and the file checksum cache (docs/caches.md).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <unordered_map>

#include "cairn/base/hash.h"
#include "cairn/runner/migration.h"
#include "cairn/store/state.h"
#include "formats/dispatch.h"
#include "source/migration_dir.h"

namespace cairn::runner {
namespace {

constexpr std::string_view kHeader = "cairn-file-cache 1";
constexpr std::string_view kChecksumPrefix = "sha256:";
// Files changed this recently when the cache is written are not cached.
constexpr int64_t kRacyNanos = 2'000'000'000;

struct StatKey {
  uint64_t inode = 0;
  int64_t size = 0, mtime_ns = 0, ctime_ns = 0;
  bool operator==(const StatKey&) const = default;
};

struct CacheEntry {
  StatKey key;
  bool has_down = false;
  std::string sha256_hex;
};

using Cache = std::unordered_map<std::string, CacheEntry>;  // file name -> entry

StatKey KeyOf(const struct stat& st) {
  StatKey k;
  k.inode = static_cast<uint64_t>(st.st_ino);
  k.size = static_cast<int64_t>(st.st_size);
  k.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  k.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec;
  return k;
}

std::string CacheDirectory() {
  const char* off = std::getenv("CAIRN_NO_CACHE");
  if (off != nullptr && *off != '\0' && std::string_view(off) != "0") return "";
  if (const char* d = std::getenv("CAIRN_CACHE_DIR"); d != nullptr && *d != '\0') return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d != nullptr && *d != '\0')
    return std::string(d) + "/cairn";
  if (const char* h = std::getenv("HOME"); h != nullptr && *h != '\0')
    return std::string(h) + "/.cache/cairn";
  return "";
}

// Empty when there is no usable cache location.
std::string CachePath(const std::string& dir) {
  std::string cache_dir = CacheDirectory();
  if (cache_dir.empty()) return "";
  char* real = ::realpath(dir.c_str(), nullptr);
  if (real == nullptr) return "";
  std::string digest = ledger::ToHex(ledger::Sha256(real));
  std::free(real);
  return cache_dir + "/files-" + digest.substr(0, 32);
}

// Parses a decimal number and the one space after it, advancing `p`.
template <typename T>
bool TakeNumber(const char*& p, const char* end, T* out) {
  auto [next, ec] = std::from_chars(p, end, *out);
  if (ec != std::errc() || next == end || *next != ' ') return false;
  p = next + 1;
  return true;
}

// The cache's entries; empty if it is missing or any line is malformed.
Cache ReadCache(Env& env, const std::string& path) {
  auto contents = ReadFileToString(env, path);
  if (!contents.ok()) return {};
  const std::string text = std::move(*contents);
  const char* p = text.data();
  const char* const end = p + text.size();
  auto line_end = [&](const char* from) {
    const char* nl = static_cast<const char*>(std::memchr(from, '\n', end - from));
    return nl == nullptr ? end : nl;
  };
  const char* eol = line_end(p);
  if (std::string_view(p, eol - p) != kHeader) return {};
  Cache cache;
  cache.reserve(text.size() / 100);
  for (p = eol + 1; p < end; p = eol + 1) {
    eol = line_end(p);
    CacheEntry e;
    int has_down = -1;
    if (!TakeNumber(p, eol, &e.key.inode) || !TakeNumber(p, eol, &e.key.size) ||
        !TakeNumber(p, eol, &e.key.mtime_ns) || !TakeNumber(p, eol, &e.key.ctime_ns) ||
        !TakeNumber(p, eol, &has_down) || (has_down != 0 && has_down != 1) || eol - p < 66 ||
        p[64] != ' ') {
      return {};
    }
    e.has_down = has_down == 1;
    e.sha256_hex.assign(p, 64);
    std::string name(p + 65, eol);
    cache.emplace(std::move(name), std::move(e));
  }
  return cache;
}

// Best effort: a cache that cannot be written only costs time next run.
// Writes the entries of `kept` (iterators into the cache read at the start)
// and then `fresh`, atomically but not durably (a cache).
void WriteCache(Env& env, const std::string& path, const std::vector<Cache::const_iterator>& kept,
                const std::vector<std::pair<std::string, CacheEntry>>& fresh) {
  if (!env.CreateDirs(std::filesystem::path(path).parent_path().string()).ok()) return;
  std::string text;
  text.reserve((kept.size() + fresh.size()) * 128);
  text.append(kHeader).push_back('\n');
  auto write = [&](const std::string& name, const CacheEntry& e) {
    text += std::to_string(e.key.inode) + ' ' + std::to_string(e.key.size) + ' ' +
            std::to_string(e.key.mtime_ns) + ' ' + std::to_string(e.key.ctime_ns) + ' ' +
            (e.has_down ? "1 " : "0 ");
    text.append(e.sha256_hex).append(" ").append(name).push_back('\n');
  };
  for (const auto& it : kept) write(it->first, it->second);
  for (const auto& [name, e] : fresh) write(name, e);
  (void)WriteFileAtomically(env, path, text, /*durable=*/false);
}

MigrationSummary Summarize(const Migration& m) {
  MigrationSummary s;
  s.id = m.id;
  s.name = m.name;
  s.description = m.description;
  s.file = m.file;
  s.path = m.path;
  s.checksum = m.checksum;
  s.has_down = m.down.has_value();
  return s;
}

}  // namespace

namespace {
StatusOr<std::vector<MigrationSummary>> ScanCairnMigrations(const std::string& dir, Env& env) {
  const std::string cache_path = CachePath(dir);
  const Cache cache = cache_path.empty() ? Cache{} : ReadCache(env, cache_path);
  const int64_t now_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(env.Now().time_since_epoch()).count();
  std::vector<MigrationSummary> out;
  out.reserve(cache.size());
  // What the cache will hold if it must be rewritten: the entries still
  // valid, by reference (copying them would double the scan's allocations),
  // and the files read in full.
  std::vector<Cache::const_iterator> kept;
  std::vector<std::pair<std::string, CacheEntry>> fresh;
  bool dirty = false;
  CAIRN_RETURN_IF_ERROR(internal::ForEachMigrationFile(
      dir, [&](int dir_fd, const std::string& name, const std::string& path) -> Status {
        struct stat st {};
        const bool stat_ok = ::fstatat(dir_fd, name.c_str(), &st, 0) == 0 && S_ISREG(st.st_mode);
        const StatKey key = stat_ok ? KeyOf(st) : StatKey{};
        MigrationSummary m;
        auto hit = cache.find(name);
        if (stat_ok && hit != cache.end() && hit->second.key == key &&
            internal::ParseFileName(name, &m.id, &m.name)) {
          m.description = m.name;
          std::replace(m.description.begin(), m.description.end(), '_', ' ');
          m.file = name;
          m.path = path;
          m.checksum = std::string(kChecksumPrefix) + hit->second.sha256_hex;
          m.has_down = hit->second.has_down;
          kept.push_back(hit);
        } else {
          // Not cached, or changed: read and parse it like LoadMigrations.
          CAIRN_ASSIGN_OR_RETURN(Migration full, internal::ParseMigrationAt(
                                                     dir_fd, name, name, path, kKeepInMemoryBytes));
          m = Summarize(full);
          dirty = true;
          if (stat_ok && key.mtime_ns < now_ns - kRacyNanos && key.ctime_ns < now_ns - kRacyNanos) {
            fresh.emplace_back(
                name, CacheEntry{key, m.has_down, m.checksum.substr(kChecksumPrefix.size())});
          }
        }
        out.push_back(std::move(m));
        return Status::Ok();
      }));
  std::vector<std::string_view> ids, files;
  ids.reserve(out.size());
  files.reserve(out.size());
  for (const MigrationSummary& m : out) {
    ids.push_back(m.id);
    files.push_back(m.file);
  }
  CAIRN_RETURN_IF_ERROR(internal::CheckUniqueIds(dir, ids, files));
  const size_t keep = kept.size() + fresh.size();
  if (!cache_path.empty() && (dirty || keep != cache.size()) && !(keep == 0 && cache.empty()))
    WriteCache(env, cache_path, kept, fresh);
  auto by_id = [](const MigrationSummary& a, const MigrationSummary& b) {
    return ledger::CompareMigrationIds(a.id, b.id) < 0;
  };
  if (!std::is_sorted(out.begin(), out.end(), by_id)) std::sort(out.begin(), out.end(), by_id);
  return out;
}

}  // namespace

StatusOr<std::vector<MigrationSummary>> ScanMigrations(const std::string& dir, Env& env) {
  // Other tools' folders (docs/formats.md) are read in full, without the cache.
  return internal::ReadWithFormats<MigrationSummary>(
      dir, [&] { return ScanCairnMigrations(dir, env); },
      [](const Migration& m) { return Summarize(m); });
}

}  // namespace cairn::runner

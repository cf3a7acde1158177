#include "section_text.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "background_sha.h"
#include "cairn/base/hash.h"
#include "file_text.h"

namespace cairn::runner::source {
namespace {

bool IsDirectiveLine(std::string_view line) {
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  if (line.substr(0, 2) != "--") return false;
  line.remove_prefix(2);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return line.substr(0, 6) == "cairn:" && line.substr(6, 11) != "lint-ignore";
}

// Appends `text` with trailing spaces, tabs and CRs removed from every line.
void AppendCanonical(std::string_view text, std::string* out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? nl : nl - start);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
      line.remove_suffix(1);
    out->append(line);
    if (nl == std::string_view::npos) break;
    out->push_back('\n');
    start = nl + 1;
  }
}

}  // namespace

std::string FirstWord(std::string_view s) {
  std::string w;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) break;
    w.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  if (!w.empty() && std::isdigit(static_cast<unsigned char>(w[0]))) w.clear();
  return w;
}

bool BlockTracker::InBody(std::string_view statement) {
  first_ = FirstWord(statement);
  if (open_) {
    if (first_ == "END") open_ = false;
    return true;
  }
  if (first_ == "CREATE") {
    const std::vector<std::string> words = SqlWords(statement);
    auto b = std::find(words.begin(), words.end(), "BEGIN");
    const bool trigger = std::find(words.begin(), words.end(), "TRIGGER") != words.end();
    open_ = b != words.end() && (trigger || (b + 1 != words.end() && b[1] == "ATOMIC"));
  }
  return false;
}

Status ForEachSectionText(const Migration& m, const Section& section,
                          const std::function<Status(std::string_view)>& sink) {
  if (!section.extent.on_file) return section.sql.empty() ? Status::Ok() : sink(section.sql);
  const std::string& path = section.extent.path.empty() ? m.path : section.extent.path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InvalidArgumentError(path + ": cannot read: " + std::strerror(errno));
  // Hashed on another thread while the text is run (background_sha.h).
  std::unique_ptr<Hasher> digest = MakeHasher(/*background=*/true);
  std::string piece;
  auto flush = [&]() -> Status {
    digest->Update(piece);
    Status s = sink(piece);
    piece.clear();
    return s;
  };
  Status s;
  if (section.extent.raw_is_text) {
    // The bytes are the text: read them in blocks as they are.
    piece.resize(kBlockBytes);
    for (uint64_t at = section.extent.begin; s.ok() && at < section.extent.end;) {
      const size_t want =
          static_cast<size_t>(std::min<uint64_t>(kBlockBytes, section.extent.end - at));
      ssize_t n = ::pread(fd, piece.data(), want, static_cast<off_t>(at));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        s = n == 0 ? FailedPreconditionError(
                         path + ": the file changed since it was read (migration " + m.id + ")")
                   : InvalidArgumentError(path + ": cannot read: " + std::strerror(errno));
        break;
      }
      at += static_cast<uint64_t>(n);
      piece.resize(static_cast<size_t>(n));
      s = flush();
      piece.resize(kBlockBytes);
    }
    piece.clear();
  } else {
    s = ForEachFileLine(fd, path, section.extent.begin, section.extent.end, section.first_line,
                        [&](const Line& l) -> Status {
                          if (!IsDirectiveLine(l.text)) piece.append(l.text);
                          piece.push_back('\n');
                          return piece.size() >= kBlockBytes ? flush() : Status::Ok();
                        });
  }
  ::close(fd);
  if (s.ok() && !piece.empty()) s = flush();
  if (s.ok() && digest->Finish() != section.extent.text_sha256)
    return FailedPreconditionError(path + ": the file changed since it was read (migration " +
                                   m.id + "); nothing of this section is kept");
  return s;
}

Status ForEachStatement(const Migration& m, const Section& section,
                        const std::function<bool(const db::SqlStatement&)>& sink) {
  db::SqlStatementStream split;
  bool go_on = true;
  auto forward = [&](const db::SqlStatement& st) {
    if (!go_on) return;
    db::SqlStatement at = st;
    at.line = static_cast<size_t>(section.first_line) + st.line - 1;
    go_on = sink(at);
  };
  // A stop is passed up as kCancelled and turned back into success here.
  Status s = ForEachSectionText(m, section, [&](std::string_view text) -> Status {
    split.Feed(text, forward);
    return go_on ? Status::Ok() : CancelledError("stop");
  });
  if (!go_on) return Status::Ok();
  CAIRN_RETURN_IF_ERROR(s);
  split.Finish(forward);
  return Status::Ok();
}

int TextGroup::LineAt(size_t at) const {
  at = std::min(at, text.size());
  return first_line + static_cast<int>(db::CountNewlines(text.substr(0, at)));
}

Status ForEachGroup(const Migration& m, const Section& section, size_t from,
                    const std::function<Status(const TextGroup&)>& sink) {
  const std::vector<size_t>& cuts = section.facts.cuts;
  size_t next_cut = 0;  // index into cuts of the next cut after the group's start
  std::string group;
  TextGroup g;
  g.offset = 0;
  g.first_line = section.first_line;
  size_t at = 0;  // text offset of the next byte to come
  Status status;
  auto emit = [&](size_t end) -> Status {
    g.text = std::string_view(group).substr(0, end - g.offset);
    if (g.text.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      Status s = sink(g);
      if (!s.ok()) return s;
    }
    g.first_line = g.LineAt(g.text.size());
    group.erase(0, end - g.offset);
    g.offset = end;
    return Status::Ok();
  };
  Status read = ForEachSectionText(m, section, [&](std::string_view piece) -> Status {
    // Text before `from` is skipped, its lines counted.
    if (at + piece.size() <= from) {
      g.first_line += static_cast<int>(db::CountNewlines(piece));
      at += piece.size();
      g.offset = at;
      return Status::Ok();
    }
    if (at < from) {
      const size_t skip = from - at;
      g.first_line += static_cast<int>(db::CountNewlines(piece.substr(0, skip)));
      piece.remove_prefix(skip);
      at = from;
      g.offset = from;
    }
    group.append(piece);
    at += piece.size();
    while (next_cut < cuts.size() && cuts[next_cut] <= g.offset) ++next_cut;
    while (next_cut < cuts.size() && cuts[next_cut] <= at) {
      CAIRN_RETURN_IF_ERROR(emit(cuts[next_cut]));
      ++next_cut;
    }
    return Status::Ok();
  });
  CAIRN_RETURN_IF_ERROR(read);
  return emit(at);
}

std::string CanonicalStatement(std::string_view text) {
  std::string out;
  AppendCanonical(text, &out);
  return out;
}

void AppendStatementBytes(std::string_view text, std::string* out) {
  const size_t at = out->size();
  out->append(4, '\0');
  AppendCanonical(text, out);
  const uint32_t n = static_cast<uint32_t>(out->size() - at - 4);
  for (int i = 0; i < 4; ++i) (*out)[at + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
}

std::string CutStatement(std::string_view statement, size_t limit) {
  if (statement.size() <= limit) return std::string(statement);
  size_t cut = limit;
  while (cut > 0 && (static_cast<unsigned char>(statement[cut]) & 0xC0) == 0x80) --cut;
  return std::string(statement.substr(0, cut)) + " ... [" + std::to_string(statement.size()) +
         " bytes]";
}

}  // namespace cairn::runner::source

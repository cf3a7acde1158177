#include "file_text.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::runner::source {
std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\f' || s.back() == '\v'))
    s.remove_suffix(1);
  return s;
}

namespace {

// Finds the end of the line starting at `from` in `s`: sets *text_end and
// *next and returns true, or returns false when the line may go on past
// `s` (no line end yet, or a CR that may be the first half of CRLF) and
// `at_end` is false.
bool NextLine(std::string_view s, size_t from, bool at_end, size_t* text_end, size_t* next) {
  // memchr finds the LF (the common line end) at SIMD speed; a CR before it
  // ends the line earlier (CR or CRLF).
  const char* begin = s.data() + from;
  const char* end = s.data() + s.size();
  const char* nl = static_cast<const char*>(std::memchr(begin, '\n', end - begin));
  const char* cr =
      static_cast<const char*>(std::memchr(begin, '\r', (nl == nullptr ? end : nl) - begin));
  if (cr != nullptr) {
    const size_t i = static_cast<size_t>(cr - s.data());
    if (i + 1 == s.size() && !at_end) return false;  // maybe the first half of CRLF
    *text_end = i;
    *next = i + 1 < s.size() && s[i + 1] == '\n' ? i + 2 : i + 1;
    return true;
  }
  if (nl != nullptr) {
    *text_end = static_cast<size_t>(nl - s.data());
    *next = *text_end + 1;
    return true;
  }
  if (!at_end) return false;
  *text_end = *next = s.size();
  return true;
}

}  // namespace

Status ForEachLine(std::string_view text, const LineSink& sink, uint64_t base, int first_number) {
  size_t pos = 0, text_end = 0, next = 0;
  int number = first_number;
  while (pos < text.size() && NextLine(text, pos, /*at_end=*/true, &text_end, &next)) {
    CAIRN_RETURN_IF_ERROR(
        sink(Line{text.substr(pos, text_end - pos), base + pos, base + next, number++}));
    pos = next;
  }
  return Status::Ok();
}

Status ForEachFileLine(int fd, const std::string& path, uint64_t begin, uint64_t end,
                       int first_number, const LineSink& sink) {
  std::string buf;
  size_t pos = 0;             // start of the first line not yet passed on, in buf
  uint64_t buf_base = begin;  // file offset of buf[0]
  uint64_t read_at = begin;
  int number = first_number;
  bool eof = false;
  while (!eof) {
    // Drop what was passed on, then read the next block behind the rest.
    if (pos > 0) {
      buf.erase(0, pos);
      buf_base += pos;
      pos = 0;
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(kBlockBytes, end - read_at));
    const size_t old = buf.size();
    buf.resize(old + want);
    size_t got = 0;
    while (got < want) {
      ssize_t n =
          ::pread(fd, buf.data() + old + got, want - got, static_cast<off_t>(read_at + got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return InvalidArgumentError(path + ": cannot read: " + std::strerror(errno));
      if (n == 0) break;
      got += static_cast<size_t>(n);
    }
    buf.resize(old + got);
    read_at += got;
    eof = got < want || read_at >= end;
    size_t text_end = 0, next = 0;
    while (pos < buf.size() && NextLine(buf, pos, eof, &text_end, &next)) {
      CAIRN_RETURN_IF_ERROR(sink(Line{std::string_view(buf).substr(pos, text_end - pos),
                                      buf_base + pos, buf_base + next, number++}));
      pos = next;
    }
  }
  return Status::Ok();
}

CanonicalHasher::CanonicalHasher(bool background) : sha_(MakeHasher(background)) {}
CanonicalHasher::~CanonicalHasher() = default;

void CanonicalHasher::AddLine(std::string_view line) {
  line = TrimRight(line);
  if (line.empty()) {
    ++pending_blank_;
    return;
  }
  while (pending_blank_ > 0) {  // a run of blank lines, however long, in bounded pieces
    const size_t n = std::min(pending_blank_, kBufferBytes);
    buffer_.append(n, '\n');
    pending_blank_ -= n;
    if (buffer_.size() >= kBufferBytes) {
      sha_->Update(buffer_);
      buffer_.clear();
    }
  }
  buffer_.append(line);
  buffer_.push_back('\n');
  if (buffer_.size() >= kBufferBytes) {
    sha_->Update(buffer_);
    buffer_.clear();
  }
}

std::string CanonicalHasher::Finish() {
  sha_->Update(buffer_);
  buffer_.clear();
  return "sha256:" + ledger::ToHex(sha_->Finish());
}

}  // namespace cairn::runner::source

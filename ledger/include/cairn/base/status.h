// Status and StatusOr<T>: the result of every operation that crosses a module
// boundary in cairn. Codes are gRPC's code set so the service maps them 1:1.
//
//   cairn::StatusOr<int64_t> pos = store.Append(tx, event);
//   if (!pos.ok()) return pos.status();
//   use(*pos);
//
// Exceptions never cross a module boundary: database adapters catch their
// driver's exceptions and return a Status.
//
// Beyond its code, a Status may carry an ErrorKind: what the error is, for a
// caller that must tell it from other errors of the same code (the CLI's exit
// code table, clients/exit_codes.cc). Callers test the kind, never the text
// of the message (docs/design.md, "The error model").
#ifndef CAIRN_BASE_STATUS_H_
#define CAIRN_BASE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace cairn {

// Numeric values equal grpc::StatusCode.
enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view StatusCodeName(StatusCode code);

// What an error is, in the spirit of Abseil's Status payloads: an open set
// with no central list, so that no module names another's errors. The module
// that makes an error declares its kind beside the function that returns it,
// named "module.Name":
//
//   // cairn/runner/plan.h
//   inline constexpr ErrorKind kPlanChanged{"runner.PlanChanged"};
//   return FailedPreconditionError("plan changed: ...").WithKind(kPlanChanged);
//   ...
//   if (status.kind() == runner::kPlanChanged) ...
//
// Kinds compare by name. The name must be a literal (the constructor is
// consteval), so a kind never dangles. The default kind is none.
class ErrorKind {
 public:
  constexpr ErrorKind() = default;
  consteval explicit ErrorKind(const char* name) : name_(name) {}

  constexpr std::string_view name() const { return name_; }
  constexpr bool none() const { return name_.empty(); }
  friend constexpr bool operator==(ErrorKind a, ErrorKind b) { return a.name_ == b.name_; }

 private:
  std::string_view name_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // None unless the error was made with WithKind. OK has none.
  ErrorKind kind() const { return kind_; }

  // "INVALID_ARGUMENT: message", or "OK". The kind is not shown.
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message", of the same code and
  // kind. OK stays OK.
  Status Annotate(std::string_view prefix) const;

  // Returns a copy of this error that carries `kind` (replacing any kind it
  // had). OK stays OK: an OK Status has no kind.
  Status WithKind(ErrorKind kind) const&;
  Status WithKind(ErrorKind kind) &&;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  ErrorKind kind_;
};

inline Status InvalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status AbortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status CancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status UnimplementedError(std::string m) {
  return {StatusCode::kUnimplemented, std::move(m)};
}

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : status_(status) { assert(!status.ok()); }         // NOLINT
  StatusOr(Status&& status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT
  StatusOr(const T& value) : value_(value) {}                                        // NOLINT
  StatusOr(T&& value) : value_(std::move(value)) {}                                  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Requires ok().
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace cairn

#define CAIRN_CONCAT_INNER_(a, b) a##b
#define CAIRN_CONCAT_(a, b) CAIRN_CONCAT_INNER_(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define CAIRN_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::cairn::Status cairn_status_ = (expr);        \
    if (!cairn_status_.ok()) return cairn_status_; \
  } while (0)

// `CAIRN_ASSIGN_OR_RETURN(auto x, Foo());` declares x from a StatusOr or returns its error.
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL_(CAIRN_CONCAT_(cairn_statusor_, __LINE__), lhs, expr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#endif  // CAIRN_BASE_STATUS_H_

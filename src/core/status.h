// Status and Result<T>: errors as values, used by core, storage and engine.
//
// A Status is either OK (no allocation) or a code with a message. The code set is
// small and domain-level; the one place that turns a code into an HTTP status is
// api/errors.cc. Exceptions do not cross layer boundaries: the Asio edge catches
// them and the storage backends translate their own errors into Status.
#pragma once

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cronq {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // the caller sent something malformed or out of range
  kNotFound,          // no such job, queue or schedule
  kConflict,          // the request is valid but the state forbids it (e.g. a stale lease)
  kUnauthenticated,   // no or unknown credentials
  kPermissionDenied,  // known credentials without the needed scope
  kTooLarge,          // a body, field or batch over its limit
  kUnavailable,       // storage cannot take writes now; retry later
  kInternal,          // a bug or an unexpected backend error
};

std::string_view CodeName(Code code);

class Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {Code::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status Unauthenticated(std::string msg) { return {Code::kUnauthenticated, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) { return {Code::kPermissionDenied, std::move(msg)}; }
  static Status TooLarge(std::string msg) { return {Code::kTooLarge, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return rep_ == nullptr; }
  Code code() const { return rep_ ? rep_->code : Code::kOk; }
  const std::string& message() const;
  std::string ToString() const;

  bool IsNotFound() const { return code() == Code::kNotFound; }
  bool IsConflict() const { return code() == Code::kConflict; }
  bool IsInvalidArgument() const { return code() == Code::kInvalidArgument; }

 private:
  struct Rep {
    Code code;
    std::string message;
  };
  Status(Code code, std::string msg) : rep_(std::make_shared<const Rep>(Rep{code, std::move(msg)})) {}
  std::shared_ptr<const Rep> rep_;
};

// Result<T> holds a T or a non-OK Status.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}                         // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cronq

// Propagates a non-OK Status out of the enclosing function.
#define CRONQ_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::cronq::Status _st = (expr);              \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define CRONQ_CONCAT_INNER(a, b) a##b
#define CRONQ_CONCAT(a, b) CRONQ_CONCAT_INNER(a, b)
// Assigns the value of a Result to lhs, or returns its Status.
#define CRONQ_ASSIGN_OR_RETURN(lhs, expr) \
  CRONQ_ASSIGN_OR_RETURN_IMPL(CRONQ_CONCAT(_res_, __LINE__), lhs, expr)
#define CRONQ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

// Errors as values: Expected<T, E> holds either a T or an E (default Error).
// Used across every library boundary instead of exceptions.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace whirl {

// A user-facing error: a complete sentence naming what is wrong.
struct Error {
  std::string message;
};

template <class E>
struct Unexpected {
  E error;
};

inline Unexpected<Error> make_error(std::string message) {
  return Unexpected<Error>{Error{std::move(message)}};
}

template <class E>
Unexpected<E> unexpected(E e) {
  return Unexpected<E>{std::move(e)};
}

template <class T, class E = Error>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  template <class E2>
  Expected(Unexpected<E2> e) : v_(std::in_place_index<1>, E(std::move(e.error))) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  E& error() & { return std::get<1>(v_); }
  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

// Expected<void>: success or an error.
template <class E>
class [[nodiscard]] Expected<void, E> {
 public:
  Expected() = default;
  template <class E2>
  Expected(Unexpected<E2> e) : err_(E(std::move(e.error))), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  E& error() & { return err_; }
  const E& error() const& { return err_; }

 private:
  E err_{};
  bool ok_ = true;
};

}  // namespace whirl

// Propagate an error from an Expected expression; evaluates to nothing.
#define WHIRL_TRY(expr)                                   \
  do {                                                    \
    auto&& whirl_try_r_ = (expr);                         \
    if (!whirl_try_r_) return ::whirl::unexpected(std::move(whirl_try_r_).error()); \
  } while (0)

// Spin's variables: application `[variables]` (a default, or `required`),
// each component's `variables` table of templates over them
// ("https://{{ host }}/api"), and the providers asked for values in order
// (whirl up --variable, runtime-config providers, the environment), as
// Spin's expression resolver (spin-expressions) does it. A component reads
// only its own `variables` keys; application variables are reached only
// through templates. Values are never put into messages: they may be
// secrets.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "spin/manifest/manifest.h"

namespace whirl::spin::variables {

// The cases of Spin's variables error (fermyon:spin/variables@2.0.0 `error`).
struct VarError {
  enum class Kind : uint8_t { InvalidName, Undefined, Provider, Other } kind = Kind::Other;
  std::string message;  // the case's payload, worded as Spin's
};
template <class T>
using VarResult = Expected<T, VarError>;

// A variable name as Spin accepts one: lower-case ASCII letters, digits and
// single underscores, starting with a letter and ending with a letter or a
// digit. The error is Spin's invalid-name message (`"aX": invalid ...`).
Expected<void, VarError> validate_name(std::string_view name);

// A `{{ name }}` template: literal text and variable names, in order.
struct Template {
  struct Part {
    bool is_name = false;
    std::string text;  // literal text, or the (trimmed) name
  };
  std::vector<Part> parts;
  // Spin's rules: `{{` up to the next `}}` is one name (trimmed); an
  // unmatched `{{` is an error; `}}` alone is literal.
  static Expected<Template> parse(std::string_view text);
};

// Where values come from, asked in order; the first with a value wins.
class Provider {
 public:
  virtual ~Provider() = default;
  // The value of application variable `name` (none: not known here), or
  // an error (which stops the lookup, as in Spin), never naming the value.
  virtual Expected<std::optional<std::string>> get(const std::string& name) const = 0;
  // Whether it has a value, for the startup check of required variables
  // (Spin's may_resolve; a remote provider would say yes without asking).
  virtual bool may_resolve(const std::string& name) const {
    auto v = get(name);
    return v && v->has_value();
  }
  // Where it would look for `name`, for messages:
  // "the environment (SPIN_VARIABLE_API_KEY, or .env)".
  virtual std::string describe(const std::string& name) const = 0;
};

class Resolver {
 public:
  // Checks the names (application variables and component keys) and that
  // every template names an application variable; errors name the
  // manifest position.
  static Expected<std::shared_ptr<Resolver>> create(const AppManifest& app,
                                                    std::vector<std::unique_ptr<Provider>> providers);

  // fermyon:spin/variables `get` for component `component`: its key `key`
  // (invalid-name, undefined) with the template resolved (provider).
  VarResult<std::string> get(std::string_view component, std::string_view key) const;
  // Every key of the component's `variables`, resolved, in manifest order.
  VarResult<std::vector<std::pair<std::string, std::string>>> get_all(std::string_view component) const;
  // The value of application variable `name`: the providers, then its default.
  VarResult<std::string> variable(std::string_view name) const;
  // A template over application variables (allowed_outbound_hosts entries,
  // trigger settings). Errors name the variable, never a value.
  VarResult<std::string> resolve(std::string_view text) const;

  // Spin's startup check: every application variable without a default
  // may be resolved by some provider; else an error naming each one.
  Expected<void> check_required() const;

  bool is_secret(std::string_view name) const;

 private:
  Resolver() = default;
  struct Component {
    std::string id;
    std::vector<std::pair<std::string, Template>> keys;
  };
  const Variable* find(std::string_view name) const;
  VarResult<std::string> render(const Template& t) const;

  std::string manifest_;  // the manifest's path, for messages
  std::vector<Variable> vars_;
  std::vector<Component> components_;
  std::vector<std::unique_ptr<Provider>> providers_;
};

// Rust's `{:?}` of a string ("\"x\""), as Spin's messages quote names.
std::string debug_quote(std::string_view s);

}  // namespace whirl::spin::variables

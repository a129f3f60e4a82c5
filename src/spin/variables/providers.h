// Where variable values come from, as Spin's providers: the environment
// (`SPIN_VARIABLE_<NAME>`, then a dotenv file), static values (`whirl up
// --variable`, a runtime-config `type = "static"` provider), and the
// runtime config's `[[variables_provider]]` (or its older name
// `[[config_provider]]`) list, asked before the environment, in file order.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/expected.h"
#include "spin/factor/runtime_config.h"
#include "spin/manifest/manifest.h"
#include "spin/variables/resolver.h"

namespace whirl::spin::variables {

// Looks up one environment variable (none: unset).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
// The process environment.
EnvLookup process_env();

// A dotenv file as Spin reads one (dotenvy): `KEY=value` lines, optionally
// after `export`; `#` comments and blank lines; 'single quotes' literal;
// "double quotes" with \\ \" \' \$ \n escapes; unquoted values end at a
// blank (a comment may follow); $NAME and ${NAME} substituted from the
// environment, then from earlier lines. A missing file is empty. Errors
// give the file and line, never the line's text (it may hold a secret).
Expected<std::map<std::string, std::string>> read_dotenv(const std::filesystem::path& path, const EnvLookup& env);

// SPIN_VARIABLE_<NAME> (or PREFIX_<NAME>): the variable's name upper-cased
// after the prefix and an underscore. Not set: the dotenv file, read once.
class EnvProvider final : public Provider {
 public:
  // `dotenv`: empty for none. Spin's default provider reads `.env` of the
  // working directory.
  EnvProvider(std::string prefix, EnvLookup env, std::filesystem::path dotenv);
  Expected<std::optional<std::string>> get(const std::string& name) const override;
  std::string describe(const std::string& name) const override;
  std::string key_of(const std::string& name) const;  // "SPIN_VARIABLE_API_KEY"

 private:
  std::string prefix_;
  EnvLookup env_;
  std::filesystem::path dotenv_;
  mutable std::once_flag dotenv_once_;
  mutable Expected<std::map<std::string, std::string>> dotenv_values_ = std::map<std::string, std::string>{};
};

// Fixed values by variable name.
class StaticProvider final : public Provider {
 public:
  StaticProvider(std::map<std::string, std::string> values, std::string what)
      : values_(std::move(values)), what_(std::move(what)) {}
  Expected<std::optional<std::string>> get(const std::string& name) const override;
  std::string describe(const std::string& name) const override;

 private:
  std::map<std::string, std::string> values_;
  std::string what_;
};

// `whirl up --variable` arguments, as `spin up --variable`: KEY=VALUE,
// KEY=@FILE (the file's text), @FILE.json or @FILE.toml (a table of string
// values). Later ones win.
Expected<StringPairs> read_variable_args(const std::vector<std::string>& args);

struct ProviderOptions {
  EnvLookup env;                       // empty: the process environment
  StringPairs cli_values;              // whirl up --variable: asked first
  std::filesystem::path default_dotenv = ".env";  // the default environment provider's file
};

// Every provider in Spin's order: --variable values, the runtime config's
// providers in file order, then the default environment provider. A bad
// provider entry is an error with FILE:LINE:COLUMN; `vault` and
// `azure_key_vault` are recognised and refused as not supported.
Expected<std::vector<std::unique_ptr<Provider>>> make_providers(const RuntimeConfig& config,
                                                               const ProviderOptions& options);

}  // namespace whirl::spin::variables

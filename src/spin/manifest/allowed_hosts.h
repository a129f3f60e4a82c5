// A component's `allowed_outbound_hosts` as Spin defines them
// (spin-outbound-networking): each entry is `scheme://host[:port]` with
// `*` for any scheme, host or port, `*.domain` for subdomains, a CIDR
// range for the host (`*://10.0.0.0/8:80`), `a..b` for a port range (end
// excluded), the scheme's well-known port when none is written, `self`
// (`http://self`, `*://self:*`) for requests without an authority, which
// go to the app itself, and `{{ variable }}` templates naming application
// variables, resolved before parsing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "spin/manifest/manifest.h"

namespace whirl::spin {

// The parts of a URL the check looks at.
struct OutboundUrl {
  std::string scheme;           // lowercase
  std::string host;             // as in the URL ("[::1]" keeps its brackets, as Spin's url crate prints it)
  std::optional<uint16_t> port; // none: the scheme's default
};

// "https://example.com:8443/x", or "example.com:8443" with `default_scheme`;
// an error if it has no host.
Expected<OutboundUrl> parse_outbound_url(std::string_view url, std::string_view default_scheme);

// The scheme's well-known port (http 80, https 443, postgres, mysql, redis, mqtt).
std::optional<uint16_t> well_known_port(std::string_view scheme);

class AllowedHost {
 public:
  // One literal entry (no templates); errors say what is wrong with it.
  static Expected<AllowedHost> parse(std::string_view entry);
  bool allows(const OutboundUrl& url) const;
  // A relative URL (no authority): allowed by `self` or a `*` host.
  bool allows_relative(std::span<const std::string_view> schemes) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::string> schemes_;  // empty: any
  enum class Host : uint8_t { Any, Subdomain, Self, Name, Cidr } host_kind_ = Host::Any;
  std::string host_;                  // Name: the host; Subdomain: ".domain"
  std::vector<uint8_t> net_;          // Cidr: the address (4 or 16 bytes)
  unsigned prefix_ = 0;               // Cidr: prefix length
  bool any_port_ = false;
  uint32_t port_lo_ = 0, port_hi_ = 0;  // [lo, hi)
};

// Looks up an application variable's value (none: no value).
using VariableLookup = std::function<std::optional<std::string>(std::string_view name)>;

class AllowedHosts {
 public:
  // Resolves templates with `lookup`, then parses every entry.
  // `insecure:allow-all` is refused as Spin refuses it.
  static Expected<AllowedHosts> parse(const std::vector<std::string>& entries, const VariableLookup& lookup);
  bool allows(const OutboundUrl& url) const;
  bool allows_relative() const;  // for the schemes http and https, as Spin's wasi:http does
  const std::vector<AllowedHost>& entries() const { return hosts_; }

 private:
  std::vector<AllowedHost> hosts_;
};

// The variable names of `{{ ... }}` templates in `text`, or an error for an
// unclosed or empty one.
Expected<std::vector<std::string>> template_variables(std::string_view text);

// Manifest-time check of one component's entries (templates are checked to
// name application variables; literal entries are parsed). The error names
// the entry.
Expected<void> validate_allowed_hosts(const std::vector<std::string>& entries, const AppManifest& app);

// The value Spin gives an application variable: SPIN_VARIABLE_<NAME> (through
// `getenv_fn`), else its default.
std::optional<std::string> variable_value(const AppManifest& app, std::string_view name,
                                          const std::function<const char*(const char*)>& getenv_fn);

}  // namespace whirl::spin

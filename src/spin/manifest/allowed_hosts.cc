// Spin's allowed_outbound_hosts: parsing entries the way
// spin-outbound-networking does (same splitting, same errors) and checking
// request URLs against them.
#include "spin/manifest/allowed_hosts.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace whirl::spin {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return out;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

template <class T>
bool parse_number(std::string_view s, T& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

// An IPv4 or IPv6 address (IPv6 with or without brackets) into bytes.
bool parse_ip(std::string_view s, std::vector<uint8_t>& out) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  std::string str(s);
  uint8_t buf[16];
  if (inet_pton(AF_INET, str.c_str(), buf) == 1) {
    out.assign(buf, buf + 4);
    return true;
  }
  if (inet_pton(AF_INET6, str.c_str(), buf) == 1) {
    out.assign(buf, buf + 16);
    return true;
  }
  return false;
}

bool in_net(const std::vector<uint8_t>& net, unsigned prefix, const std::vector<uint8_t>& ip) {
  if (net.size() != ip.size()) return false;
  for (unsigned bit = 0; bit < prefix; ++bit) {
    uint8_t mask = uint8_t(0x80 >> (bit % 8));
    if ((net[bit / 8] & mask) != (ip[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

std::optional<uint16_t> well_known_port(std::string_view scheme) {
  if (scheme == "postgres") return 5432;
  if (scheme == "mysql") return 3306;
  if (scheme == "redis") return 6379;
  if (scheme == "mqtt") return 1883;
  if (scheme == "http") return 80;
  if (scheme == "https") return 443;
  return std::nullopt;
}

Expected<OutboundUrl> parse_outbound_url(std::string_view url, std::string_view default_scheme) {
  OutboundUrl out;
  std::string_view rest = url;
  if (auto p = url.find("://"); p != std::string_view::npos) {
    out.scheme = lower(url.substr(0, p));
    rest = url.substr(p + 3);
  } else {
    out.scheme = lower(default_scheme);
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority = authority.substr(at + 1);
  std::string_view host = authority, port;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error(in_quotes(url) + " has an unclosed IPv6 address");
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return make_error(in_quotes(url) + " is not a valid URL");
      port = after.substr(1);
    }
  } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c);
    port = authority.substr(c + 1);
  }
  if (host.empty()) return make_error(in_quotes(url) + " does not have a host component");
  out.host = lower(host);
  if (!port.empty()) {
    uint16_t p = 0;
    if (!parse_number(port, p)) return make_error(in_quotes(url) + " has an invalid port");
    out.port = p;
  }
  return out;
}

Expected<AllowedHost> AllowedHost::parse(std::string_view entry) {
  AllowedHost h;
  h.text_ = std::string(entry);
  std::string_view url = trim(entry);
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return make_error(in_quotes(url) + " does not contain a scheme (e.g., 'http://' or '*://')");
  std::string_view scheme = url.substr(0, sep), rest = url.substr(sep + 3);
  // Spin splits at the last ':' (so "[::1]" without a port is an error, as in Spin).
  std::string_view host = rest, port_part;
  if (auto c = rest.rfind(':'); c != std::string_view::npos) {
    host = rest.substr(0, c);
    port_part = rest.substr(c + 1);
  }
  std::string_view port = port_part;
  if (auto slash = port_part.find('/'); slash != std::string_view::npos) {
    if (slash + 1 < port_part.size()) return make_error(in_quotes(url) + " has a path but is not allowed to");
    port = port_part.substr(0, slash);
  }

  if (scheme == "*") {
  } else if (!scheme.empty() && scheme.front() == '{') {
    return make_error("scheme lists are not yet supported");
  } else {
    if (scheme.empty() || !std::all_of(scheme.begin(), scheme.end(), [](char c) { return std::isalpha((unsigned char)c); }))
      return make_error("scheme " + in_quotes(scheme) + " contains non alphabetic character");
    h.schemes_.push_back(lower(scheme));
  }

  host = trim(host);
  if (!host.empty() && host.back() == '/' && host.find('/') == host.size() - 1) host.remove_suffix(1);
  if (host == "*") {
    h.host_kind_ = Host::Any;
  } else if (host == "self") {
    h.host_kind_ = Host::Self;
  } else if (!host.empty() && host.front() == '{') {
    return make_error("host lists are not yet supported");
  } else if (auto slash = host.find('/'); slash != std::string_view::npos) {
    unsigned prefix = 0;
    if (!parse_ip(host.substr(0, slash), h.net_) || !parse_number(host.substr(slash + 1), prefix) ||
        prefix > h.net_.size() * 8)
      return make_error("hosts must not contain paths");
    h.host_kind_ = Host::Cidr;
    h.prefix_ = prefix;
  } else if (host.substr(0, 2) == "*.") {
    std::string_view domain = host.substr(2);
    if (domain.find('*') != std::string_view::npos)
      return make_error("Invalid allowed host " + std::string(host) + ": wildcards are allowed only as prefixes");
    h.host_kind_ = Host::Subdomain;
    h.host_ = "." + lower(domain);
  } else if (host.find('*') != std::string_view::npos) {
    return make_error("Invalid allowed host " + std::string(host) + ": wildcards are allowed only as subdomains");
  } else if (host.empty()) {
    return make_error(in_quotes(url) + " has no host");
  } else {
    h.host_kind_ = Host::Name;
    h.host_ = lower(host);
  }

  if (port.empty()) {
    auto p = well_known_port(scheme);
    if (!p)
      return make_error("no port was provided and the scheme " + in_quotes(scheme) +
                        " does not have a known default port number");
    h.port_lo_ = *p;
    h.port_hi_ = uint32_t(*p) + 1;
  } else if (port == "*") {
    h.any_port_ = true;
  } else if (port.front() == '{') {
    return make_error("port lists are not yet supported");
  } else if (auto dots = port.find(".."); dots != std::string_view::npos) {
    uint16_t lo = 0, hi = 0;
    if (!parse_number(port.substr(0, dots), lo) || !parse_number(port.substr(dots + 2), hi))
      return make_error("port range " + in_quotes(port) + " contains non-number");
    h.port_lo_ = lo;
    h.port_hi_ = hi;  // end excluded, as Rust's a..b
  } else {
    uint16_t p = 0;
    if (!parse_number(port, p)) return make_error("port " + in_quotes(port) + " is not a number");
    h.port_lo_ = p;
    h.port_hi_ = uint32_t(p) + 1;
  }
  return h;
}

bool AllowedHost::allows(const OutboundUrl& url) const {
  if (!schemes_.empty() && std::find(schemes_.begin(), schemes_.end(), url.scheme) == schemes_.end()) return false;
  switch (host_kind_) {
    case Host::Any: break;
    case Host::Self: return false;  // only requests without an authority
    case Host::Subdomain:
      if (url.host.size() < host_.size() || url.host.compare(url.host.size() - host_.size(), host_.size(), host_) != 0)
        return false;
      break;
    case Host::Name:
      if (url.host != host_) return false;
      break;
    case Host::Cidr: {
      std::vector<uint8_t> ip;
      if (!parse_ip(url.host, ip) || !in_net(net_, prefix_, ip)) return false;
      break;
    }
  }
  if (any_port_) return true;
  auto port = url.port ? url.port : well_known_port(url.scheme);
  return port && *port >= port_lo_ && *port < port_hi_;
}

bool AllowedHost::allows_relative(std::span<const std::string_view> schemes) const {
  bool scheme_ok = schemes_.empty() || std::any_of(schemes.begin(), schemes.end(), [&](std::string_view s) {
                     return std::find(schemes_.begin(), schemes_.end(), s) != schemes_.end();
                   });
  return scheme_ok && (host_kind_ == Host::Any || host_kind_ == Host::Self);
}

Expected<std::vector<std::string>> template_variables(std::string_view text) {
  std::vector<std::string> names;
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    size_t end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) return make_error("unclosed `{{` in " + in_quotes(text));
    std::string_view name = trim(text.substr(pos + 2, end - pos - 2));
    if (name.empty()) return make_error("empty `{{ }}` in " + in_quotes(text));
    names.emplace_back(name);
    pos = end + 2;
  }
  return names;
}

namespace {

// `{{ name }}` replaced by the variables' values.
Expected<std::string> resolve_template(std::string_view text, const VariableLookup& lookup) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = text.find("{{", pos);
    if (open == std::string_view::npos) break;
    size_t end = text.find("}}", open + 2);
    if (end == std::string_view::npos) return make_error("unclosed `{{` in " + in_quotes(text));
    std::string name(trim(text.substr(open + 2, end - open - 2)));
    auto value = lookup ? lookup(name) : std::nullopt;
    if (!value) return make_error("variable `" + name + "` has no value");
    out.append(text.substr(pos, open - pos));
    out += *value;
    pos = end + 2;
  }
  out.append(text.substr(pos));
  return out;
}

Expected<void> check_allow_all(const std::vector<std::string>& entries) {
  if (entries.size() == 1 && entries[0] == "insecure:allow-all")
    return make_error("'insecure:allow-all' is not allowed - use '*://*:*' instead if you really want to allow all "
                      "outbound traffic");
  return {};
}

}  // namespace

Expected<AllowedHosts> AllowedHosts::parse(const std::vector<std::string>& entries, const VariableLookup& lookup) {
  if (auto ok = check_allow_all(entries); !ok) return unexpected(ok.error());
  AllowedHosts out;
  for (const auto& e : entries) {
    auto text = resolve_template(e, lookup);
    if (!text) return make_error("allowed_outbound_hosts entry " + in_quotes(e) + ": " + text.error().message);
    auto h = AllowedHost::parse(*text);
    if (!h) return make_error("allowed_outbound_hosts entry " + in_quotes(*text) + ": " + h.error().message);
    out.hosts_.push_back(std::move(*h));
  }
  return out;
}

bool AllowedHosts::allows(const OutboundUrl& url) const {
  return std::any_of(hosts_.begin(), hosts_.end(), [&](const AllowedHost& h) { return h.allows(url); });
}

bool AllowedHosts::allows_relative() const {
  static constexpr std::string_view kSchemes[] = {"http", "https"};
  return std::any_of(hosts_.begin(), hosts_.end(), [](const AllowedHost& h) { return h.allows_relative(kSchemes); });
}

Expected<void> validate_allowed_hosts(const std::vector<std::string>& entries, const AppManifest& app) {
  if (auto ok = check_allow_all(entries); !ok) return ok;
  for (const auto& e : entries) {
    auto names = template_variables(e);
    if (!names) return make_error("allowed_outbound_hosts entry " + in_quotes(e) + ": " + names.error().message);
    if (names->empty()) {
      if (auto h = AllowedHost::parse(e); !h)
        return make_error("allowed_outbound_hosts entry " + in_quotes(e) + ": " + h.error().message);
      continue;
    }
    for (const auto& n : *names) {
      bool defined = std::any_of(app.variables.begin(), app.variables.end(), [&](const Variable& v) { return v.name == n; });
      if (!defined)
        return make_error("allowed_outbound_hosts entry " + in_quotes(e) + " refers to `" + n +
                          "`, which is not in [variables]");
    }
  }
  return {};
}

std::optional<std::string> variable_value(const AppManifest& app, std::string_view name,
                                          const std::function<const char*(const char*)>& getenv_fn) {
  for (const auto& v : app.variables) {
    if (v.name != name) continue;
    std::string env = "SPIN_VARIABLE_";
    for (char ch : v.name) env.push_back(ch >= 'a' && ch <= 'z' ? char(ch - 32) : ch);
    if (getenv_fn)
      if (const char* value = getenv_fn(env.c_str())) return std::string(value);
    return v.default_value;
  }
  return std::nullopt;
}

}  // namespace whirl::spin

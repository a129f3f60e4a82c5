#include "spin/http/spin_headers.h"

namespace whirl::spin::http {
namespace {

// SPIN_PATH_MATCH_USER_ID -> spin-path-match-user-id, as Spin derives header names.
std::string header_key(std::string_view env_style) {
  std::string s(env_style);
  for (char& c : s) {
    if (c == '_') c = '-';
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

std::vector<SpinHeader> compute_spin_headers(const Request& req, const RouteMatch& match, std::string_view base_path,
                                             std::string_view scheme) {
  std::string host(req.header("host").value_or("localhost"));
  std::string path_and_query = req.path + (req.query.empty() && req.target.find('?') == std::string::npos
                                               ? std::string()
                                               : "?" + req.query);
  std::vector<SpinHeader> out;
  out.reserve(7 + match.params.size());
  out.push_back({"spin-full-url", "X_FULL_URL", std::string(scheme) + "://" + host + path_and_query});
  out.push_back({"spin-path-info", "PATH_INFO", match.trailing});
  out.push_back({"spin-matched-route", "X_MATCHED_ROUTE", match.pattern().based});
  out.push_back({"spin-base-path", "X_BASE_PATH", std::string(base_path.empty() ? "/" : base_path)});
  out.push_back({"spin-raw-component-route", "X_RAW_COMPONENT_ROUTE", match.pattern().raw});
  out.push_back({"spin-component-route", "X_COMPONENT_ROUTE", match.pattern().raw_prefix()});
  out.push_back({"spin-client-addr", "X_CLIENT_ADDR", req.client_addr()});
  for (const auto& [name, value] : match.params) {
    std::string n = upper(name);
    out.push_back({header_key("SPIN_PATH_MATCH_" + n), "X_PATH_MATCH_" + n, value});
  }
  return out;
}

}  // namespace whirl::spin::http

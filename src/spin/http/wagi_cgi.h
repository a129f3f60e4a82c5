// WAGI's CGI/1.1 side, as Spin's WAGI executor does it: the environment and
// argv a module runs with, and how its stdout becomes an HTTP response.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/expected.h"
#include "spin/http/message.h"
#include "spin/http/router.h"
#include "spin/manifest/manifest.h"

namespace whirl::spin::http {

struct WagiInvocation {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;  // component environment first, then CGI variables
};

// CGI variables (REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, ..., HTTP_<HEADER>)
// plus Spin's X_* routing variables, after the component's `environment`
// (which wins on a clash). argv: the `argv` template with ${SCRIPT_NAME} as
// the request path and ${ARGS} the query with `&` as spaces, split on spaces.
WagiInvocation build_wagi_invocation(const Request& req, const RouteMatch& match, const WagiConfig& config,
                                     const StringPairs& component_env, std::string_view base_path);

// Parses CGI output: header lines up to an empty line (CR ignored), then the
// body. `Status: CODE [reason]` sets the status (an unparsable code gives
// 502), `Location` without a status gives 302, other valid header lines are
// copied. Fails (the caller answers 500) when there is no `Content-Type`,
// `Location` or `Status`, or the header block is not UTF-8.
Expected<Response> parse_cgi_response(std::string_view out);

// Guest stdout as it is written → the HTTP response: the CGI header block
// is buffered (up to `header_limit` bytes), parsed as parse_cgi_response
// does, and the response started; body bytes then go straight to `out`
// (so a body never sits whole in memory).
class CgiResponseStream {
 public:
  CgiResponseStream(ResponseWriter& out, size_t header_limit) : out_(out), header_limit_(header_limit) {}
  // False when no more output is wanted: the client is gone, or the header
  // block is invalid or too large (then error() says why).
  bool feed(std::string_view bytes);
  // The guest is done: completes the response, or says why there is none
  // (no output, no header block, ...); nothing was sent then.
  Expected<void> finish();
  bool started() const { return started_; }
  bool any_output() const { return any_output_; }
  const std::string& error() const { return error_; }

 private:
  bool start(std::string_view block);

  ResponseWriter& out_;
  size_t header_limit_;
  std::string head_;  // output until the blank line
  char last_ = 0;     // the last non-CR byte scanned
  bool started_ = false, any_output_ = false;
  std::string error_;
};

// Percent-decodes (invalid escapes kept as written).
std::string percent_decode(std::string_view s);

}  // namespace whirl::spin::http

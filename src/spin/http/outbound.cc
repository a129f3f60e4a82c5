#include "spin/http/outbound.h"

#include "spin/http/trigger.h"
#include "wasi/http/exchange.h"

namespace whirl::spin::http {
namespace {

using component::abi::Value;
using wasi::http::Exchange;
constexpr size_t kSelfBodyLimit = 64ull << 20;  // a self request's body is gathered whole, as the server's are
constexpr uint32_t kMaxSelfDepth = 8;           // requests of an app to itself nested in one client request

// The inner request's response, into the exchange as the inner guest writes it.
class SelfWriter final : public ResponseWriter {
 public:
  explicit SelfWriter(Exchange& ex) : ex_(ex) {}
  bool start(unsigned status, std::vector<Header> headers) override {
    if (started_ || cancel_.cancelled()) return false;
    started_ = true;
    wasi::http::FieldList fl;
    for (auto& h : headers)
      if (!wasi::http::is_forbidden_header(h.name)) fl.emplace_back(std::move(h.name), std::move(h.value));
    ex_.respond(uint16_t(status), std::move(fl));
    return true;
  }
  bool write(std::string_view bytes) override { return !cancel_.cancelled() && ex_.push_response(bytes); }
  void finish() override { ex_.end_response(); }
  void abort() override {
    if (!started_) {
      start(500, {});
      ex_.end_response();
    } else {
      ex_.fail(Value::variant("connection-terminated"));
    }
  }
  bool started() const override { return started_; }
  void cancel() override { cancel_.cancel(); }
  bool cancelled() const override { return cancel_.cancelled(); }
  void on_cancel(std::function<void()> hook) override { cancel_.on_cancel(std::move(hook)); }

 private:
  Exchange& ex_;
  bool started_ = false;
  Cancellation cancel_;
};

void send_to_self(HttpTrigger& trigger, const std::string& authority, uint32_t depth, Exchange& ex) {
  // Each level holds an instance, a thread and its memory until the ones
  // it called answer: a request that would nest deeper fails instead.
  if (depth >= kMaxSelfDepth) return ex.fail(Value::variant("loop-detected"));
  std::string body, chunk;
  while (true) {
    auto ev = ex.next_body(chunk);
    if (ev == Exchange::BodyEvent::Cancelled) return;
    if (ev == Exchange::BodyEvent::Failed)
      return ex.fail(Value::variant("internal-error", Value::some(Value::string(chunk))));
    if (ev == Exchange::BodyEvent::End) break;
    body += chunk;
    if (body.size() > kSelfBodyLimit) return ex.fail(Value::variant("HTTP-request-body-size", Value::none()));
  }
  const wasi::http::OutboundRequest& o = ex.request();
  Request req;
  req.method = o.method;
  req.set_target(o.path_with_query);
  for (const auto& [n, v] : o.headers) req.headers.push_back({n, v});
  if (!authority.empty()) req.headers.push_back({"host", authority});  // the app's own address, as Spin's self origin
  req.body = std::move(body);
  req.self_depth = depth + 1;
  SelfWriter w(ex);
  ex.on_cancel([&w] { w.cancel(); });  // the outer guest left: stop the inner one
  trigger.handle(req, w);
  ex.on_cancel({});
  if (!w.started()) ex.fail(Value::variant("internal-error", Value::some(Value::string("no response from the app"))));
}

// The entries with their templates resolved; errors name the entry as
// written and never a value (a secret variable's is not even hinted at).
Expected<std::vector<std::string>> resolve_entries(const std::vector<std::string>& entries,
                                                   const variables::Resolver* vars) {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    auto t = variables::Template::parse(e);
    if (!t) return make_error("allowed_outbound_hosts entry \"" + e + "\": " + t.error().message);
    bool templated = false, secret = false;
    for (const auto& p : t->parts)
      if (p.is_name) templated = true, secret = secret || (vars && vars->is_secret(p.text));
    if (!templated) {
      out.push_back(e);
      continue;
    }
    if (!vars) return make_error("allowed_outbound_hosts entry \"" + e + "\": the app has no variables");
    auto v = vars->resolve(e);
    if (!v) return make_error("allowed_outbound_hosts entry \"" + e + "\": " + v.error().message);
    if (auto h = AllowedHost::parse(*v); !h)
      return make_error("allowed_outbound_hosts entry \"" + e + "\" is not a valid host once resolved" +
                        (secret ? std::string(" (it uses a secret variable, whose value is not shown)")
                                : ": " + h.error().message));
    out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace

std::shared_ptr<const Expected<AllowedHosts>> OutboundPolicies::hosts_of(const ExecRequest& r) {
  std::lock_guard lock(mu_);
  auto& slot = hosts_[r.component.id];
  if (!slot) {
    std::vector<std::string> entries;
    if (r.component.config) entries = r.component.config->allowed_outbound_hosts;
    auto resolved = resolve_entries(entries, vars_.get());
    slot = std::make_shared<const Expected<AllowedHosts>>(
        resolved ? AllowedHosts::parse(*resolved, {}) : Expected<AllowedHosts>(unexpected(resolved.error())));
  }
  return slot;
}

wasi::http::OutboundConfig OutboundPolicies::config(const ExecRequest& r) {
  wasi::http::OutboundConfig c;
  c.extra_ca_file = extra_ca_;
  auto hosts = hosts_of(r);
  LogSink* logs = &r.logs;
  std::string id = r.component.id;
  c.route = [hosts, logs, id](const wasi::http::OutboundRequest& req) {
    using Route = wasi::http::OutboundConfig::Route;
    if (!*hosts) {
      logs->error("component `" + id + "`: outbound request denied: " + hosts->error().message);
      return Route::Deny;
    }
    if (!req.authority) {
      if ((*hosts)->allows_relative()) return Route::Self;
      logs->error("component `" + id + "`: a request to the app itself (" + req.path_with_query +
                  ") is denied; add \"http://self\" to allowed_outbound_hosts");
      return Route::Deny;
    }
    auto url = parse_outbound_url(req.scheme + "://" + *req.authority, "https");
    if (url && (*hosts)->allows(*url)) return Route::Network;
    logs->error("component `" + id + "`: outbound request to " + req.scheme + "://" + *req.authority +
                " is denied; to allow it add \"" + req.scheme + "://" + *req.authority +
                "\" to allowed_outbound_hosts");
    return Route::Deny;
  };
  if (r.router) {
    HttpTrigger* trigger = r.router;
    std::string authority(r.request.header("host").value_or(""));
    uint32_t depth = r.request.self_depth;
    c.send_to_self = [trigger, authority, depth](Exchange& ex) { send_to_self(*trigger, authority, depth, ex); };
  }
  return c;
}

}  // namespace whirl::spin::http

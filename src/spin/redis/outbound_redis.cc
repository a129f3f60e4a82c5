#include "spin/redis/outbound_redis.h"

#include <cstdio>
#include <map>

#include "spin/manifest/allowed_hosts.h"
#include "spin/redis/client.h"
#include "spin/variables/variables.h"
#include "wasi/p2/ctx.h"

namespace whirl::spin {
namespace {

namespace abi = component::abi;
using abi::Value;
using component::TypeKind;
using component::runtime::HostCall;
using component::runtime::Linker;
using redis::ClientResult;
using redis::RedisConnection;
using redis::RedisReply;
using wasi::p2::HostResult;

constexpr const char* kV2 = "fermyon:spin/redis@2.0.0";
constexpr const char* kV1 = "fermyon:spin/redis";
constexpr const char* kV1Types = "fermyon:spin/redis-types";
// Spin's limits: connections one instance may hold open (its resource
// table) and the bytes of one reply it buffers (MAX_HOST_BUFFERED_BYTES).
constexpr size_t kMaxConnections = 1024;
constexpr size_t kMaxReplyBytes = size_t(128) << 20;

using HostsRef = std::shared_ptr<const Expected<AllowedHosts>>;

struct AppState {
  std::map<std::string, HostsRef, std::less<>> hosts;  // by component id
};

struct Instance {
  std::string component;
  HostsRef hosts;
  wasi::p2::Table<std::unique_ptr<RedisConnection>> connections;
};

// ---- results ----
HostResult ret(Value v) { return wasi::p2::ret(std::move(v)); }
HostResult no_state() { return wasi::p2::trap("outbound Redis is not set up for this instance"); }
HostResult interrupted() { return wasi::p2::interrupted(); }

// The v2 error cases.
Value invalid_address() { return Value::err(Value::variant("invalid-address")); }
Value too_many_connections() { return Value::err(Value::variant("too-many-connections")); }
Value type_error() { return Value::err(Value::variant("type-error")); }
Value other(std::string message) { return Value::err(Value::variant("other", Value::string(std::move(message)))); }

Value s64(int64_t v) { return Value::sint(TypeKind::S64, v); }

// A failed operation: Spin says `other` with the client's message; a wait
// cut short by the store's interrupt (time limit, shutdown) ends the guest.
struct OpError {
  Value error;  // an err(...) value
  bool interrupted = false;
};
template <class T>
using Op = Expected<T, OpError>;

OpError op_other(std::string m) { return OpError{other(std::move(m))}; }
OpError op_type_error(std::string) { return OpError{type_error()}; }
using ConvertError = OpError (*)(std::string);

std::string incompatible(std::string_view want) {
  return "Response was of incompatible type - TypeError: \"Response type not " + std::string(want) + " compatible\"";
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n;
  }
  return true;
}

size_t reply_bytes(const RedisReply& r) {
  size_t n = sizeof(RedisReply) + r.str.size();
  for (const auto& e : r.elements) n += reply_bytes(e);
  return n;
}

// ---- the address check ----
// Whether `address` is granted by the component's allowed_outbound_hosts
// (a URL that does not parse is not, as in Spin); a denial is logged with
// the scheme and authority only (the address may hold a password).
bool allowed(const Instance& s, std::string_view address) {
  if (!*s.hosts) {
    std::fprintf(stderr, "component `%s`: outbound Redis denied: %s\n", s.component.c_str(),
                 s.hosts->error().message.c_str());
    return false;
  }
  auto url = parse_outbound_url(address, "redis");
  if (url && (*s.hosts)->allows(*url)) return true;
  if (url) {
    std::string where = url->scheme + "://" + url->host + (url->port ? ":" + std::to_string(*url->port) : "");
    std::fprintf(stderr,
                 "component `%s`: outbound Redis connection to %s is denied; to allow it add \"%s\" to "
                 "allowed_outbound_hosts\n",
                 s.component.c_str(), where.c_str(), where.c_str());
  } else {
    std::fprintf(stderr, "component `%s`: outbound Redis: the address is not a valid URL: %s\n", s.component.c_str(),
                 url.error().message.c_str());
  }
  std::fflush(stderr);
  return false;
}

redis::Cancel cancel_of(HostCall& call) {
  return [&call] { return call.store().interrupted(); };
}

// Connects to an allowed address: Spin's `open`.
Op<std::unique_ptr<RedisConnection>> connect(Instance& s, HostCall& call, std::string_view address) {
  if (!allowed(s, address)) return unexpected(OpError{invalid_address()});
  auto parsed = redis::parse_redis_address(address);
  if (!parsed) return unexpected(OpError{invalid_address()});
  auto c = RedisConnection::open(*parsed, cancel_of(call));
  if (!c) return unexpected(OpError{other(c.error().message), c.error().cancelled});
  return std::move(*c);
}

// Runs one command; a server error reply is `other` with its text.
Op<RedisReply> run(RedisConnection& c, HostCall& call, const std::vector<std::string>& argv) {
  auto r = c.command(argv, cancel_of(call));
  if (!r) return unexpected(OpError{other(r.error().message), r.error().cancelled});
  if (r->kind == RedisReply::Kind::Error) return unexpected(op_other(redis::describe_error_reply(r->str)));
  if (reply_bytes(*r) > kMaxReplyBytes)
    return unexpected(op_other("query result exceeds limit of " + std::to_string(kMaxReplyBytes) + " bytes"));
  return std::move(*r);
}

// ---- replies into values ----
Op<int64_t> as_int(const RedisReply& r, ConvertError fail = op_other) {
  if (r.kind == RedisReply::Kind::Integer) return r.integer;
  if (r.kind == RedisReply::Kind::Bulk || r.kind == RedisReply::Kind::Status) {
    try {
      size_t used = 0;
      long long v = std::stoll(r.str, &used);
      if (used == r.str.size()) return int64_t(v);
    } catch (...) {
    }
  }
  return unexpected(fail(incompatible("integer")));
}

Op<uint32_t> as_u32(const RedisReply& r, ConvertError fail = op_other) {
  auto v = as_int(r, fail);
  if (!v) return unexpected(v.error());
  if (*v < 0 || *v > int64_t(UINT32_MAX)) return unexpected(fail(incompatible("u32")));
  return uint32_t(*v);
}

Op<std::optional<std::string>> as_payload(const RedisReply& r) {
  if (r.kind == RedisReply::Kind::Nil) return std::optional<std::string>();
  if (r.kind == RedisReply::Kind::Bulk || r.kind == RedisReply::Kind::Status) return std::optional<std::string>(r.str);
  return unexpected(op_other(incompatible("binary")));
}

Op<std::vector<Value>> as_strings(const RedisReply& r) {
  std::vector<Value> out;
  if (r.kind == RedisReply::Kind::Nil) return out;
  if (r.kind != RedisReply::Kind::Array) return unexpected(op_other(incompatible("array")));
  for (const auto& e : r.elements) {
    if ((e.kind != RedisReply::Kind::Bulk && e.kind != RedisReply::Kind::Status) || !valid_utf8(e.str))
      return unexpected(op_other(incompatible("string")));
    out.push_back(Value::string(e.str));
  }
  return out;
}

// execute's results: nested arrays flattened, as Spin's RedisResults does.
Op<void> append_results(const RedisReply& r, std::vector<Value>& out) {
  switch (r.kind) {
    case RedisReply::Kind::Nil:
      out.push_back(Value::variant("nil"));
      return {};
    case RedisReply::Kind::Integer:
      out.push_back(Value::variant("int64", s64(r.integer)));
      return {};
    case RedisReply::Kind::Bulk:
      out.push_back(Value::variant("binary", Value::byte_list(r.str)));
      return {};
    case RedisReply::Kind::Status:
      if (!valid_utf8(r.str)) return unexpected(op_other(incompatible("status")));
      out.push_back(Value::variant("status", Value::string(r.str)));
      return {};
    case RedisReply::Kind::Error:
      return unexpected(op_other(redis::describe_error_reply(r.str)));
    case RedisReply::Kind::Array:
      for (const auto& e : r.elements)
        if (auto ok = append_results(e, out); !ok) return ok;
      return {};
  }
  return {};
}

std::vector<std::string> strings_of(const Value& list) {
  std::vector<std::string> out;
  out.reserve(list.items.size());
  for (const auto& v : list.items) out.push_back(v.str);
  return out;
}

std::vector<std::string> command_of(std::string name, std::string key, const Value& values) {
  std::vector<std::string> argv{std::move(name), std::move(key)};
  for (const auto& v : values.items) argv.push_back(v.str);
  return argv;
}

std::vector<std::string> execute_argv(const Value& command, const Value& args) {
  std::vector<std::string> argv{command.str};
  for (const auto& p : args.items) {
    const Value* v = p.payload();
    if (p.label == "int64") argv.push_back(std::to_string(v ? v->s : 0));
    else argv.push_back(v ? v->list_bytes() : std::string());
  }
  return argv;
}

// The operations, shared by both versions: each gives the `ok` value.
using Operation = Op<Value> (*)(RedisConnection&, HostCall&, std::span<Value> args);

Op<Value> op_publish(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, {"PUBLISH", a[0].str, a[1].list_bytes()});
  if (!r) return unexpected(r.error());
  return Value::ok();
}
Op<Value> op_get(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, {"GET", a[0].str});
  if (!r) return unexpected(r.error());
  auto p = as_payload(*r);
  if (!p) return unexpected(p.error());
  return Value::ok(*p ? Value::some(Value::byte_list(std::move(**p))) : Value::none());
}
Op<Value> op_set(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, {"SET", a[0].str, a[1].list_bytes()});
  if (!r) return unexpected(r.error());
  return Value::ok();
}
Op<Value> op_incr(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, {"INCRBY", a[0].str, "1"});
  if (!r) return unexpected(r.error());
  auto v = as_int(*r);
  if (!v) return unexpected(v.error());
  return Value::ok(s64(*v));
}
Op<Value> op_del(RedisConnection& c, HostCall& call, std::span<Value> a) {
  std::vector<std::string> argv{"DEL"};
  for (auto& k : strings_of(a[0])) argv.push_back(std::move(k));
  auto r = run(c, call, argv);
  if (!r) return unexpected(r.error());
  auto v = as_u32(*r);
  if (!v) return unexpected(v.error());
  return Value::ok(wasi::p2::u32(*v));
}
Op<Value> op_sadd(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, command_of("SADD", a[0].str, a[1]));
  if (!r) return unexpected(r.error());
  auto v = as_u32(*r, op_type_error);  // Spin's sadd alone reports a type mismatch as type-error
  if (!v) return unexpected(v.error());
  return Value::ok(wasi::p2::u32(*v));
}
Op<Value> op_srem(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, command_of("SREM", a[0].str, a[1]));
  if (!r) return unexpected(r.error());
  auto v = as_u32(*r);
  if (!v) return unexpected(v.error());
  return Value::ok(wasi::p2::u32(*v));
}
Op<Value> op_smembers(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, {"SMEMBERS", a[0].str});
  if (!r) return unexpected(r.error());
  auto v = as_strings(*r);
  if (!v) return unexpected(v.error());
  return Value::ok(Value::list(std::move(*v)));
}
Op<Value> op_execute(RedisConnection& c, HostCall& call, std::span<Value> a) {
  auto r = run(c, call, execute_argv(a[0], a[1]));
  if (!r) return unexpected(r.error());
  std::vector<Value> out;
  if (auto ok = append_results(*r, out); !ok) return unexpected(ok.error());
  return Value::ok(Value::list(std::move(out)));
}

const std::pair<const char*, Operation> kOperations[] = {
    {"publish", op_publish}, {"get", op_get},   {"set", op_set},           {"incr", op_incr},      {"del", op_del},
    {"sadd", op_sadd},       {"srem", op_srem}, {"smembers", op_smembers}, {"execute", op_execute},
};

Instance* instance_of(HostCall& call) {
  auto* w = call.data<wasi::p2::WasiP2>();
  return w ? w->extension<Instance>() : nullptr;
}

HostResult finish(Op<Value> r) {
  if (r) return ret(std::move(*r));
  if (r.error().interrupted) return interrupted();
  return ret(std::move(r.error().error));
}

// fermyon:spin/redis@2.0.0
void link_v2(Linker& l) {
  l.resource(kV2, "connection", [](HostCall& call, uint32_t rep) {
    if (Instance* s = instance_of(call)) s->connections.erase(rep);
  });
  l.func(kV2, "[static]connection.open", [](HostCall& call, std::span<Value> a) -> HostResult {
    Instance* s = instance_of(call);
    if (!s) return no_state();
    if (s->connections.size() >= kMaxConnections) {
      if (!allowed(*s, a[0].str)) return ret(invalid_address());
      return ret(too_many_connections());
    }
    auto c = connect(*s, call, a[0].str);
    if (!c) return finish(unexpected(c.error()));
    return ret(Value::ok(Value::own(s->connections.add(std::move(*c)))));
  });
  for (const auto& [name, fn] : kOperations) {
    l.func(kV2, std::string("[method]connection.") + name, [fn](HostCall& call, std::span<Value> a) -> HostResult {
      Instance* s = instance_of(call);
      if (!s) return no_state();
      auto* c = s->connections.get(wasi::p2::rep(a[0]));
      if (!c || !*c) return ret(other("could not find connection for resource"));
      return finish(fn(**c, call, a.subspan(1)));
    });
  }
}

// fermyon:spin/redis (Spin 1): the address with every call, a connection
// per call; every failure is the one error case.
Value v1_error() { return Value::err(Value::enumeration("error")); }

Op<Value> v1_result(const char* name, Value ok) {
  std::string_view n = name;
  const Value* p = ok.payload();
  if (n == "get") return Value::ok(p && p->payload() ? *p->payload() : Value::byte_list(""));  // nil: empty
  if (n == "del" || n == "sadd" || n == "srem") return Value::ok(s64(int64_t(p->u)));
  return ok;
}

void link_v1(Linker& l) {
  l.instance(kV1Types);  // types only (error, payload, redis-parameter, redis-result)
  for (const auto& [name, fn] : kOperations) {
    l.func(kV1, name, [name, fn](HostCall& call, std::span<Value> a) -> HostResult {
      Instance* s = instance_of(call);
      if (!s) return no_state();
      auto c = connect(*s, call, a[0].str);
      if (!c) return c.error().interrupted ? interrupted() : ret(v1_error());
      auto r = fn(**c, call, a.subspan(1));
      if (!r) return r.error().interrupted ? interrupted() : ret(v1_error());
      auto out = v1_result(name, std::move(*r));
      return ret(std::move(*out));
    });
  }
}

// A component's allowed_outbound_hosts, `{{ variable }}` templates
// resolved through the app's variables (every provider); an error never
// shows a secret variable's value.
Expected<AllowedHosts> resolve_hosts(const std::vector<std::string>& entries, const variables::Resolver* vars) {
  auto parsed = AllowedHosts::parse(entries, [vars](std::string_view name) -> std::optional<std::string> {
    if (!vars) return std::nullopt;
    auto v = vars->variable(name);
    if (!v) return std::nullopt;
    return std::move(*v);
  });
  if (parsed || !vars) return parsed;
  for (const auto& e : entries) {
    auto names = template_variables(e);
    if (!names) continue;
    for (const auto& n : *names)
      if (vars->is_secret(n))
        return make_error("allowed_outbound_hosts entry \"" + e +
                          "\" is not valid (it uses a secret variable, whose value is not shown)");
  }
  return parsed;
}

class OutboundRedisFactor final : public Factor {
 public:
  std::string_view name() const override { return "outbound Redis"; }

  void link(Linker& l) const override {
    link_v2(l);
    link_v1(l);
  }

  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    auto state = std::make_shared<AppState>();
    auto vars = variables::app_variables(ctx);
    for (const auto& c : ctx.app.components) {
      std::vector<std::string> entries;
      if (c.config) entries = c.config->allowed_outbound_hosts;
      state->hosts[c.id] = std::make_shared<const Expected<AllowedHosts>>(resolve_hosts(entries, vars.get()));
    }
    return std::shared_ptr<void>(std::move(state));
  }

  Expected<void> prepare_instance(const std::shared_ptr<void>& app_state, const LoadedComponent& c,
                                  wasi::p2::WasiP2& instance) const override {
    auto* app = static_cast<const AppState*>(app_state.get());
    auto s = std::make_shared<Instance>();
    s->component = c.id;
    if (app)
      if (auto it = app->hosts.find(c.id); it != app->hosts.end()) s->hosts = it->second;
    if (!s->hosts) s->hosts = std::make_shared<const Expected<AllowedHosts>>(AllowedHosts());
    instance.set_extension(std::move(s));
    return {};
  }
};

const OutboundRedisFactor factor;

}  // namespace

const Factor& outbound_redis_factor() { return factor; }

}  // namespace whirl::spin

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "spin/outbound/outbound.h"
#include "spin/postgres/pg_client.h"
#include "spin/postgres/pg_interfaces.h"
#include "spin/postgres/postgres.h"

namespace whirl::spin {
namespace postgres {
namespace {

struct PgApp {
  explicit PgApp(const FactorContext& ctx, std::optional<size_t> max)
      : hosts(ctx), limit(std::make_shared<outbound::ConnectionLimit>(max)) {}
  outbound::ComponentHosts hosts;
  std::shared_ptr<outbound::ConnectionLimit> limit;
};

class PgFactor final : public Factor {
 public:
  std::string_view name() const override { return "PostgreSQL"; }
  std::vector<std::string_view> config_sections() const override { return {"outbound_pg"}; }
  void link(component::runtime::Linker& l) const override { add_interfaces(l); }

  Expected<std::shared_ptr<void>> prepare_app(const FactorContext& ctx) const override {
    auto limits = outbound::read_limits(ctx.config, "outbound_pg", {"max_connections"});
    if (!limits) return unexpected(limits.error());
    std::optional<size_t> max;
    if (auto it = limits->find("max_connections"); it != limits->end()) max = size_t(it->second);
    return std::shared_ptr<void>(std::make_shared<PgApp>(ctx, max));
  }

  Expected<void> prepare_instance(const std::shared_ptr<void>& app_state, const LoadedComponent& c,
                                  wasi::p2::WasiP2& instance) const override {
    auto app = std::static_pointer_cast<PgApp>(app_state);
    auto st = std::make_shared<PgInstance>();
    st->hosts = app->hosts.of(c.id);
    st->limit = app->limit;
    instance.set_extension(std::move(st));
    return {};
  }
};

const PgFactor factor;

PgError fail(PgError::Kind k, std::string text) { return PgError{k, std::move(text), std::nullopt}; }

}  // namespace

// Spin's AllowedHostChecker: every TCP host of the address (with its
// port: the one at its index, or the only one) as postgres://HOST:PORT.
static Expected<void, PgError> check_address(const PgInstance& st, const PgAddress& a) {
  auto check = [&](const std::string& host, size_t i) -> Expected<void, PgError> {
    if (!host.empty() && host[0] == '/')
      return unexpected(fail(PgError::Kind::ConnectionFailed, "Unix sockets are not supported on WebAssembly"));
    std::optional<uint16_t> port;
    if (i < a.ports.size()) port = a.ports[i];
    else if (a.ports.size() == 1) port = a.ports[0];
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    std::string url = h + (port ? ":" + std::to_string(*port) : "");
    if (!*st.hosts) return unexpected(fail(PgError::Kind::Other, st.hosts->error().message));
    if (!outbound::allows(**st.hosts, url, "postgres"))
      return unexpected(fail(PgError::Kind::ConnectionFailed, "address postgres://" + url + " is not permitted"));
    return {};
  };
  for (size_t i = 0; i < a.hosts.size(); ++i)
    if (auto ok = check(a.hosts[i], i); !ok) return ok;
  // libpq connects to hostaddr when it is given: it is checked the same way.
  for (size_t i = 0; i < a.hostaddrs.size(); ++i)
    if (auto ok = check(a.hostaddrs[i], i); !ok) return ok;
  return {};
}

Expected<uint32_t, PgError> open_connection(PgInstance& st, const std::string& address, const std::string& root_ca,
                                            wasm::Store& store) {
  auto a = parse_pg_address(address);
  if (!a) return unexpected(fail(PgError::Kind::ConnectionFailed, a.error().message));
  if (auto ok = check_address(st, *a); !ok) return unexpected(ok.error());
  auto permit = outbound::ConnectionLimit::acquire(st.limit, store);
  if (!permit) return unexpected(fail(PgError::Kind::Interrupted, "interrupted"));
  if (st.connections.size() >= kMaxConnectionsPerInstance)
    return unexpected(fail(PgError::Kind::ConnectionFailed, "too many connections"));
  auto conn = PgConnection::connect(*a, root_ca, store);
  if (!conn) return unexpected(conn.error());
  return st.connections.add(PgInstance::Conn{std::move(*conn), std::move(*permit)});
}

Expected<std::string, PgError> check_root_ca(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
  X509* cert = bio ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : nullptr;
  if (cert) X509_free(cert);
  if (bio) BIO_free(bio);
  if (!cert) return unexpected(fail(PgError::Kind::Other, "invalid root certificate: invalid root certificate"));
  return pem;
}

}  // namespace postgres

const Factor& postgres_factor() { return postgres::factor; }

}  // namespace whirl::spin

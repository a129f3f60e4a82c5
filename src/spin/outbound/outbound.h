// What Spin's outbound database and messaging factors (PostgreSQL, MySQL,
// MQTT) share: each component's `allowed_outbound_hosts` checked against
// the address a guest opens (spin-outbound-networking's check_url: the
// address parsed as a URL, `SCHEME://` prepended when it has none, the
// scheme's well-known port when it names none; an address that does not
// parse is not allowed), and the per-factor connection limit of the
// runtime config (`[outbound_pg] max_connections = N`), which makes an
// open wait for a free connection as Spin's connection semaphore does.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"
#include "spin/app/app.h"
#include "spin/factor/factor.h"
#include "spin/factor/runtime_config.h"
#include "spin/manifest/allowed_hosts.h"

namespace whirl::wasm {
class Store;
}

namespace whirl::spin::outbound {

// Every component's allowed hosts, resolved once per app (templates
// through the app's variables, every provider). A component whose list
// does not resolve keeps the error, reported when it opens something
// (Spin: `other`); the error never shows a secret variable's value.
class ComponentHosts {
 public:
  explicit ComponentHosts(const FactorContext& ctx);
  // The hosts of component `id`; an error when they did not resolve.
  std::shared_ptr<const Expected<AllowedHosts>> of(const std::string& id) const;

 private:
  std::map<std::string, std::shared_ptr<const Expected<AllowedHosts>>, std::less<>> hosts_;
};

// Whether `address` (a URL, or a bare host[:port]) may be reached under
// `scheme` by these hosts; an address that does not parse is not allowed.
bool allows(const AllowedHosts& hosts, std::string_view address, std::string_view scheme);

// A limit on the connections one factor holds open for one app at once
// (none: unlimited). An open beyond it waits for a close.
class ConnectionLimit {
 public:
  explicit ConnectionLimit(std::optional<size_t> max) : max_(max) {}
  class Permit {
   public:
    Permit() = default;
    explicit Permit(std::shared_ptr<ConnectionLimit> l) : limit_(std::move(l)) {}
    Permit(Permit&& o) noexcept : limit_(std::move(o.limit_)) {}
    Permit& operator=(Permit&& o) noexcept {
      release();
      limit_ = std::move(o.limit_);
      return *this;
    }
    ~Permit() { release(); }
    void release();

   private:
    std::shared_ptr<ConnectionLimit> limit_;
  };
  // Waits for a free connection; none (interrupted) when `store` is
  // interrupted first (the request's deadline), so a guest waiting on
  // itself does not hold its worker forever.
  static std::optional<Permit> acquire(const std::shared_ptr<ConnectionLimit>& l, wasm::Store& store);
  size_t in_use() const;

 private:
  std::optional<size_t> max_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t used_ = 0;
};

// A runtime-config section `[NAME]` whose keys are all non-negative
// integers (`max_connections`, `max_payload_size_bytes`): the values
// given, or an error (FILE:LINE:COLUMN) for a key not in `keys`, a
// value that is not an integer, or a negative one.
Expected<std::map<std::string, uint64_t>> read_limits(const RuntimeConfig& config, std::string_view name,
                                                      const std::vector<std::string_view>& keys);

}  // namespace whirl::spin::outbound

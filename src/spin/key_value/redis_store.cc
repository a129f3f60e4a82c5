#include "spin/key_value/redis_store.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>

#include "spin/redis/client.h"

namespace whirl::spin::key_value {
namespace {

using redis::RedisAddress;
using redis::RedisConnection;
using redis::RedisReply;
using Kind = RedisReply::Kind;

constexpr std::chrono::milliseconds kConnectTimeout{5000};
// A command waits at most this long for its reply (KEYS on a big database
// is the slow one); then the connection is dropped and the call fails.
constexpr std::chrono::seconds kCommandTimeout{30};
constexpr size_t kMaxIdle = 64;  // connections a pool keeps for reuse

Expected<std::unique_ptr<RedisConnection>> connect(const RedisAddress& a) {
  redis::ClientOptions options;
  options.connect_timeout = kConnectTimeout;
  auto c = RedisConnection::open(a, nullptr, options);
  if (!c) return make_error("cannot connect to Redis at " + a.display() + ": " + c.error().message);
  return std::move(*c);
}

// One command on `c`. A failed connection (then `broken`: it is not used
// again) and an error reply are errors naming the server.
Expected<RedisReply> run_on(RedisConnection& c, const RedisAddress& a, const std::vector<std::string>& args,
                            bool& broken) {
  auto end = std::chrono::steady_clock::now() + kCommandTimeout;
  auto r = c.command(args, [end] { return std::chrono::steady_clock::now() >= end; });
  if (!r) {
    broken = true;
    std::string why = r.error().cancelled ? "no reply within " + std::to_string(kCommandTimeout.count()) + " s"
                                          : r.error().message;
    return make_error("Redis at " + a.display() + ": " + args[0] + " failed: " + why);
  }
  if (r->kind == Kind::Error) return make_error("Redis at " + a.display() + ": " + r->str);
  return std::move(*r);
}

// Connections to one server, made as needed and kept for reuse by the
// threads serving requests.
class RedisPool {
 public:
  explicit RedisPool(RedisAddress a) : address_(std::move(a)) {}
  const RedisAddress& address() const { return address_; }

  Expected<RedisReply> command(const std::vector<std::string>& args) {
    auto c = take();
    if (!c) return unexpected(c.error());
    bool broken = false;
    auto r = run_on(**c, address_, args, broken);
    if (!broken) give_back(std::move(*c));
    return r;
  }
  Expected<std::unique_ptr<RedisConnection>> take() {
    {
      std::lock_guard lock(mu_);
      while (!idle_.empty()) {
        auto c = std::move(idle_.back());
        idle_.pop_back();
        if (c->idle_ok()) return c;
      }
    }
    return connect(address_);
  }
  void give_back(std::unique_ptr<RedisConnection> c) {
    std::lock_guard lock(mu_);
    if (idle_.size() < kMaxIdle) idle_.push_back(std::move(c));
  }

 private:
  RedisAddress address_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
};

Unexpected<StoreError> unexpected_reply(const RedisReply& r, const char* cmd) {
  return store_error(std::string("Redis: unexpected reply to ") + cmd + (r.kind == Kind::Status ? ": " + r.str : ""));
}

// A value out of a GET/MGET reply.
StoreResult<std::optional<Bytes>> value_of(const RedisReply& r, const char* cmd) {
  if (r.kind == Kind::Nil) return std::optional<Bytes>();
  if (r.kind == Kind::Bulk) return std::optional<Bytes>(r.str);
  return unexpected_reply(r, cmd);
}

class RedisCas final : public Cas {
 public:
  RedisCas(std::unique_ptr<RedisConnection> c, RedisAddress address, std::string key)
      : Cas(std::move(key)), conn_(std::move(c)), address_(std::move(address)) {}

  StoreResult<std::optional<Bytes>> current() override {
    auto w = run({"WATCH", key()});
    if (!w) return unexpected(w.error());
    watching_ = true;
    auto r = run({"GET", key()});
    if (!r) return unexpected(r.error());
    auto v = value_of(*r, "GET");
    if (v && value_too_large(*v)) return store_error(result_too_large_message());
    return v;
  }

  StoreResult<bool> swap(const Bytes& value) override {
    if (!watching_) {  // nothing read to compare with: a plain set
      auto r = run({"SET", key(), value});
      if (!r) return unexpected(r.error());
      return true;
    }
    auto m = run({"MULTI"});
    if (!m) return unexpected(m.error());
    auto s = run({"SET", key(), value});
    if (!s) return unexpected(s.error());
    auto e = run({"EXEC"});  // nil: a watched key changed, nothing was done
    if (!e) return unexpected(e.error());
    watching_ = false;
    return e->kind != Kind::Nil;
  }

 private:
  StoreResult<RedisReply> run(const std::vector<std::string>& args) {
    if (broken_)
      return store_error("Redis at " + address_.display() + ": " + args[0] +
                         " failed: the connection to Redis failed earlier");
    auto r = run_on(*conn_, address_, args, broken_);
    if (!r) return store_error(r.error().message);
    return std::move(*r);
  }

  std::unique_ptr<RedisConnection> conn_;
  RedisAddress address_;
  bool broken_ = false;
  bool watching_ = false;
};

class RedisStore final : public Store {
 public:
  explicit RedisStore(std::shared_ptr<RedisPool> pool) : pool_(std::move(pool)) {}

  StoreResult<std::optional<Bytes>> get(const std::string& key) override {
    auto r = run({"GET", key});
    if (!r) return unexpected(r.error());
    auto v = value_of(*r, "GET");
    if (v && value_too_large(*v)) return store_error(result_too_large_message());
    return v;
  }
  StoreResult<void> set(const std::string& key, const Bytes& value) override {
    auto r = run({"SET", key, value});
    if (!r) return unexpected(r.error());
    return {};
  }
  StoreResult<void> del(const std::string& key) override {
    auto r = run({"DEL", key});
    if (!r) return unexpected(r.error());
    return {};
  }
  StoreResult<bool> exists(const std::string& key) override {
    auto r = run({"EXISTS", key});
    if (!r) return unexpected(r.error());
    if (r->kind != Kind::Integer) return unexpected_reply(*r, "EXISTS");
    return r->integer > 0;
  }
  StoreResult<std::vector<std::string>> keys() override {
    auto r = run({"KEYS", "*"});
    if (!r) return unexpected(r.error());
    if (r->kind != Kind::Array) return unexpected_reply(*r, "KEYS");
    std::vector<std::string> out;
    for (auto& e : r->elements) out.push_back(std::move(e.str));
    if (keys_too_large(out)) return store_error(result_too_large_message());
    return out;
  }
  StoreResult<std::vector<MaybeKeyValue>> get_many(const std::vector<std::string>& keys) override {
    if (keys.empty()) return std::vector<MaybeKeyValue>();
    std::vector<std::string> args{"MGET"};
    args.insert(args.end(), keys.begin(), keys.end());
    auto r = run(args);
    if (!r) return unexpected(r.error());
    if (r->kind != Kind::Array || r->elements.size() != keys.size()) return unexpected_reply(*r, "MGET");
    std::vector<MaybeKeyValue> out;
    std::set<std::string_view> seen;
    for (size_t i = 0; i < keys.size(); ++i) {
      auto v = value_of(r->elements[i], "MGET");
      if (!v) return unexpected(v.error());
      if (*v && seen.insert(keys[i]).second) out.emplace_back(keys[i], std::move(*v));
    }
    if (pairs_too_large(out)) return store_error(result_too_large_message());
    return out;
  }
  StoreResult<void> set_many(const std::vector<KeyValue>& pairs) override {
    if (pairs.empty()) return {};
    std::vector<std::string> args{"MSET"};
    for (const auto& [k, v] : pairs) args.push_back(k), args.push_back(v);
    auto r = run(args);
    if (!r) return unexpected(r.error());
    return {};
  }
  StoreResult<void> delete_many(const std::vector<std::string>& keys) override {
    if (keys.empty()) return {};
    std::vector<std::string> args{"DEL"};
    args.insert(args.end(), keys.begin(), keys.end());
    auto r = run(args);
    if (!r) return unexpected(r.error());
    return {};
  }
  StoreResult<int64_t> increment(const std::string& key, int64_t delta) override {
    auto r = run({"INCRBY", key, std::to_string(delta)});
    if (!r) return unexpected(r.error());
    if (r->kind != Kind::Integer) return unexpected_reply(*r, "INCRBY");
    return r->integer;
  }
  StoreResult<std::unique_ptr<Cas>> new_cas(const std::string& key) override {
    // WATCH belongs to a connection: each CAS has one, closed with it.
    auto c = connect(pool_->address());
    if (!c) return store_error(c.error().message);
    return std::unique_ptr<Cas>(new RedisCas(std::move(*c), pool_->address(), key));
  }

 private:
  StoreResult<RedisReply> run(const std::vector<std::string>& args) {
    auto r = pool_->command(args);
    if (!r) return store_error(r.error().message);
    return std::move(*r);
  }

  std::shared_ptr<RedisPool> pool_;
};

class RedisProvider final : public StoreProvider {
 public:
  explicit RedisProvider(RedisAddress address) : pool_(std::make_shared<RedisPool>(std::move(address))) {}

  StoreResult<std::shared_ptr<Store>> open(const std::string&) override {
    // Until a first connection succeeded, an unreachable server fails the
    // open; later, the operations fail instead (Spin's connection manager
    // is made once, then reconnects by itself).
    if (!connected_.load()) {
      auto c = pool_->take();
      if (!c) return store_error(c.error().message);
      pool_->give_back(std::move(*c));
      connected_ = true;
    }
    return std::shared_ptr<Store>(std::make_shared<RedisStore>(pool_));
  }
  std::string summary() const override { return "Redis at " + pool_->address().display(); }

 private:
  std::shared_ptr<RedisPool> pool_;
  std::atomic<bool> connected_{false};
};

}  // namespace

std::shared_ptr<StoreProvider> redis_provider(RedisAddress address) {
  return std::make_shared<RedisProvider>(std::move(address));
}

}  // namespace whirl::spin::key_value

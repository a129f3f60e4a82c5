#include "spin/key_value/redis_store.h"

#include <atomic>
#include <set>

namespace whirl::spin::key_value {
namespace {

using Type = RedisReply::Type;

Unexpected<StoreError> unexpected_reply(const RedisReply& r, const char* cmd) {
  return store_error(std::string("Redis: unexpected reply to ") + cmd + (r.type == Type::Status ? ": " + r.str : ""));
}

// A value out of a GET/MGET reply.
StoreResult<std::optional<Bytes>> value_of(const RedisReply& r, const char* cmd) {
  if (r.type == Type::Nil) return std::optional<Bytes>();
  if (r.type == Type::String) return std::optional<Bytes>(r.str);
  return unexpected_reply(r, cmd);
}

class RedisCas final : public Cas {
 public:
  RedisCas(std::unique_ptr<RedisConnection> c, std::string display, std::string key)
      : Cas(std::move(key)), conn_(std::move(c)), display_(std::move(display)) {}

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
    return e->type != Type::Nil;
  }

 private:
  StoreResult<RedisReply> run(const std::vector<std::string>& args) {
    auto r = conn_->command(args);
    if (!r) return store_error("Redis at " + display_ + ": " + args[0] + " failed: " + r.error().message);
    if (r->type == Type::Error) return store_error("Redis at " + display_ + ": " + r->str);
    return std::move(*r);
  }

  std::unique_ptr<RedisConnection> conn_;
  std::string display_;
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
    if (r->type != Type::Integer) return unexpected_reply(*r, "EXISTS");
    return r->integer > 0;
  }
  StoreResult<std::vector<std::string>> keys() override {
    auto r = run({"KEYS", "*"});
    if (!r) return unexpected(r.error());
    if (r->type != Type::Array) return unexpected_reply(*r, "KEYS");
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
    if (r->type != Type::Array || r->elements.size() != keys.size()) return unexpected_reply(*r, "MGET");
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
    if (r->type != Type::Integer) return unexpected_reply(*r, "INCRBY");
    return r->integer;
  }
  StoreResult<std::unique_ptr<Cas>> new_cas(const std::string& key) override {
    // WATCH belongs to a connection: each CAS has one, closed with it.
    auto c = RedisConnection::connect(pool_->url());
    if (!c) return store_error(c.error().message);
    return std::unique_ptr<Cas>(new RedisCas(std::move(*c), pool_->url().display, key));
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
  explicit RedisProvider(RedisUrl url) : pool_(std::make_shared<RedisPool>(std::move(url))) {}

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
  std::string summary() const override { return "Redis at " + pool_->url().display; }

 private:
  std::shared_ptr<RedisPool> pool_;
  std::atomic<bool> connected_{false};
};

}  // namespace

std::shared_ptr<StoreProvider> redis_provider(RedisUrl url) { return std::make_shared<RedisProvider>(std::move(url)); }

}  // namespace whirl::spin::key_value

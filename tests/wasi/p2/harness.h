// Calls WASI 0.2 host functions the way the component runtime does: looked
// up in a Linker by interface name, called with a HostCall on an instance
// whose host data is the WasiP2 context. The instance is a test double
// with a real store (blocking calls wait through it).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../../scratch_dir.h"
#include "component/runtime/component.h"
#include "wasi/p2/wasi_p2.h"

namespace whirl::wasi::p2::testing {

namespace fs = std::filesystem;
namespace rt = component::runtime;
using component::abi::Value;
using component::TypeKind;

class FakeInstance : public rt::ComponentInstance {
 public:
  FakeInstance() : store_(wasm::Store::create()) {}
  FuncRef find_func(std::string_view) const override { return {}; }
  Expected<std::vector<Value>, rt::CallError> call(FuncRef, std::vector<Value>) override {
    return unexpected(rt::CallError{"a test double has no functions", std::nullopt, std::nullopt});
  }
  wasm::Store& store() override { return *store_; }

 private:
  std::unique_ptr<wasm::Store> store_;
};

inline Value u64(uint64_t v) { return Value::uint(TypeKind::U64, v); }
inline Value u32(uint64_t v) { return Value::uint(TypeKind::U32, v); }
inline Value u8(uint64_t v) { return Value::uint(TypeKind::U8, v); }
inline Value str(std::string s) { return Value::string(std::move(s)); }
inline Value borrow(const Value& own) { return Value::borrow(uint32_t(own.u)); }
inline Value flags(std::vector<std::string> f) { return Value::flags(std::move(f)); }
inline Value bytes(std::string_view s) {
  std::vector<Value> items;
  for (unsigned char c : s) items.push_back(u8(c));
  return Value::list(std::move(items));
}
inline std::string text(const Value& list) { return list.list_bytes(); }  // either form of list<u8>
// The ok payload of a result (fails the test on err).
inline Value ok(const Value& r) {
  EXPECT_EQ(r.kind, TypeKind::Result);
  EXPECT_FALSE(r.is_err) << component::abi::to_string(r);
  return r.payload() ? *r.payload() : Value{};
}
// The error-code label of an err result ("" if ok).
inline std::string err(const Value& r) {
  EXPECT_EQ(r.kind, TypeKind::Result);
  if (!r.is_err || !r.payload()) return "";
  return r.payload()->label;
}

inline std::string read_file(const fs::path& p) {
  FILE* f = fopen(p.c_str(), "rb");
  if (!f) return "<missing>";
  std::string s;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  fclose(f);
  return s;
}
inline void write_file(const fs::path& p, std::string_view data) {
  FILE* f = fopen(p.c_str(), "wb");
  fwrite(data.data(), 1, data.size(), f);
  fclose(f);
}

inline fs::path fresh_dir(const std::string& name) {
  fs::path d = whirl::testing::scratch_dir("whirl-wasi-p2") / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

class P2Test : public ::testing::Test {
 protected:
  P2Test() { add_to_linker(linker_); }

  void start(WasiConfig config) {
    auto r = create_wasi_p2(std::move(config));
    ASSERT_TRUE(r) << r.error().message;
    ctx_ = *r;
    inst_.host_data = ctx_;
  }

  // The raw outcome of `iface#func` ("wasi:io/streams", "[method]output-stream.write").
  Expected<std::vector<Value>, component::abi::Trap> call(const std::string& iface, const std::string& func,
                                                          std::vector<Value> args = {}) {
    auto found = linker_.find(iface + "@0.2.6");
    if (!found.def) return unexpected(component::abi::Trap{"no instance " + iface, std::nullopt});
    auto it = found.def->funcs.find(func);
    if (it == found.def->funcs.end()) return unexpected(component::abi::Trap{"no function " + func, std::nullopt});
    std::string name = iface + "#" + func;
    rt::HostCall hc(inst_, name);
    return it->second(hc, args);
  }
  // The one result of a call that must not trap (an empty Value if none).
  Value call1(const std::string& iface, const std::string& func, std::vector<Value> args = {}) {
    auto r = call(iface, func, std::move(args));
    EXPECT_TRUE(r) << iface << "#" << func << ": " << (r ? "" : r.error().message);
    if (!r || r->empty()) return Value{};
    return (*r)[0];
  }
  std::string trap_of(const std::string& iface, const std::string& func, std::vector<Value> args = {}) {
    auto r = call(iface, func, std::move(args));
    EXPECT_FALSE(r) << iface << "#" << func << " did not trap";
    return r ? "" : r.error().message;
  }
  // What the runtime does when the guest drops its last handle.
  void drop(const std::string& iface, const std::string& resource, const Value& handle) {
    auto found = linker_.find(iface + "@0.2.6");
    ASSERT_TRUE(found.def);
    auto it = found.def->resources.find(resource);
    ASSERT_NE(it, found.def->resources.end());
    rt::HostCall hc(inst_, resource);
    if (it->second) it->second(hc, uint32_t(handle.u));
  }

  // Methods of the common resources.
  Value fs(const std::string& method, std::vector<Value> args) {
    return call1("wasi:filesystem/types", "[method]descriptor." + method, std::move(args));
  }
  Value in(const std::string& method, std::vector<Value> args) {
    return call1("wasi:io/streams", "[method]input-stream." + method, std::move(args));
  }
  Value out(const std::string& method, std::vector<Value> args) {
    return call1("wasi:io/streams", "[method]output-stream." + method, std::move(args));
  }
  // The first preopen's descriptor.
  Value preopen(size_t i = 0) {
    Value list = call1("wasi:filesystem/preopens", "get-directories");
    EXPECT_GT(list.items.size(), i);
    return list.items.size() > i ? list.items[i].items[0] : Value{};
  }

  wasm::Store& store() { return inst_.store(); }

  rt::Linker linker_;
  FakeInstance inst_;
  std::shared_ptr<WasiP2> ctx_;
};

}  // namespace whirl::wasi::p2::testing

// A factor's host functions called the way the component runtime calls
// them: looked up in its Linker by interface, called with a HostCall on a
// test instance (../../wasi/p2/harness.h) whose host data carries the
// factor's per-instance state. For the spin factors' host tests.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "../../wasi/p2/harness.h"

namespace whirl::test {

using HostResults = Expected<std::vector<component::abi::Value>, component::abi::Trap>;

// The raw outcome of `iface#func`: its results or its trap.
inline HostResults call_host(const component::runtime::Linker& linker, wasi::p2::testing::FakeInstance& inst,
                             const std::string& iface, const std::string& func,
                             std::vector<component::abi::Value> args) {
  auto found = linker.find(iface);
  EXPECT_TRUE(found.def) << iface;
  if (!found.def) return unexpected(component::abi::Trap{"no instance " + iface, std::nullopt});
  auto it = found.def->funcs.find(func);
  EXPECT_NE(it, found.def->funcs.end()) << func;
  if (it == found.def->funcs.end()) return unexpected(component::abi::Trap{"no function " + func, std::nullopt});
  component::runtime::HostCall hc(inst, func);
  return it->second(hc, args);
}

// The one result of a call that must not trap (an empty Value if none).
inline component::abi::Value call_host1(const component::runtime::Linker& linker,
                                        wasi::p2::testing::FakeInstance& inst, const std::string& iface,
                                        const std::string& func, std::vector<component::abi::Value> args) {
  auto r = call_host(linker, inst, iface, func, std::move(args));
  EXPECT_TRUE(r) << func << ": " << (r ? "" : r.error().message);
  return r && !r->empty() ? (*r)[0] : component::abi::Value{};
}

// What the runtime does when the guest drops its last handle of `resource`.
inline void drop_host_resource(const component::runtime::Linker& linker, wasi::p2::testing::FakeInstance& inst,
                               const std::string& iface, const std::string& resource, uint32_t rep) {
  auto found = linker.find(iface);
  ASSERT_TRUE(found.def) << iface;
  auto it = found.def->resources.find(resource);
  ASSERT_NE(it, found.def->resources.end()) << resource;
  component::runtime::HostCall hc(inst, "drop");
  it->second(hc, rep);
}

}  // namespace whirl::test

// What loading a hostile module costs. Memory: a million tiny functions,
// and many locals times deep nesting, each loaded in a child process so that
// its peak RSS is its own. Time: a deep operand stack. The bounds leave room above what these cost when
// written and are well below what they cost before (over 500 MB for the
// million functions, quadratic in the nesting for the locals).
#include <gtest/gtest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <vector>

#include "wasm/runtime/runtime.h"

namespace whirl::wasm {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

using Bytes = std::vector<uint8_t>;

void leb(Bytes& b, uint64_t v) {
  do {
    uint8_t x = v & 0x7f;
    v >>= 7;
    b.push_back(v ? x | 0x80 : x);
  } while (v);
}

void section(Bytes& out, uint8_t id, const Bytes& contents) {
  out.push_back(id);
  leb(out, contents.size());
  out.insert(out.end(), contents.begin(), contents.end());
}

// Header and one type, [] -> [].
Bytes start_module() { return {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0}; }

// One function of type [] -> [] with `body` (locals included).
Bytes one_function(const Bytes& body) {
  Bytes b = start_module(), code = {0x01};
  section(b, 3, {0x01, 0x00});
  leb(code, body.size());
  code.insert(code.end(), body.begin(), body.end());
  section(b, 10, code);
  return b;
}

// Runs `load` in a child; returns how many MB its peak RSS grew by, or -1.
long child_peak_growth_mb(const std::function<bool()>& load) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    long mb = -1;
    if (load()) {
      getrusage(RUSAGE_SELF, &after);
      mb = (after.ru_maxrss - before.ru_maxrss) / 1024;
    }
    (void)!write(fds[1], &mb, sizeof mb);
    _exit(0);
  }
  close(fds[1]);
  long mb = -1;
  if (read(fds[0], &mb, sizeof mb) != sizeof mb) mb = -1;
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return mb;
}

TEST(LoadMemory, MillionTinyFunctions) {
  if (kSanitized) GTEST_SKIP() << "sanitizer allocators change what memory costs";
  const uint32_t n = 1000000;  // kMaxFunctions
  Bytes b = start_module(), funcs, code;
  leb(funcs, n);
  funcs.resize(funcs.size() + n, 0);
  leb(code, n);
  for (uint32_t i = 0; i < n; ++i) code.insert(code.end(), {0x02, 0x00, 0x0b});
  section(b, 3, funcs);
  section(b, 10, code);
  long mb = child_peak_growth_mb([&] {
    auto m = load_module(b);
    return m && Store::create()->instantiate(*m, {});
  });
  ASSERT_GE(mb, 0) << "not loaded and instantiated";
  EXPECT_LT(mb, 300) << "4 MB of binary";
}

TEST(LoadMemory, ManyLocalsTimesDeepNesting) {
  if (kSanitized) GTEST_SKIP() << "sanitizer allocators change what memory costs";
  // 50000 locals and 60000 nested ifs on one of them: copying the set of
  // written locals at each if would be 60000 x 50000 bits.
  const uint32_t depth = 60000;
  Bytes body = {0x01};
  leb(body, 50000);
  body.push_back(0x7f);
  for (uint32_t i = 0; i < depth; ++i) body.insert(body.end(), {0x20, 0x00, 0x04, 0x40});
  body.insert(body.end(), depth + 1, 0x0b);
  Bytes b = one_function(body);
  long mb = child_peak_growth_mb([&] { return bool(load_module(b)); });
  ASSERT_GE(mb, 0) << "not loaded";
  EXPECT_LT(mb, 100) << "240 KB of binary";
}

double seconds_to_load(const Bytes& b) {
  auto t0 = std::chrono::steady_clock::now();
  auto m = load_module(b);
  EXPECT_TRUE(m) << m.error().message;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The compiler walked the whole operand stack at every local.set and at
// every block: quadratic in a deep stack (300,000 entries: 40 s and 140 s).
TEST(LoadTime, DeepStackLocalSetsAndBlocksAreLinear) {
  const uint32_t n = 300000;
  Bytes sets = {0x01, 0x02, 0x7f, 0x20, 0x00};  // two i32 locals; local.get 0 at the bottom
  for (uint32_t i = 0; i < n; ++i) sets.insert(sets.end(), {0x41, 0x00});
  for (uint32_t i = 0; i < n; ++i) sets.insert(sets.end(), {0x21, 0x01});
  sets.insert(sets.end(), {0x1a, 0x0b});
  EXPECT_LT(seconds_to_load(one_function(sets)), 5.0);

  Bytes blocks = {0x00};
  for (uint32_t i = 0; i < n; ++i) blocks.insert(blocks.end(), {0x41, 0x00});
  for (uint32_t i = 0; i < n; ++i) blocks.insert(blocks.end(), {0x02, 0x40, 0x0b});
  blocks.insert(blocks.end(), n, 0x1a);
  blocks.push_back(0x0b);
  EXPECT_LT(seconds_to_load(one_function(blocks)), 5.0);
}

}  // namespace
}  // namespace whirl::wasm

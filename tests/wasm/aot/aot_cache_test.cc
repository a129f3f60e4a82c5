// Choosing and feeding the aot tier: the fallback for what it does not
// compile, compile progress and cancelling, tiers named in CompileOptions,
// and the compiled-code cache (hits, misses, damaged entries, eviction).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "tiers.h"
#include "wasm/aot/artifact.h"
#include "wasm/aot/cache.h"
#include "wasm/aot/codegen.h"
#include "wasm/aot/translate.h"
#include "component/runtime/component.h"
#include "component/runtime/frame.h"
#include "wasm/text/component_text.h"

namespace whirl::wasm::aot_test {
namespace {
namespace fs = std::filesystem;

const char* kThrows = R"((module
  (tag $e (param i32))
  (func (export "f") (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (throw $e (i32.add (local.get 0) (i32.const 1))))
      (i32.const -1)))))";

TEST(AotTier, ExceptionHandlingRunsOnTheInterpreter) {
  auto m = parse(kThrows);
  ASSERT_TRUE(m);
  EXPECT_NE(aot::uncompiled_feature(*m).find("exception handling"), std::string::npos);
  auto c = aot().compile(m, {});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(dynamic_cast<const aot::AotModule*>(c->get()), nullptr);
  auto r = instantiate(*c).call("f", {Value::i32(41)});
  EXPECT_EQ(outcome(r), "i32:42");
  // Compiling it directly names what is not compiled.
  auto obj = aot::compile_object(*m);
  ASSERT_FALSE(obj);
  EXPECT_NE(obj.error().message.find("(try_table)"), std::string::npos) << obj.error().message;
}

TEST(AotTier, ModulesWithoutExceptionsHaveNothingUncompiled) {
  auto m = parse("(module (func (export \"f\") (result i32) (i32.const 7)))");
  ASSERT_TRUE(m);
  EXPECT_EQ(aot::uncompiled_feature(*m), "");
}

// Many functions, so that a module compiles in several parts.
std::string many_functions(int n) {
  std::string wat = "(module";
  for (int i = 0; i < n; ++i)
    wat += " (func (export \"f" + std::to_string(i) + "\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const " +
           std::to_string(i + 2) + ")))";
  return wat + ")";
}

TEST(AotTier, ProgressCountsEveryPart) {
  auto m = parse(many_functions(64));
  ASSERT_TRUE(m);
  size_t calls = 0, last_done = 0, total = 0;
  CompileOptions o;
  o.progress = [&](size_t done, size_t t) {
    EXPECT_EQ(done, last_done + 1);  // one at a time, in order
    last_done = done;
    total = t;
    ++calls;
    return true;
  };
  auto c = aot().compile(m, o);
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_NE(dynamic_cast<const aot::AotModule*>(c->get()), nullptr);
  EXPECT_GE(total, 1u);
  EXPECT_EQ(calls, total);
  EXPECT_EQ(last_done, total);
  EXPECT_EQ(outcome(instantiate(*c).call("f5", {Value::i32(3)})), "i32:21");
}

TEST(AotTier, ProgressReturningFalseCancels) {
  auto m = parse(many_functions(64));
  ASSERT_TRUE(m);
  CompileOptions o;
  o.progress = [](size_t, size_t) { return false; };
  auto c = aot().compile(m, o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("cancelled"), std::string::npos) << c.error().message;
}

TEST(AotTier, CompileOptionsNameTheTier) {
  auto m = parse("(module (func (export \"f\") (result i32) (i32.const 7)))");
  ASSERT_TRUE(m);
  (void)aot();
  auto a = compile_module(m, {.tier = "aot"});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_NE(dynamic_cast<const aot::AotModule*>(a->get()), nullptr);
  auto i = compile_module(m, {.tier = "interp"});
  ASSERT_TRUE(i) << i.error().message;
  EXPECT_EQ(dynamic_cast<const aot::AotModule*>(i->get()), nullptr);
  auto bad = compile_module(m, {.tier = "jit"});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"jit\""), std::string::npos) << bad.error().message;
}

// A private cache directory for one test (XDG_CACHE_HOME), restored after.
struct PrivateCache {
  fs::path root;
  std::string old;
  bool had_old = false, was_enabled;
  PrivateCache() : was_enabled(aot::cache_enabled()) {
    root = fs::temp_directory_path() / ("whirl-aot-cache-test-" + std::to_string(::getpid()));
    fs::remove_all(root);
    if (const char* v = std::getenv("XDG_CACHE_HOME")) old = v, had_old = true;
    ::setenv("XDG_CACHE_HOME", root.c_str(), 1);
    aot::enable_cache(true);
  }
  ~PrivateCache() {
    if (had_old) ::setenv("XDG_CACHE_HOME", old.c_str(), 1);
    else ::unsetenv("XDG_CACHE_HOME");
    aot::enable_cache(was_enabled);
    fs::remove_all(root);
  }
  std::vector<fs::path> entries() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(aot::cache_dir(), ec))
      if (e.path().extension() == ".cwasm") out.push_back(e.path());
    return out;
  }
};

std::vector<uint8_t> binary(const std::string& wat) {
  auto b = text::wat_to_binary(wat);
  EXPECT_TRUE(b) << b.error().message;
  return b ? *b : std::vector<uint8_t>{};
}

std::shared_ptr<const Module> decoded(const std::vector<uint8_t>& bytes) {
  auto m = decode_module(bytes);
  EXPECT_TRUE(m);
  auto module = std::make_shared<const Module>(std::move(*m));
  EXPECT_TRUE(validate_module(*module));
  return module;
}

TEST(AotCache, MissCompilesAndStoresThenHits) {
  PrivateCache cache;
  auto bytes = binary("(module (func (export \"f\") (result i32) (i32.const 9)))");
  auto m = decoded(bytes);
  auto first = aot::native_code(*m, bytes);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->from_cache);
  ASSERT_EQ(cache.entries().size(), 1u);
  auto second = aot::native_code(*m, bytes);
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->from_cache);
  EXPECT_TRUE(std::equal(first->object.begin(), first->object.end(), second->object.begin(), second->object.end()));
  // Through the tier: loaded from the cache, and it runs.
  auto c = aot().compile(m, {.source = bytes});
  ASSERT_TRUE(c) << c.error().message;
  auto* am = dynamic_cast<const aot::AotModule*>(c->get());
  ASSERT_NE(am, nullptr);
  EXPECT_TRUE(am->from_cache);
  EXPECT_EQ(outcome(instantiate(*c).call("f")), "i32:9");
}

TEST(AotCache, DamagedEntryIsCompiledAgainAndReplaced) {
  PrivateCache cache;
  auto bytes = binary("(module (func (export \"f\") (result i32) (i32.const 11)))");
  auto m = decoded(bytes);
  ASSERT_TRUE(aot::native_code(*m, bytes));
  auto entries = cache.entries();
  ASSERT_EQ(entries.size(), 1u);
  {
    std::fstream f(entries[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x5a');
  }
  EXPECT_FALSE(aot::cached_code(bytes));
  auto c = aot().compile(m, {.source = bytes});
  ASSERT_TRUE(c) << c.error().message;
  auto* am = dynamic_cast<const aot::AotModule*>(c->get());
  ASSERT_NE(am, nullptr);
  EXPECT_FALSE(am->from_cache);
  EXPECT_EQ(outcome(instantiate(*c).call("f")), "i32:11");
  EXPECT_TRUE(aot::cached_code(bytes));  // replaced by a good one
}

// load_module with a cached entry: only what is not a function body is
// decoded and validated (the entry's code came from those exact bytes,
// validated whole); bytes that differ anywhere, even in one body, miss.
TEST(AotCache, ALoadWithCachedCodeSkipsTheBodies) {
  PrivateCache cache;
  const std::string wat = "(module (func (export \"f\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 6))))";
  auto bytes = binary(wat);
  auto first = load_module(bytes, nullptr, {.tier = "aot"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(dynamic_cast<const aot::AotModule&>(**first).from_cache);
  auto second = load_module(bytes, nullptr, {.tier = "auto"});
  ASSERT_TRUE(second) << second.error().message;
  auto* am = dynamic_cast<const aot::AotModule*>(second->get());
  ASSERT_NE(am, nullptr);
  EXPECT_TRUE(am->from_cache);
  EXPECT_EQ((*second)->module().body_storage, nullptr);
  EXPECT_EQ(outcome(instantiate(*second).call("f", {Value::i32(7)})), "i32:42");
  // The same module with another constant in its body: a miss, compiled anew.
  auto other = binary("(module (func (export \"f\") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 5))))");
  ASSERT_EQ(other.size(), bytes.size());
  auto third = load_module(other, nullptr, {.tier = "aot"});
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_FALSE(dynamic_cast<const aot::AotModule&>(**third).from_cache);
  EXPECT_EQ(outcome(instantiate(*third).call("f", {Value::i32(7)})), "i32:35");
}

// The same for a component's core modules: decoded without their bodies
// when the cache holds their code.
TEST(AotCache, AComponentsCachedCoreModulesSkipTheirBodies) {
  PrivateCache cache;
  auto bytes = wasm::text::component_to_binary(R"((component
    (core module $m (func (export "f") (result i32) (i32.const 42)))
    (core instance $i (instantiate $m))
    (func (export "f") (result s32) (canon lift (core func $i "f")))))");
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto bodies_of = [](const component::runtime::LoadedComponent& c) {
    EXPECT_EQ(c.compiled.size(), 1u);
    return c.compiled.begin()->second->module().body_storage != nullptr;
  };
  auto first = component::runtime::load_component(*bytes, nullptr, {.tier = "aot"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(component::runtime::compiled_by(**first, "aot"));
  EXPECT_FALSE(dynamic_cast<const aot::AotModule&>(*(*first)->compiled.begin()->second).from_cache);
  auto second = component::runtime::load_component(*bytes, nullptr, {.tier = "auto"});
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(component::runtime::compiled_by(**second, "aot"));
  EXPECT_TRUE(dynamic_cast<const aot::AotModule&>(*(*second)->compiled.begin()->second).from_cache);
  EXPECT_FALSE(bodies_of(**second));
  // Interpreted, the bodies are decoded as always (and dropped once translated).
  auto third = component::runtime::load_component(*bytes, nullptr, {.tier = "interp"});
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_TRUE(component::runtime::compiled_by(**third, "interp"));
}

// An entry that is there but does not load: the whole load is done again.
TEST(AotCache, ALoadWhoseCachedCodeIsDamagedLoadsWhole) {
  PrivateCache cache;
  auto bytes = binary("(module (func (export \"f\") (result i32) (i32.const 12)))");
  ASSERT_TRUE(load_module(bytes, nullptr, {.tier = "aot"}));
  auto entries = cache.entries();
  ASSERT_EQ(entries.size(), 1u);
  {
    std::fstream f(entries[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-3, std::ios::end);
    f.put('\x5a');
  }
  auto c = load_module(bytes, nullptr, {.tier = "auto"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(outcome(instantiate(*c).call("f")), "i32:12");
}

TEST(AotCache, TrimRemovesTheLeastRecentlyUsed) {
  PrivateCache cache;
  std::vector<std::vector<uint8_t>> sources;
  for (int i = 0; i < 3; ++i) {
    sources.push_back(binary("(module (func (export \"f\") (result i32) (i32.const " + std::to_string(100 + i) + ")))"));
    ASSERT_TRUE(aot::native_code(*decoded(sources.back()), sources.back()));
  }
  auto entries = cache.entries();
  ASSERT_EQ(entries.size(), 3u);
  // Ages set apart by a minute each, then the oldest used again (a hit
  // refreshes it): the second is now the one used longest ago.
  uint64_t size = 0;
  for (int i = 0; i < 3; ++i) {
    auto path = aot::cache_path(platform::digest(sources[i]));
    timespec t[2] = {{time(nullptr) - 600 + 60 * i, 0}, {time(nullptr) - 600 + 60 * i, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), t, 0), 0);
    size = std::max<uint64_t>(size, fs::file_size(path));
  }
  ASSERT_TRUE(aot::cached_code(sources[0]));
  // Room for two of them: one goes.
  EXPECT_EQ(aot::trim_cache(aot::cache_dir(), 2 * size + size / 2), 1u);
  EXPECT_TRUE(aot::cached_code(sources[0]));
  EXPECT_FALSE(aot::cached_code(sources[1]));
  EXPECT_TRUE(aot::cached_code(sources[2]));
  EXPECT_EQ(aot::trim_cache(aot::cache_dir(), 0), 2u);
  EXPECT_TRUE(cache.entries().empty());
}

TEST(AotCache, StoringKeepsTheBudget) {
  PrivateCache cache;
  ::setenv("WHIRL_AOT_CACHE_BYTES", "1", 1);
  auto bytes = binary("(module (func (export \"f\") (result i32) (i32.const 5)))");
  auto code = aot::native_code(*decoded(bytes), bytes);
  ::unsetenv("WHIRL_AOT_CACHE_BYTES");
  ASSERT_TRUE(code) << code.error().message;  // the code is still had, only not kept
  EXPECT_TRUE(cache.entries().empty());
}

TEST(AotCache, ConcurrentCompilesOfOneModuleCompileOnce) {
  PrivateCache cache;
  auto bytes = binary(many_functions(200));
  auto m = decoded(bytes);
  std::vector<Expected<aot::NativeCode>> got(4, make_error("not run"));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) threads.emplace_back([&, i] { got[i] = aot::native_code(*m, bytes); });
  for (auto& t : threads) t.join();
  size_t compiled = 0;
  for (auto& g : got) {
    ASSERT_TRUE(g) << g.error().message;
    compiled += !g->from_cache;
    EXPECT_TRUE(std::equal(g->object.begin(), g->object.end(), got[0]->object.begin(), got[0]->object.end()));
  }
  EXPECT_EQ(compiled, 1u);  // the others waited for its entry
  EXPECT_EQ(cache.entries().size(), 1u);
}

TEST(AotCache, BudgetFromTheEnvironment) {
  ::setenv("WHIRL_AOT_CACHE_BYTES", "64M", 1);
  EXPECT_EQ(aot::cache_budget(), uint64_t(64) << 20);
  ::setenv("WHIRL_AOT_CACHE_BYTES", "2G", 1);
  EXPECT_EQ(aot::cache_budget(), uint64_t(2) << 30);
  ::setenv("WHIRL_AOT_CACHE_BYTES", "4096", 1);
  EXPECT_EQ(aot::cache_budget(), 4096u);
  ::unsetenv("WHIRL_AOT_CACHE_BYTES");
  EXPECT_EQ(aot::cache_budget(), uint64_t(1) << 30);
}

TEST(AotCache, LeftoverTemporaryFilesAreRemovedWhenOld) {
  PrivateCache cache;
  fs::create_directories(aot::cache_dir());
  fs::path old_tmp = fs::path(aot::cache_dir()) / "0-0.cwasm.tmp.1.0";
  fs::path new_tmp = fs::path(aot::cache_dir()) / "0-0.cwasm.tmp.2.0";
  std::ofstream(old_tmp) << "partial";
  std::ofstream(new_tmp) << "partial";
  timespec t[2] = {{time(nullptr) - 7200, 0}, {time(nullptr) - 7200, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, old_tmp.c_str(), t, 0), 0);
  aot::trim_cache(aot::cache_dir(), 1 << 20);
  EXPECT_FALSE(fs::exists(old_tmp));
  EXPECT_TRUE(fs::exists(new_tmp));  // a writer may be busy with it
}

}  // namespace
}  // namespace whirl::wasm::aot_test

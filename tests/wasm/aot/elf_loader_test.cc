// The ELF object loader on real objects: C compiled with the system clang
// (PIC, PIE, non-PIC small model, -fno-plt) is loaded, linked against host
// libm/libc functions through the resolver, called, and compared with the
// same code compiled into this test. Damaged objects (truncated, bytes
// flipped in the headers, section table, symbols and relocations, wrong
// machine or type) must give an error or load, never crash.
#include "wasm/aot/elf_loader.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "../../scratch_dir.h"

namespace whirl::wasm::aot {
namespace {

namespace fs = std::filesystem;

// Compiles `source` (C, or assembly with ext "s") with clang `flags` and
// returns the object's bytes; empty if clang is missing or fails.
std::vector<uint8_t> compile(const std::string& name, const std::string& source, const std::string& flags,
                             const std::string& ext = "c", const std::string& output_flag = "-c") {
  fs::path dir = whirl::testing::scratch_dir("elf_loader_test");
  fs::path src = dir / (name + "." + ext), out = dir / (name + ".o");
  std::ofstream(src) << source;
  std::string cmd = "clang " + output_flag + " " + flags + " -o " + out.string() + " " + src.string() + " 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  std::ifstream in(out, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

const char* const kSource = R"(
#include <math.h>
#include <string.h>

int counter = 5;
static int hidden = 7;
double scale_factor = 1.5;
extern int maybe(void) __attribute__((weak));

int add(int a, int b) { return a + b; }
int bump(int d) { counter += d; hidden += 1; return counter * 100 + hidden; }
int *counter_addr(void) { return &counter; }
double poly(double x) { return x * 3.14159 + 2.5 * scale_factor; }
int pick(int x, int y) {  /* a jump table in .rodata */
  switch (x) {
    case 0: return y + 1; case 1: return y * 3; case 2: return y - 7; case 3: return y << 2;
    case 4: return y / 3; case 5: return y % 5; case 6: return ~y; case 7: return y ^ 0x55;
    default: return 0;
  }
}
void copy(char *d, const char *s, unsigned long n) { memcpy(d, s, n); }
double root(double x) { return sqrt(x); }
double up(double x) { return ceil(x); }
float upf(float x) { return ceilf(x); }
double rem(double a, double b) { return fmod(a, b); }
static int twice(int x) { return 2 * x; }
static int square(int x) { return x * x; }
static int negate(int x) { return -x; }
int (*const ops[])(int) = {twice, square, negate};  /* .data.rel.ro (PIC) with R_X86_64_64 */
int apply(int i, int x) { return ops[i](x); }
int has_maybe(void) { return maybe ? maybe() : -1; }
)";

// The same functions, natively.
int native_pick(int x, int y) {
  switch (x) {
    case 0: return y + 1; case 1: return y * 3; case 2: return y - 7; case 3: return y << 2;
    case 4: return y / 3; case 5: return y % 5; case 6: return ~y; case 7: return y ^ 0x55;
    default: return 0;
  }
}
double native_poly(double x) { return x * 3.14159 + 2.5 * 1.5; }

// Resolves the host functions the source calls and records what was asked.
struct HostResolver {
  std::set<std::string> asked;
  std::set<std::string> refuse;
  SymbolResolver resolver() {
    return [this](std::string_view name) -> uintptr_t {
      asked.emplace(name);
      if (refuse.count(std::string(name))) return 0;
      static const std::map<std::string_view, uintptr_t> host = {
          {"memcpy", uintptr_t(static_cast<void* (*)(void*, const void*, size_t)>(&std::memcpy))},
          {"sqrt", uintptr_t(static_cast<double (*)(double)>(&::sqrt))},
          {"ceil", uintptr_t(static_cast<double (*)(double)>(&::ceil))},
          {"ceilf", uintptr_t(static_cast<float (*)(float)>(&::ceilf))},
          {"fmod", uintptr_t(static_cast<double (*)(double, double)>(&::fmod))},
      };
      auto it = host.find(name);
      return it == host.end() ? 0 : it->second;
    };
  }
};

// The permissions ("r-xp", ...) of the mapping containing addr.
std::string protection(uintptr_t addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo, hi;
    char perms[8];
    if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) return perms;
  }
  return "";
}

template <class F>
F* fn(const LoadedObject& o, const char* name) {
  uintptr_t a = o.symbol(name);
  EXPECT_NE(a, 0u) << name;
  return reinterpret_cast<F*>(a);
}

class ElfLoaderRuns : public ::testing::TestWithParam<const char*> {};

TEST_P(ElfLoaderRuns, CompiledCCallsHostAndMatchesNative) {
  std::string flags = std::string("-O2 ") + GetParam();
  auto bytes = compile("basic", kSource, flags);
  if (bytes.empty()) GTEST_SKIP() << "clang " << flags << " failed";
  HostResolver host;
  auto loaded = load_elf_object(bytes, host.resolver());
  ASSERT_TRUE(loaded) << loaded.error().message;
  const LoadedObject& o = **loaded;

  EXPECT_EQ(fn<int(int, int)>(o, "add")(40, 2), 42);
  EXPECT_EQ(fn<int(int)>(o, "bump")(3), 808);
  EXPECT_EQ(fn<int(int)>(o, "bump")(2), 1009);
  int* counter = fn<int*()>(o, "counter_addr")();
  EXPECT_EQ(reinterpret_cast<uintptr_t>(counter), o.symbol("counter"));
  EXPECT_EQ(*counter, 10);
  *counter = 1;
  EXPECT_EQ(fn<int(int)>(o, "bump")(0), 110);
  for (double x : {0.0, -2.5, 1e10, 3.25}) EXPECT_EQ(fn<double(double)>(o, "poly")(x), native_poly(x));
  *reinterpret_cast<double*>(o.symbol("scale_factor")) = 2.0;
  EXPECT_EQ(fn<double(double)>(o, "poly")(1.0), 1.0 * 3.14159 + 2.5 * 2.0);
  for (int x = -2; x < 10; ++x)
    for (int y : {0, 1, -7, 12345, -99999})
      EXPECT_EQ(fn<int(int, int)>(o, "pick")(x, y), native_pick(x, y)) << x << " " << y;
  char dst[32] = {};
  fn<void(char*, const char*, unsigned long)>(o, "copy")(dst, "hello, loader", 14);
  EXPECT_STREQ(dst, "hello, loader");
  EXPECT_EQ(fn<double(double)>(o, "root")(2.0), std::sqrt(2.0));
  EXPECT_TRUE(std::isnan(fn<double(double)>(o, "root")(-1.0)));  // the libm call path
  EXPECT_EQ(fn<double(double)>(o, "up")(2.25), 3.0);
  EXPECT_EQ(fn<double(double)>(o, "up")(-2.75), -2.0);
  EXPECT_EQ(fn<float(float)>(o, "upf")(7.5f), 8.0f);
  EXPECT_EQ(fn<double(double, double)>(o, "rem")(7.5, 2.0), std::fmod(7.5, 2.0));
  EXPECT_EQ(fn<int(int, int)>(o, "apply")(0, 21), 42);
  EXPECT_EQ(fn<int(int, int)>(o, "apply")(1, 9), 81);
  EXPECT_EQ(fn<int(int, int)>(o, "apply")(2, 5), -5);
  EXPECT_EQ(fn<int()>(o, "has_maybe")(), -1);  // weak undefined, resolved to 0
  EXPECT_EQ(o.symbol("no_such_symbol"), 0u);
  EXPECT_EQ(o.symbol(""), 0u);
  EXPECT_TRUE(host.asked.count("maybe"));
  for (const auto& name : host.asked)
    EXPECT_TRUE(std::set<std::string>({"memcpy", "sqrt", "ceil", "ceilf", "fmod", "maybe"}).count(name)) << name;

  // Code r-x, constants and the relocated function table r--, data rw-.
  uintptr_t add = o.symbol("add"), pick = o.symbol("pick"), ops = o.symbol("ops"), data = o.symbol("counter");
  EXPECT_EQ(protection(add), "r-xp");
  EXPECT_EQ(protection(ops), "r--p");
  EXPECT_EQ(protection(data), "rw-p");

  EXPECT_TRUE(o.contains_code(add));
  EXPECT_TRUE(o.contains_code(pick + 5));
  EXPECT_FALSE(o.contains_code(ops));
  EXPECT_FALSE(o.contains_code(data));
  EXPECT_FALSE(o.contains_code(0));
  EXPECT_FALSE(o.contains_code(reinterpret_cast<uintptr_t>(&native_pick)));
  EXPECT_EQ(o.function_at(add), "add");
  EXPECT_EQ(o.function_at(pick + 5), "pick");
  EXPECT_NE(o.function_at(pick - 1), "pick");
  EXPECT_EQ(o.function_at(data), "");
  EXPECT_EQ(o.function_at(0), "");
  EXPECT_EQ(o.function_at(UINTPTR_MAX), "");
  EXPECT_GE(o.code().size(), 0x100u);
}

INSTANTIATE_TEST_SUITE_P(Flags, ElfLoaderRuns,
                         ::testing::Values("-fPIC", "-fPIE", "-fPIC -fno-plt", "-fno-pic -mcmodel=small",
                                           "-O0 -fPIC", "-fno-pic -ffunction-sections -fdata-sections"));

TEST(ElfLoader, NonPicAbsoluteRelocationsMapLow) {
  auto bytes = compile("nopic", kSource, "-O2 -fno-pic -mcmodel=small");
  if (bytes.empty()) GTEST_SKIP();
  HostResolver host;
  auto loaded = load_elf_object(bytes, host.resolver());
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_LT((*loaded)->symbol("counter_addr"), uintptr_t{1} << 31);  // `movl $counter, %eax` is R_X86_64_32
}

TEST(ElfLoader, UndefinedSymbolIsAnError) {
  auto bytes = compile("basic", kSource, "-O2 -fPIC");
  if (bytes.empty()) GTEST_SKIP();
  HostResolver host;
  host.refuse = {"fmod"};
  auto loaded = load_elf_object(bytes, host.resolver());
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().message, "undefined symbol 'fmod'");
  EXPECT_FALSE(load_elf_object(bytes, nullptr));
}

// What the loader cannot honour is an error naming it, not a wrong load.
TEST(ElfLoader, UnsupportedFeaturesAreNamed) {
  struct Case {
    const char* source;
    const char* flags;
    std::vector<const char*> expected;
  };
  const Case cases[] = {
      // The large code model addresses the GOT with R_X86_64_GOTPC64 / GOT64.
      {"int g; int *f(void) { return &g; }", "-O2 -fPIC -mcmodel=large",
       {"unsupported relocation type 29 in section ", " (.rela.text)"}},
      {"__thread int t; int f(void) { return t; }", "-O2 -fPIC", {"(.tbss): thread-local storage is not supported"}},
      {"void hook(void); __attribute__((constructor)) static void init(void) { hook(); }", "-O2 -fPIC",
       {"(.init_array): static constructors and destructors are not supported"}},
      // A common symbol (-fcommon) has no section to live in.
      {"int c; int *f(void) { return &c; }", "-O2 -fPIC -fcommon", {"common symbol"}},
  };
  for (const Case& c : cases) {
    auto bytes = compile("unsupported", c.source, c.flags);
    if (bytes.empty()) GTEST_SKIP();
    auto loaded = load_elf_object(bytes, nullptr);
    ASSERT_FALSE(loaded) << c.source;
    for (const char* text : c.expected)
      EXPECT_NE(loaded.error().message.find(text), std::string::npos) << loaded.error().message;
  }
}

TEST(ElfLoader, RejectsOtherElfFiles) {
  auto bytes = compile("basic", kSource, "-O2 -fPIC");
  if (bytes.empty()) GTEST_SKIP();
  auto expect_error = [](std::vector<uint8_t> b, const std::string& text) {
    auto loaded = load_elf_object(b, nullptr);
    ASSERT_FALSE(loaded);
    EXPECT_NE(loaded.error().message.find(text), std::string::npos) << loaded.error().message;
  };
  auto wrong_machine = bytes;
  wrong_machine[offsetof(Elf64_Ehdr, e_machine)] = EM_AARCH64;
  expect_error(wrong_machine, "not an ELF x86-64 relocatable object (e_machine 183)");
  auto big_endian = bytes;
  big_endian[EI_DATA] = ELFDATA2MSB;
  expect_error(big_endian, "not an ELF x86-64 relocatable object");
  expect_error({}, "not an ELF x86-64 relocatable object");
  expect_error({0x7f, 'E', 'L', 'F'}, "not an ELF x86-64 relocatable object");
  auto exe = compile("exe", "int main(void) { return 0; }", "-O2 -no-pie", "c", "");
  if (!exe.empty()) expect_error(exe, "not an ELF x86-64 relocatable object (e_type 2)");
  auto pie = compile("pie", "int main(void) { return 0; }", "-O2 -pie -fPIE", "c", "");
  if (!pie.empty()) expect_error(pie, "not an ELF x86-64 relocatable object (e_type 3)");
  auto shared = compile("so", "int f(void) { return 0; }", "-O2 -fPIC -shared", "c", "");
  if (!shared.empty()) expect_error(shared, "not an ELF x86-64 relocatable object (e_type 3)");
}

// Loading a damaged object gives an error or a (linked) object; it never
// reads out of bounds or crashes. Nothing loaded from damaged input is run.
TEST(ElfLoader, DamagedObjectsNeverCrash) {
  auto bytes = compile("basic", kSource, "-O2 -fPIC");
  if (bytes.empty()) GTEST_SKIP();
  HostResolver host;
  SymbolResolver resolve = host.resolver();
  size_t loaded = 0, failed = 0;
  auto attempt = [&](const std::vector<uint8_t>& b) {
    // An exactly-sized heap copy, so that ASan catches any read past the end.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[b.size()]);
    std::copy(b.begin(), b.end(), copy.get());
    auto r = load_elf_object(std::span<const uint8_t>(copy.get(), b.size()), resolve);
    if (r) {
      ++loaded;
      (*r)->symbol("add");
      (*r)->function_at((*r)->symbol("add"));
    } else {
      ++failed;
      EXPECT_FALSE(r.error().message.empty());
    }
  };
  for (size_t n = 0; n < bytes.size(); ++n) attempt(std::vector<uint8_t>(bytes.begin(), bytes.begin() + n));
  EXPECT_EQ(loaded, 0u) << "a truncated object loaded";

  // Every byte of the ELF header and the section header table set to values
  // that make offsets, sizes, indices and counts large, zero or negative.
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  std::vector<size_t> positions;
  for (size_t i = 0; i < sizeof eh; ++i) positions.push_back(i);
  for (size_t i = eh.e_shoff; i < eh.e_shoff + size_t(eh.e_shnum) * sizeof(Elf64_Shdr); ++i) positions.push_back(i);
  for (size_t pos : positions)
    for (uint8_t v : {0x00, 0x01, 0x7f, 0x80, 0xff}) {
      auto b = bytes;
      b[pos] = v;
      attempt(b);
    }

  // Random flips in the symbol table, the relocations and everywhere.
  std::vector<std::pair<size_t, size_t>> ranges = {{0, bytes.size()}};
  for (int i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, bytes.data() + eh.e_shoff + i * sizeof sh, sizeof sh);
    if (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_RELA) ranges.push_back({sh.sh_offset, sh.sh_size});
  }
  std::mt19937 rng(12345);
  for (int iter = 0; iter < 20000; ++iter) {
    auto b = bytes;
    auto [start, size] = ranges[iter % ranges.size()];
    for (int k = 0, n = 1 + rng() % 4; k < n; ++k) {
      size_t pos = start + rng() % size;
      b[pos] = rng() % 3 == 0 ? uint8_t(rng()) : uint8_t(b[pos] ^ (1u << (rng() % 8)));
    }
    attempt(b);
  }
  EXPECT_GT(failed, 1000u);
  EXPECT_GT(loaded, 100u);
}

// 70,000 functions, each in its own section: more than 65,280 sections, so
// the object uses extended section numbering (e_shnum 0, SHN_XINDEX).
TEST(ElfLoader, ExtendedSectionNumbering) {
  constexpr int kFunctions = 70000;
  std::string s;
  s.reserve(kFunctions * 140);
  for (int i = 0; i < kFunctions; ++i) {
    std::string f = "f" + std::to_string(i);
    s += ".section .text." + f + ",\"ax\",@progbits\n.globl " + f + "\n.type " + f + ",@function\n" + f +
         ":\nmovl $" + std::to_string(i) + ", %eax\n";
    // Every 7th function calls the next one (across sections), and some
    // (not called here) call memcpy through a stub.
    if (i % 7 == 0 && i + 1 < kFunctions) s += "call f" + std::to_string(i + 1) + "\n";
    if (i % 1000 == 500) s += "call memcpy@PLT\n";
    s += "ret\n.size " + f + ", .-" + f + "\n";
  }
  auto bytes = compile("many", s, "", "s");
  if (bytes.empty()) GTEST_SKIP();
  Elf64_Ehdr eh;
  std::memcpy(&eh, bytes.data(), sizeof eh);
  EXPECT_EQ(eh.e_shnum, 0);
  HostResolver host;
  auto start = std::chrono::steady_clock::now();
  auto loaded = load_elf_object(bytes, host.resolver());
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(loaded) << loaded.error().message;
  std::printf("loaded %zu bytes, %d sections, in %lld us\n", bytes.size(), 2 * kFunctions, static_cast<long long>(us));
  const LoadedObject& o = **loaded;
  for (int i : {0, 1, 6, 7, 8, 65279, 65280, 65281, 69999}) {
    std::string f = "f" + std::to_string(i);
    uintptr_t a = o.symbol(f);
    ASSERT_NE(a, 0u) << f;
    EXPECT_EQ(reinterpret_cast<int (*)()>(a)(), i % 7 == 0 && i + 1 < kFunctions ? i + 1 : i) << f;
    EXPECT_EQ(o.function_at(a), f);
    EXPECT_EQ(o.function_at(a + 5), f);
    EXPECT_TRUE(o.contains_code(a));
  }
  EXPECT_EQ(host.asked, std::set<std::string>{"memcpy"});

  // Every function through symbols() and through symbol().
  size_t functions = 0;
  start = std::chrono::steady_clock::now();
  for (const LoadedObject::Symbol& sym : o.symbols()) {
    if (!sym.function) continue;
    ++functions;
    EXPECT_EQ(o.symbol(sym.name), sym.addr);
  }
  us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  std::printf("%zu lookups by name in %lld us\n", functions, static_cast<long long>(us));
  EXPECT_EQ(functions, size_t(kFunctions));
}

}  // namespace
}  // namespace whirl::wasm::aot

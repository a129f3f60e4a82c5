// Cross-check against the executable reference: definitions.py (from
// ../shared/component-model, design/mvp/canonical-abi) computes sizes,
// alignments and flattenings of a list of types, the core function types
// of a few signatures, and the bytes and realloc calls of storing strings
// in every encoding pair; each line must match ours. Skipped when python3
// or the specification is missing.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "component/abi/lift_lower.h"
#include "test_types.h"

#ifndef WHIRL_COMPONENT_MODEL_DIR
#define WHIRL_COMPONENT_MODEL_DIR ""
#endif

namespace whirl::component::abi {
namespace {

using namespace test;

std::string py(const ValType* t) {
  if (!t) return "None";
  auto list_of = [](auto n, auto get) {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + get(i);
    return s + "]";
  };
  auto quoted = [](const std::string& l) { return "'" + l + "'"; };
  switch (t->kind) {
    case TypeKind::Bool: return "BoolType()";
    case TypeKind::S8: return "S8Type()";
    case TypeKind::U8: return "U8Type()";
    case TypeKind::S16: return "S16Type()";
    case TypeKind::U16: return "U16Type()";
    case TypeKind::S32: return "S32Type()";
    case TypeKind::U32: return "U32Type()";
    case TypeKind::S64: return "S64Type()";
    case TypeKind::U64: return "U64Type()";
    case TypeKind::F32: return "F32Type()";
    case TypeKind::F64: return "F64Type()";
    case TypeKind::Char: return "CharType()";
    case TypeKind::String: return "StringType()";
    case TypeKind::ErrorContext: return "ErrorContextType()";
    case TypeKind::List:
      return "ListType(" + py(t->elem.get()) + (t->fixed_length ? ", " + std::to_string(*t->fixed_length) : "") + ")";
    case TypeKind::Record:
      return "RecordType(" + list_of(t->fields.size(), [&](size_t i) {
               return "FieldType('" + t->fields[i].label + "', " + py(t->fields[i].type.get()) + ")";
             }) + ")";
    case TypeKind::Tuple:
      return "TupleType(" + list_of(t->elems.size(), [&](size_t i) { return py(t->elems[i].get()); }) + ")";
    case TypeKind::Variant:
      return "VariantType(" + list_of(t->cases.size(), [&](size_t i) {
               return "CaseType('" + t->cases[i].label + "', " + py(t->cases[i].type.get()) + ")";
             }) + ")";
    case TypeKind::Enum:
      return "EnumType(" + list_of(t->labels.size(), [&](size_t i) { return quoted(t->labels[i]); }) + ")";
    case TypeKind::Flags:
      return "FlagsType(" + list_of(t->labels.size(), [&](size_t i) { return quoted(t->labels[i]); }) + ")";
    case TypeKind::Option: return "OptionType(" + py(t->elem.get()) + ")";
    case TypeKind::Result: return "ResultType(" + py(t->ok.get()) + ", " + py(t->err.get()) + ")";
    case TypeKind::Own: return "OwnType(ResourceType(None))";
    case TypeKind::Borrow: return "BorrowType(ResourceType(None))";
    case TypeKind::Stream: return "StreamType(" + py(t->elem.get()) + ")";
    case TypeKind::Future: return "FutureType(" + py(t->elem.get()) + ")";
    case TypeKind::Map: return "MapType(" + py(t->key.get()) + ", " + py(t->elem.get()) + ")";
  }
  return "None";
}

std::string flat_text(const std::vector<CoreType>& f) {
  std::string s;
  for (size_t i = 0; i < f.size(); ++i) s += (i ? "," : "") + std::string(to_string(f[i]));
  return "[" + s + "]";
}

std::vector<ValTypePtr> sample_types() {
  ValType map;
  map.kind = TypeKind::Map;
  map.key = str();
  map.elem = option(f64());
  ValType stream;
  stream.kind = TypeKind::Stream;
  stream.elem = u8();
  std::vector<std::pair<std::string, ValTypePtr>> many;
  for (int i = 0; i < 260; ++i) many.push_back({"c" + std::to_string(i), i % 3 == 0 ? nullptr : i % 3 == 1 ? f32() : u16()});
  return {
      boolean(), s8(), u16(), s32(), u64(), f32(), f64(), chr(), str(), prim(TypeKind::ErrorContext),
      list(u8()), list(u64(), 3), list(tuple({u8(), f32()}), 2), list(str(), 2),
      record({{"a", u8()}, {"b", u32()}, {"c", u16()}}),
      record({{"a", u8()}, {"b", u64()}, {"c", u8()}}),
      record({{"x", option(u8())},
              {"y", variant({{"a", f32()}, {"b", tuple({u8(), u16()})}, {"c", nullptr}})},
              {"z", list(str())}}),
      tuple({u8(), u16(), u8()}), tuple({f64(), u8()}),
      variant({{"a", u8()}, {"b", u64()}}), variant({{"a", f32()}, {"b", u64()}, {"c", nullptr}}),
      variant({{"a", tuple({f32(), u32()})}, {"b", tuple({u64(), f64()})}, {"c", u8()}}),
      variant({{"a", f32()}, {"b", f64()}}), variant({{"x", nullptr}}), variant(many),
      enumeration({"a"}), enumeration(numbered("e", 256)), enumeration(numbered("e", 257)),
      option(u32()), option(option(str())), option(list(f64(), 2)),
      result(str(), u8()), result(nullptr, nullptr), result(f64(), f32()), result(nullptr, list(chr())),
      flags({"a"}), flags(numbered("f", 8)), flags(numbered("f", 9)), flags(numbered("f", 17)),
      flags(numbered("f", 32)), handle(TypeKind::Own, 1), handle(TypeKind::Borrow, 1),
      make(map), make(stream),
      record({{"deep", variant({{"a", record({{"s", str()}, {"v", variant({{"i", s64()}, {"f", f32()}})}})},
                                {"b", list(flags(numbered("f", 20)), 3)}})},
              {"tail", u8()}}),
  };
}

struct Sig {
  std::vector<ValTypePtr> params;
  ValTypePtr result;
};

std::vector<Sig> sample_sigs() {
  return {
      {{}, nullptr},
      {{u32(), f64()}, u8()},
      {std::vector<ValTypePtr>(16, u32()), str()},
      {std::vector<ValTypePtr>(17, u32()), f32()},
      {{str(), str(), str(), str(), str(), str(), str(), str()}, tuple({u8(), u8()})},
      {{list(u64(), 9)}, option(u8())},
      {{u8(), u8(), u8(), u8(), u8()}, nullptr},
  };
}

FuncType func(const Sig& s) {
  FuncType ft;
  for (size_t i = 0; i < s.params.size(); ++i) ft.params.push_back({"p" + std::to_string(i), s.params[i]});
  ft.result = s.result;
  return ft;
}

// Texts as code points (Python literals are built from them).
const std::vector<std::vector<uint32_t>> kTexts = {
    {}, {'a'}, {'h', 'i'}, {0}, {0x80}, {'a', 'b', 0xEF, 'c'}, {'h', 0xE9, 'l', 'l', 'o'}, {0x1FF, 'y'},
    {'x', 'y', 0x1FF}, {0x65E5, 0x672C}, {'a', 0x1F600}, {0xE9, 0x65E5}, {0xFF, 0x100, 0xFF},
    {'a', 0xD7FF, 'b', 0xE000, 0x10FFFF},
};

std::string utf8(const std::vector<uint32_t>& cps) {
  std::string s;
  for (uint32_t c : cps) {
    if (c < 0x80) s += char(c);
    else if (c < 0x800) s += char(0xC0 | (c >> 6)), s += char(0x80 | (c & 0x3F));
    else if (c < 0x10000) s += char(0xE0 | (c >> 12)), s += char(0x80 | ((c >> 6) & 0x3F)), s += char(0x80 | (c & 0x3F));
    else s += char(0xF0 | (c >> 18)), s += char(0x80 | ((c >> 12) & 0x3F)), s += char(0x80 | ((c >> 6) & 0x3F)), s += char(0x80 | (c & 0x3F));
  }
  return s;
}

const char* const kEncodings[] = {"utf8", "utf16", "latin1+utf16"};
constexpr size_t kHeap = 128;

const char* kScriptHead = R"(
import sys
sys.path.insert(0, sys.argv[1])
import definitions
from definitions import *
definitions.DETERMINISTIC_PROFILE = True
def opts(ptr, enc='utf8', realloc=None, async_=False, callback=None):
  o = CanonicalOptions(); o.memory = MemInst(bytearray(), ptr); o.string_encoding = enc; o.realloc = realloc
  o.post_return = None; o.async_ = async_; o.callback = callback
  return o
def flat(ts): return '[' + ','.join(ts) + ']'
def T(i, t):
  out = ['T', str(i)]
  for p in ['i32', 'i64']:
    out += [str(elem_size(t, p)), str(alignment(t, p)), flat(flatten_type(t, opts(p)))]
  print(' '.join(out))
def F(i, ps, r):
  ft = FuncType([('p%d' % k, t) for k, t in enumerate(ps)], [] if r is None else [r])
  out = ['F', str(i)]
  for ctx in ['lift', 'lower']:
    for o in [opts('i32'), opts('i32', async_=True), opts('i32', async_=True, callback=lambda: None)]:
      c = flatten_functype(o, ft, ctx)
      out += [flat(c.params) + '->' + flat(c.results)]
  print(' '.join(out))
class Heap:
  def __init__(self):
    self.memory = bytearray(%HEAP%); self.last_alloc = 0; self.calls = []
  def realloc(self, args):
    op, os_, al, ns = args
    if op != 0 and ns < os_:
      ret = align_to(op, al)
    else:
      ret = align_to(self.last_alloc, al); self.last_alloc = ret + ns
      if self.last_alloc > len(self.memory): trap()
      self.memory[ret:ret+os_] = self.memory[op:op+os_]
    self.calls.append('%d,%d,%d,%d,%d' % (op, os_, al, ns, ret))
    return [ret]
def S(i, s, src, latin1, ptr, dst):
  if src == 'utf8': units = len(s.encode('utf-8'))
  elif src == 'utf16': units = len(s.encode('utf-16-le')) // 2
  elif latin1: units = len(s)
  else: units = (len(s.encode('utf-16-le')) // 2) | utf16_tag(ptr)
  h = Heap()
  o = opts(ptr, dst, h.realloc)
  o.memory = MemInst(h.memory, ptr)
  cx = LiftLowerContext(o, ComponentInstance(Store()))
  try:
    p, n = store_string_into_range(cx, (s, src, units))
    print('S', i, p, n, ';'.join(h.calls), h.memory.hex())
  except Trap:
    print('S', i, 'trap')
)";

std::string hex(const std::vector<uint8_t>& b) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (uint8_t x : b) s += d[x >> 4], s += d[x & 15];
  return s;
}

// Runs the script (argv[1]: the canonical-abi directory) and compares each
// output line "KIND ID ..." with expected["KIND ID"].
void compare_with_python(const std::filesystem::path& dir, const std::string& script,
                         const std::map<std::string, std::string>& expected) {
  auto script_path = std::filesystem::temp_directory_path() / ("whirl_abi_ref_" + std::to_string(getpid()) + ".py");
  {
    std::ofstream f(script_path);
    f << script;
  }
  std::string cmd = "python3 " + script_path.string() + " " + dir.string() + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  while (size_t k = fread(buf, 1, sizeof buf, pipe)) out.append(buf, k);
  int status = pclose(pipe);
  std::filesystem::remove(script_path);
  ASSERT_EQ(status, 0) << out;

  std::istringstream lines(out);
  std::string line;
  size_t matched = 0;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string kind, id;
    words >> kind >> id;
    auto it = expected.find(kind + " " + id);
    ASSERT_NE(it, expected.end()) << line;
    EXPECT_EQ(it->second, line);
    ++matched;
  }
  EXPECT_EQ(matched, expected.size());
}

#define SKIP_WITHOUT_PYTHON(dir)                                                                                \
  std::filesystem::path dir = std::filesystem::path(WHIRL_COMPONENT_MODEL_DIR) / "design/mvp/canonical-abi";   \
  if (!std::filesystem::exists(dir / "definitions.py")) GTEST_SKIP() << "no definitions.py at " << dir;        \
  if (std::system("python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' >/dev/null 2>&1")) \
  GTEST_SKIP() << "python3 (>= 3.10) not found"

TEST(AbiReference, MatchesDefinitionsPy) {
  SKIP_WITHOUT_PYTHON(dir);

  std::string head = kScriptHead;
  head.replace(head.find("%HEAP%"), 6, std::to_string(kHeap));
  std::ostringstream script;
  script << head;
  std::map<std::string, std::string> expected;  // our line per key

  auto types = sample_types();
  for (size_t i = 0; i < types.size(); ++i) {
    script << "T(" << i << ", " << py(types[i].get()) << ")\n";
    std::string line = "T " + std::to_string(i);
    for (PtrType p : {PtrType::I32, PtrType::I64})
      line += " " + std::to_string(elem_size(*types[i], p)) + " " + std::to_string(alignment(*types[i], p)) + " " +
              flat_text(flatten_type(*types[i], p));
    expected["T " + std::to_string(i)] = line;
  }

  auto sigs = sample_sigs();
  for (size_t i = 0; i < sigs.size(); ++i) {
    script << "F(" << i << ", [";
    for (const auto& p : sigs[i].params) script << py(p.get()) << ", ";
    script << "], " << py(sigs[i].result.get()) << ")\n";
    std::string line = "F " + std::to_string(i);
    for (FlattenContext cx : {FlattenContext::Lift, FlattenContext::Lower})
      for (FlattenOptions o : {FlattenOptions{PtrType::I32, false, false}, FlattenOptions{PtrType::I32, true, false},
                               FlattenOptions{PtrType::I32, true, true}}) {
        auto c = flatten_functype(func(sigs[i]), cx, o);
        line += " " + flat_text(c.params) + "->" + flat_text(c.results);
      }
    expected["F " + std::to_string(i)] = line;
  }

  size_t n = 0;
  for (const auto& cps : kTexts) {
    std::string lit = "'";
    for (uint32_t c : cps) {
      char buf[16];
      snprintf(buf, sizeof buf, "\\U%08x", c);
      lit += buf;
    }
    lit += "'";
    bool fits_latin1 = true;
    for (uint32_t c : cps) fits_latin1 = fits_latin1 && c < 0x100;
    struct Src { const char* enc; bool latin1; StringSource source; };
    std::vector<Src> srcs = {{"utf8", false, StringSource::Utf8}, {"utf16", false, StringSource::Utf16},
                             {"latin1+utf16", false, StringSource::CompactUtf16}};
    if (fits_latin1) srcs.push_back({"latin1+utf16", true, StringSource::CompactLatin1});
    for (const auto& src : srcs)
      for (int d = 0; d < 3; ++d)
        for (PtrType p : {PtrType::I32, PtrType::I64}) {
          const char* ptr = p == PtrType::I32 ? "i32" : "i64";
          script << "S(" << n << ", " << lit << ", '" << src.enc << "', " << (src.latin1 ? "True" : "False") << ", '"
                 << ptr << "', '" << kEncodings[d] << "')\n";
          HeapContext cx(kHeap, StringEncoding(d), 0);
          cx.ptr_type = p;
          auto r = store_string_into_range(cx, Value::string(utf8(cps), src.source));
          std::string line = "S " + std::to_string(n);
          if (!r) {
            line += " trap";
          } else {
            line += " " + std::to_string(r->ptr) + " " + std::to_string(r->tagged_code_units) + " ";
            for (size_t k = 0; k < cx.calls.size(); ++k) {
              const auto& c = cx.calls[k];
              line += (k ? ";" : "") + std::to_string(c.old_ptr) + "," + std::to_string(c.old_size) + "," +
                      std::to_string(c.align) + "," + std::to_string(c.new_size) + "," + std::to_string(c.result);
            }
            line += " " + hex(cx.bytes);
          }
          expected["S " + std::to_string(n)] = line;
          ++n;
        }
  }

  compare_with_python(dir, script.str(), expected);
}

// ---- differential lifting: random memories and core values ----

const char* kLiftScript = R"(
import struct
def N(t, v):
  dt = despecialize(t)
  match dt:
    case BoolType(): return 'T' if v else 'F'
    case F32Type(): return 'f%08x' % struct.unpack('<I', struct.pack('<f', v))[0]
    case F64Type(): return 'd%016x' % struct.unpack('<Q', struct.pack('<d', v))[0]
    case CharType(): return 'c%x' % ord(v)
    case StringType(): return 's' + v[0].encode('utf-8').hex()
    case ListType(et, l): return '[' + ','.join(N(et, e) for e in v) + ']'
    case RecordType(fields): return '(' + ','.join(N(f.t, v[f.label]) for f in fields) + ')'
    case VariantType(cases):
      [label] = v.keys()
      i = [c.label for c in cases].index(label)
      return str(i) + '(' + ('' if cases[i].t is None else N(cases[i].t, v[label])) + ')'
    case FlagsType(labels): return 'b' + str(sum(1 << k for k, l in enumerate(labels) if v[l]))
    case _: return str(v)
def cx_of(enc, ptr, memhex):
  o = opts(ptr, enc)
  o.memory = MemInst(bytearray.fromhex(memhex), ptr)
  return LiftLowerContext(o, ComponentInstance(Store()))
def L(i, t, enc, ptr, memhex):
  try: print('L', i, N(t, load(cx_of(enc, ptr, memhex), 0, t)))
  except Trap: print('L', i, 'trap')
def conv(ty, bits):
  if ty == 'f32': return struct.unpack('<f', struct.pack('<I', bits))[0]
  if ty == 'f64': return struct.unpack('<d', struct.pack('<Q', bits))[0]
  return bits
def FL(i, t, enc, ptr, memhex, vals):
  vi = CoreValueIter([conv(ty, b) for ty, b in vals])
  try: print('FL', i, N(t, lift_flat(cx_of(enc, ptr, memhex), vi, t)))
  except Trap: print('FL', i, 'trap')
)";

// The same neutral text as N() above, from our values.
std::string neutral(const ValType& t, const Value& v) {
  char buf[32];
  switch (t.kind) {
    case TypeKind::Bool: return v.b ? "T" : "F";
    case TypeKind::F32: snprintf(buf, sizeof buf, "f%08x", std::bit_cast<uint32_t>(v.f32)); return buf;
    case TypeKind::F64:
      snprintf(buf, sizeof buf, "d%016llx", static_cast<unsigned long long>(std::bit_cast<uint64_t>(v.f64)));
      return buf;
    case TypeKind::Char: snprintf(buf, sizeof buf, "c%x", unsigned(v.u)); return buf;
    case TypeKind::String: return "s" + hex(std::vector<uint8_t>(v.str.begin(), v.str.end()));
    case TypeKind::S8: case TypeKind::S16: case TypeKind::S32: case TypeKind::S64: return std::to_string(v.s);
    case TypeKind::List: case TypeKind::Map: {
      ValTypePtr entry = t.kind == TypeKind::Map ? map_entry_type(t) : t.elem;
      std::string s = "[";
      if (v.bytes_form)  // list<u8>: the bytes themselves
        for (size_t i = 0; i < v.str.size(); ++i) s += (i ? "," : "") + std::to_string(uint8_t(v.str[i]));
      else
        for (size_t i = 0; i < v.items.size(); ++i) s += (i ? "," : "") + neutral(*entry, v.items[i]);
      return s + "]";
    }
    case TypeKind::Record: case TypeKind::Tuple: {
      std::string s = "(";
      for (size_t i = 0; i < v.items.size(); ++i) s += (i ? "," : "") + neutral(*field_type(t, i), v.items[i]);
      return s + ")";
    }
    case TypeKind::Variant: case TypeKind::Enum: case TypeKind::Option: case TypeKind::Result: {
      size_t i = 0;
      if (t.kind == TypeKind::Option) i = v.items.size();
      else if (t.kind == TypeKind::Result) i = v.is_err;
      else
        while (i < case_count(t) && case_label(t, i) != v.label) ++i;
      const ValType* ct = case_type(t, i);
      return std::to_string(i) + "(" + (ct ? neutral(*ct, v.items[0]) : "") + ")";
    }
    case TypeKind::Flags: {
      uint64_t bits = 0;
      for (const auto& l : v.labels)
        for (size_t k = 0; k < t.labels.size(); ++k)
          if (t.labels[k] == l) bits |= uint64_t(1) << k;
      return "b" + std::to_string(bits);
    }
    default: return std::to_string(v.u);
  }
}

TEST(AbiReference, LiftingRandomInputsMatchesDefinitionsPy) {
  SKIP_WITHOUT_PYTHON(dir);
  constexpr size_t kMem = 256, kTrials = 25;
  std::mt19937_64 rng(20260821);
  auto biased_byte = [&]() -> uint8_t {
    uint64_t r = rng() % 8;
    return r < 4 ? 0 : r < 6 ? uint8_t(rng() % 16) : uint8_t(rng());
  };
  auto biased_bits = [&](CoreType ty) -> uint64_t {
    uint64_t r = rng() % 10, x = rng();
    if (r < 4) x %= 4;
    else if (r < 7) x %= 256;
    else if (r < 8) x = 0xD800 + x % 0x800;  // surrogates, for chars
    return (ty == CoreType::I32 || ty == CoreType::F32) ? x & 0xffffffffu : x;
  };
  std::ostringstream script;
  std::string head = kScriptHead;
  head.replace(head.find("%HEAP%"), 6, std::to_string(kHeap));
  script << head << kLiftScript;
  std::map<std::string, std::string> expected;
  size_t n = 0;
  for (const auto& t : sample_types()) {
    std::string pt = py(t.get());
    if (pt.find("Own") != std::string::npos || pt.find("Borrow") != std::string::npos ||
        pt.find("ErrorContext") != std::string::npos || pt.find("Stream") != std::string::npos)
      continue;
    for (size_t trial = 0; trial < kTrials; ++trial)
      for (int d = 0; d < 3; ++d)
        for (PtrType p : {PtrType::I32, PtrType::I64}) {
          const char* ptr = p == PtrType::I32 ? "i32" : "i64";
          HeapContext cx(kMem, StringEncoding(d));
          cx.ptr_type = p;
          for (auto& b : cx.bytes) b = biased_byte();
          std::string memhex = hex(cx.bytes), id = std::to_string(n++);
          std::string args = pt + ", '" + kEncodings[d] + "', '" + ptr + "', '" + memhex + "'";
          script << "L(" << id << ", " << args << ")\n";
          auto v = load(cx, 0, *t);
          expected["L " + id] = "L " + id + " " + (v ? neutral(*t, *v) : "trap");

          std::vector<CoreValue> flat;
          std::string vals = "[";
          for (CoreType ct : flatten_type(*t, p)) {
            flat.push_back({ct, biased_bits(ct)});
            vals += "('" + std::string(to_string(ct)) + "', " + std::to_string(flat.back().bits) + "), ";
          }
          script << "FL(" << id << ", " << args << ", " << vals << "])\n";
          FlatReader in(flat);
          auto fv = lift_flat(cx, in, *t);
          expected["FL " + id] = "FL " + id + " " + (fv ? neutral(*t, *fv) : "trap");
        }
  }
  // The inputs must reach values, not only traps.
  size_t values = 0;
  for (const auto& [k, line] : expected) values += line.find("trap") == std::string::npos;
  printf("%zu of %zu random lifts give values\n", values, expected.size());
  EXPECT_GT(values, expected.size() / 2);
  compare_with_python(dir, script.str(), expected);
}

}  // namespace
}  // namespace whirl::component::abi

#include "wasm/snapshot/snapshot.h"

#include <cstring>

#include "wasm/binary/reader.h"
#include "wasm/runtime/deadline.h"
#include "wasm/text/writer.h"

namespace whirl::wasm {
namespace {

using text::Writer;

constexpr size_t kMaxDataSegments = 10'000;  // as Wizer: room below engines' limits
constexpr uint8_t kMemory = 5, kGlobal = 6, kExport = 7, kStart = 8, kData = 11, kDataCount = 12;

struct Range {
  uint32_t memory;
  uint64_t offset, length;
};

// The non-zero ranges of `bytes`, joined across runs of fewer than `gap`
// zero bytes (a segment's header costs about as much).
std::vector<Range> nonzero_ranges(uint32_t memory, const uint8_t* bytes, uint64_t size, uint64_t gap) {
  std::vector<Range> out;
  uint64_t i = 0;
  while (i < size) {
    while (i < size && bytes[i] == 0) ++i;
    if (i == size) break;
    uint64_t start = i, end = i;
    while (i < size) {
      if (bytes[i] != 0) {
        end = ++i;
        continue;
      }
      uint64_t z = i;
      while (i < size && bytes[i] == 0 && i - z < gap) ++i;
      if (i == size || bytes[i] == 0) break;  // a long enough gap (or the end)
    }
    out.push_back({memory, start, end - start});
  }
  return out;
}

void const_expr(Writer& w, const Value& v) {
  switch (v.type) {
    case ValType::I32: w.u8(0x41), w.s64(int32_t(uint32_t(v.bits))); break;
    case ValType::I64: w.u8(0x42), w.s64(int64_t(v.bits)); break;
    case ValType::F32: w.u8(0x43), w.fixed(v.bits, 4); break;
    default: w.u8(0x44), w.fixed(v.bits, 8); break;  // F64 (others are refused)
  }
  w.u8(0x0b);
}

uint8_t valtype_byte(ValType t) {
  switch (t) {
    case ValType::I32: return 0x7f;
    case ValType::I64: return 0x7e;
    case ValType::F32: return 0x7d;
    default: return 0x7c;  // F64
  }
}

// What the module must be for its state to be all in a snapshot: it
// imports only functions, and its initialization function is [] -> [].
Expected<void> check_snapshottable(const Module& m, const SnapshotOptions& o) {
  for (const auto& imp : m.imports)
    if (imp.kind != ExternKind::Func)
      return make_error(std::string("it imports a ") + to_string(imp.kind) + " (\"" + imp.module + "\" \"" + imp.name +
                        "\"): a snapshot holds only what the module defines");
  if (auto ok = check_snapshot_state(m); !ok) return ok;
  for (const auto& e : m.exports)
    if (e.name == o.init_func) {
      if (e.kind != ExternKind::Func) break;
      const FuncType& t = m.types[m.func_type_index(e.index)];
      if (!t.params.empty() || !t.results.empty())
        return make_error("the initialization function \"" + o.init_func + "\" must take and return nothing");
      return {};
    }
  return make_error("no exported function \"" + o.init_func + "\" (the initialization to run)");
}

// Imported functions that trap, naming themselves.
std::vector<ExternVal> trapping_imports(const Module& m, Store& store, const std::string& hint) {
  std::vector<ExternVal> out;
  for (const auto& imp : m.imports) {
    std::string what = "the initialization called the import \"" + imp.module + "\" \"" + imp.name +
                       "\", which a snapshot cannot hold" + (hint.empty() ? "" : " (" + hint + ")");
    out.push_back(ExternVal::func(store.create_host_func(
        m.types[imp.func_type],
        [what](Caller&, std::span<const Value>, std::span<Value>) -> std::optional<Trap> {
          Trap t;
          t.code = TrapCode::Host;
          t.message = what;
          return t;
        },
        imp.module + "." + imp.name)));
  }
  return out;
}

}  // namespace

Expected<void> check_snapshot_state(const Module& m) {
  for (size_t i = 0; i < m.globals.size(); ++i) {
    ValType t = m.globals[i].type.type;
    if (t != ValType::I32 && t != ValType::I64 && t != ValType::F32 && t != ValType::F64)
      return make_error("global " + std::to_string(m.num_imported_globals + i) + " is of type " + to_string(t) +
                        ": only i32, i64, f32 and f64 globals can be snapshotted");
  }
  for (size_t i = 0; i < m.datas.size(); ++i)
    if (m.datas[i].mode != SegmentMode::Active)
      return make_error("data segment " + std::to_string(i) + " is passive: passive data cannot be snapshotted");
  return {};
}

Expected<Snapshot> snapshot_instance(std::span<const uint8_t> wasm, const Module& m, Instance& inst,
                                     std::string_view drop_export) {
  if (auto ok = check_snapshot_state(m); !ok) return unexpected(ok.error());
  // The state it left.
  Snapshot snap;
  std::vector<uint32_t> pages;
  std::vector<Range> ranges;
  for (uint32_t i = m.num_imported_memories; i < m.total_memories(); ++i) {
    MemoryInst* mem = inst.memory(i);
    pages.push_back(mem->pages());
    for (uint64_t gap = 32;; gap *= 2) {
      auto found = nonzero_ranges(i, mem->data(), mem->size_bytes(), gap);
      if (ranges.size() + found.size() <= kMaxDataSegments || gap > mem->size_bytes()) {
        ranges.insert(ranges.end(), found.begin(), found.end());
        break;
      }
    }
  }
  std::vector<Value> globals;
  for (uint32_t i = 0; i < m.globals.size(); ++i) globals.push_back(inst.global(m.num_imported_globals + i)->get());

  // The new sections.
  Writer memories, globals_w, exports, data, data_count;
  memories.u32(m.memories.size());
  for (size_t i = 0; i < m.memories.size(); ++i) {
    const MemoryType& t = m.memories[i];
    memories.u8(uint8_t((t.limits.max ? 1 : 0) | (t.shared ? 2 : 0)));
    memories.u32(pages[i]);
    if (t.limits.max) memories.u32(*t.limits.max);
  }
  globals_w.u32(m.globals.size());
  for (size_t i = 0; i < m.globals.size(); ++i) {
    globals_w.u8(valtype_byte(m.globals[i].type.type));
    globals_w.u8(m.globals[i].type.mut ? 1 : 0);
    const_expr(globals_w, globals[i]);
  }
  std::vector<const Export*> kept;
  for (const auto& e : m.exports)
    if (drop_export.empty() || e.name != drop_export || e.kind != ExternKind::Func) kept.push_back(&e);
  exports.u32(kept.size());
  for (const Export* e : kept) {
    exports.bytes(e->name);
    exports.u8(uint8_t(e->kind));
    exports.u32(e->index);
  }
  // As many segments as before at least: code may data.drop an index.
  const size_t total = std::max(ranges.size(), m.datas.size());
  data.u32(total);
  for (const Range& r : ranges) {
    MemoryInst* mem = inst.memory(r.memory);
    if (r.memory == 0) {
      data.u8(0);
    } else {
      data.u8(2);
      data.u32(r.memory);
    }
    data.u8(0x41), data.s64(int32_t(uint32_t(r.offset))), data.u8(0x0b);
    data.u32(r.length);
    data.b.insert(data.b.end(), mem->data() + r.offset, mem->data() + r.offset + r.length);
    snap.data_bytes += r.length;
  }
  for (size_t i = ranges.size(); i < total; ++i) data.u8(1), data.u32(0);  // empty passive: indices stay valid
  data_count.u32(total);
  snap.data_segments = ranges.size();

  // The module again, section by section: these replaced, the rest as it was.
  Writer out;
  out.b.assign(wasm.begin(), wasm.begin() + 8);
  bool data_written = false;
  binary::Reader r(wasm);  // the module decoded above: its sections are well formed
  r.skip(8);
  while (!r.eof()) {
    const size_t at = r.pos();
    uint8_t id = 0;
    uint32_t size = 0;
    r.u8(id), r.u32(size), r.skip(size);
    const size_t end = r.pos();
    switch (id) {
      case kMemory: out.section(kMemory, memories); break;
      case kGlobal: out.section(kGlobal, globals_w); break;
      case kExport: out.section(kExport, exports); break;
      case kStart: break;  // it ran before the initialization
      case kDataCount: out.section(kDataCount, data_count); break;
      case kData:
        out.section(kData, data);
        data_written = true;
        break;
      default: out.b.insert(out.b.end(), wasm.begin() + at, wasm.begin() + end);
    }
  }
  if (!data_written && total > 0) out.section(kData, data);  // after everything: valid anywhere past the code
  snap.wasm = std::move(out.b);
  return snap;
}

Expected<Snapshot> snapshot_module(std::span<const uint8_t> wasm, const SnapshotOptions& o) {
  auto compiled = load_module(wasm, nullptr, {.tier = "interp"});
  if (!compiled) return unexpected(compiled.error());
  const Module& m = (*compiled)->module();
  if (auto ok = check_snapshottable(m, o); !ok) return unexpected(ok.error());

  // Instantiate (the start function runs) and initialize.
  StoreConfig config;
  config.max_memory_bytes = o.max_memory_bytes;
  auto store = Store::create(config);
  std::vector<ExternVal> imports;
  if (o.imports) {
    auto given = o.imports(**compiled, *store);
    if (!given) return unexpected(given.error());
    imports = std::move(*given);
  } else {
    imports = trapping_imports(m, *store, o.import_hint);
  }
  // The time limit covers the start function too.
  Deadline deadline(*store, o.time_limit);
  const std::string too_long = "ran longer than " + std::to_string(o.time_limit.count()) + " ms";
  auto inst = store->instantiate(*compiled, imports);
  if (!inst) {
    if (inst.error().trap && inst.error().trap->code == TrapCode::Interrupted)
      return make_error("the start function " + too_long);
    return make_error("instantiation failed: " + inst.error().message);
  }
  auto init = (*inst)->find_export(o.init_func);
  auto ran = store->invoke(init->as_func(), {});
  if (!ran) {
    if (ran.error().code == TrapCode::Interrupted) return make_error("the initialization function " + too_long);
    if (ran.error().code == TrapCode::Exit)
      return make_error("the initialization function exited (status " + std::to_string(ran.error().exit_code) + ")");
    return make_error("the initialization function trapped: " + ran.error().message);
  }

  auto snap = snapshot_instance(wasm, m, **inst, o.keep_init_func ? std::string_view() : std::string_view(o.init_func));
  if (!snap) return snap;
  // What it wrote must load: a module whirl cannot run is not a snapshot.
  if (auto check = load_module(snap->wasm, nullptr, {.tier = "interp"}); !check)
    return make_error("the snapshot does not validate (a whirl bug): " + check.error().message);
  return snap;
}

}  // namespace whirl::wasm

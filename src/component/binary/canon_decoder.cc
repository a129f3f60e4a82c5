// The canon section's productions (Binary.md "Canonical Definitions").
#include "component/binary/parts.h"

namespace whirl::component::binary {
namespace {

// What follows each built-in's opcode, so one table describes them all.
enum class Imm : uint8_t {
  None,        // nothing
  Type,        // typeidx
  TypeOpts,    // typeidx opts
  TypeFlag,    // typeidx async?
  Flag,        // async? / cancel?
  FlagMemory,  // cancel? core:memoryidx
  Context,     // core:valtype u32
  Results,     // resultlist opts
  Opts,        // opts
  CoreTypeTable,      // core:typeidx core:tableidx
  FlagCoreType,       // sh? core:typeidx
  FlagCoreTypeTable,  // sh? core:typeidx core:tableidx
};

struct Builtin {
  uint8_t code;
  CanonKind kind;
  Imm imm;
};

constexpr Builtin kBuiltins[] = {
    {0x02, CanonKind::ResourceNew, Imm::Type},
    {0x03, CanonKind::ResourceDrop, Imm::Type},
    {0x04, CanonKind::ResourceRep, Imm::Type},
    {0x24, CanonKind::BackpressureInc, Imm::None},
    {0x25, CanonKind::BackpressureDec, Imm::None},
    {0x09, CanonKind::TaskReturn, Imm::Results},
    {0x05, CanonKind::TaskCancel, Imm::None},
    {0x0a, CanonKind::ContextGet, Imm::Context},
    {0x0b, CanonKind::ContextSet, Imm::Context},
    {0x06, CanonKind::SubtaskCancel, Imm::Flag},
    {0x0d, CanonKind::SubtaskDrop, Imm::None},
    {0x0e, CanonKind::StreamNew, Imm::Type},
    {0x0f, CanonKind::StreamRead, Imm::TypeOpts},
    {0x10, CanonKind::StreamWrite, Imm::TypeOpts},
    {0x11, CanonKind::StreamCancelRead, Imm::TypeFlag},
    {0x12, CanonKind::StreamCancelWrite, Imm::TypeFlag},
    {0x13, CanonKind::StreamDropReadable, Imm::Type},
    {0x14, CanonKind::StreamDropWritable, Imm::Type},
    {0x15, CanonKind::FutureNew, Imm::Type},
    {0x16, CanonKind::FutureRead, Imm::TypeOpts},
    {0x17, CanonKind::FutureWrite, Imm::TypeOpts},
    {0x18, CanonKind::FutureCancelRead, Imm::TypeFlag},
    {0x19, CanonKind::FutureCancelWrite, Imm::TypeFlag},
    {0x1a, CanonKind::FutureDropReadable, Imm::Type},
    {0x1b, CanonKind::FutureDropWritable, Imm::Type},
    {0x1c, CanonKind::ErrorContextNew, Imm::Opts},
    {0x1d, CanonKind::ErrorContextDebugMessage, Imm::Opts},
    {0x1e, CanonKind::ErrorContextDrop, Imm::None},
    {0x1f, CanonKind::WaitableSetNew, Imm::None},
    {0x20, CanonKind::WaitableSetWait, Imm::FlagMemory},
    {0x21, CanonKind::WaitableSetPoll, Imm::FlagMemory},
    {0x22, CanonKind::WaitableSetDrop, Imm::None},
    {0x23, CanonKind::WaitableJoin, Imm::None},
    {0x26, CanonKind::ThreadIndex, Imm::None},
    {0x27, CanonKind::ThreadNewIndirect, Imm::CoreTypeTable},
    {0x28, CanonKind::ThreadResumeLater, Imm::None},
    {0x29, CanonKind::ThreadSuspend, Imm::Flag},
    {0x0c, CanonKind::ThreadYield, Imm::Flag},
    {0x2a, CanonKind::ThreadSuspendThenResume, Imm::Flag},
    {0x2b, CanonKind::ThreadYieldThenResume, Imm::Flag},
    {0x2c, CanonKind::ThreadSuspendThenPromote, Imm::Flag},
    {0x2d, CanonKind::ThreadYieldThenPromote, Imm::Flag},
    {0x40, CanonKind::ThreadSpawnRef, Imm::FlagCoreType},
    {0x41, CanonKind::ThreadSpawnIndirect, Imm::FlagCoreTypeTable},
    {0x42, CanonKind::ThreadAvailableParallelism, Imm::Flag},
};

CanonOpts read_opts(Reader& r) {
  CanonOpts o;
  uint32_t n = r.count();
  for (uint32_t i = 0; i < n; ++i) {
    size_t at = r.pos();
    uint8_t b = r.u8();
    auto set = [&](std::optional<uint32_t>& slot, const char* name) {
      if (slot) o.duplicates.push_back(name);
      slot = r.u32();
    };
    switch (b) {
      case 0x00: case 0x01: case 0x02: {
        // A second encoding conflicts with the first, which stays.
        static const char* const kNames[] = {"utf8", "utf16", "latin1-utf16"};
        if (o.encoding) o.duplicates.push_back(kNames[b]);
        else o.encoding = static_cast<StringEncoding>(b);
        break;
      }
      case 0x03: set(o.memory, "memory"); break;
      case 0x04: set(o.realloc, "realloc"); break;
      case 0x05: set(o.post_return, "post-return"); break;
      case 0x06:
        if (o.async) o.duplicates.push_back("async");
        o.async = true;
        break;
      case 0x07: set(o.callback, "callback"); break;
      default: Reader::bad_byte(at, b, "canonical option");
    }
  }
  return o;
}

// The 0x00 that stands for the func sort after lift's and lower's opcode.
void func_sort(Reader& r, const char* what) {
  size_t at = r.pos();
  if (uint8_t b = r.u8(); b != 0x00) Reader::bad_byte(at, b, what);
}

}  // namespace

Canon read_canon(Reader& r) {
  Canon c;
  c.offset = r.pos();
  uint8_t b = r.u8();
  if (b == 0x00) {
    c.kind = CanonKind::Lift;
    func_sort(r, "canonical function lift");
    c.func = r.u32();
    c.opts = read_opts(r);
    c.type = r.u32();
    return c;
  }
  if (b == 0x01) {
    c.kind = CanonKind::Lower;
    func_sort(r, "canonical function lower");
    c.func = r.u32();
    c.opts = read_opts(r);
    return c;
  }
  const Builtin* found = nullptr;
  for (const auto& e : kBuiltins)
    if (e.code == b) found = &e;
  if (!found) Reader::bad_byte(c.offset, b, "canonical function");
  c.kind = found->kind;
  switch (found->imm) {
    case Imm::None: break;
    case Imm::Type: c.type = r.u32(); break;
    case Imm::TypeOpts: c.type = r.u32(); c.opts = read_opts(r); break;
    case Imm::TypeFlag: c.type = r.u32(); c.flag = r.boolean(); break;
    case Imm::Flag: c.flag = r.boolean(); break;
    case Imm::FlagMemory: c.flag = r.boolean(); c.memory = r.u32(); break;
    case Imm::Context: c.core_type = read_core_valtype(r); c.context = r.u32(); break;
    case Imm::Results: c.result = read_resultlist(r); c.opts = read_opts(r); break;
    case Imm::Opts: c.opts = read_opts(r); break;
    case Imm::CoreTypeTable: c.type = r.u32(); c.table = r.u32(); break;
    case Imm::FlagCoreType: c.flag = r.boolean(); c.type = r.u32(); break;
    case Imm::FlagCoreTypeTable: c.flag = r.boolean(); c.type = r.u32(); c.table = r.u32(); break;
  }
  return c;
}

}  // namespace whirl::component::binary

// Memories other than 0: the memory from the instance, bounds checked per
// access (no guard pages claim their faults). Memory 0 has its own ops.
#include "wasm/interp/multi_memory.h"

#include <cstring>

#include "wasm/runtime/objects.h"

namespace whirl::wasm::interp {

bool access_other_memory(rt::InstanceImpl& inst, uint64_t* fp, const Ins& in) {
  const rt::MemoryImpl* m = inst.memories[in.d & 0xffff];
  const Op op = Op(in.d >> 16);
  const uint64_t ea = uint64_t(uint32_t(fp[in.b])) + in.c;
  if (ea + op_info(op).mem_bytes > m->size) return false;
  uint8_t* p = m->base + ea;
  switch (op) {
#define LOAD(N, T, R)                     \
  case Op::N: {                           \
    T v;                                  \
    std::memcpy(&v, p, sizeof(T));        \
    fp[in.a] = uint64_t(R(v));            \
    return true;                          \
  }
#define STORE(N, T)                       \
  case Op::N: {                           \
    T v = T(fp[in.a]);                    \
    std::memcpy(p, &v, sizeof(T));        \
    return true;                          \
  }
#include "wasm/interp/slot_ops.def"
    default: return false;
  }
}

// Operands in consecutive slots from a, as the plain ops take them.
bool bulk_other_memory(rt::InstanceImpl& inst, uint64_t* fp, const Ins& in) {
  uint64_t* o = fp + in.a;
  switch (Op(in.d)) {
    case Op::MemorySize: o[0] = inst.memories[in.b]->size / kPageSize; return true;
    case Op::MemoryGrow: {
      auto r = inst.memories[in.b]->grow(uint32_t(o[0]));
      o[0] = r ? uint64_t(*r) : uint64_t(uint32_t(-1));
      return true;
    }
    case Op::MemoryFill: {
      rt::MemoryImpl* m = inst.memories[in.b];
      uint64_t d = uint32_t(o[0]), n = uint32_t(o[2]);
      if (d + n > m->size) return false;
      std::memset(m->base + d, int(uint8_t(o[1])), n);
      return true;
    }
    case Op::MemoryCopy: {
      rt::MemoryImpl* dm = inst.memories[in.b];
      rt::MemoryImpl* sm = inst.memories[in.c];
      uint64_t d = uint32_t(o[0]), s = uint32_t(o[1]), n = uint32_t(o[2]);
      if (s + n > sm->size || d + n > dm->size) return false;
      std::memmove(dm->base + d, sm->base + s, n);
      return true;
    }
    case Op::MemoryInit: {
      rt::MemoryImpl* m = inst.memories[in.c];
      const auto& bytes = inst.module().datas[in.b].bytes;
      uint64_t len = inst.data_dropped[in.b] ? 0 : bytes.size();
      uint64_t d = uint32_t(o[0]), s = uint32_t(o[1]), n = uint32_t(o[2]);
      if (s + n > len || d + n > m->size) return false;
      if (n) std::memcpy(m->base + d, bytes.data() + s, n);
      return true;
    }
    default: return false;
  }
}

}  // namespace whirl::wasm::interp

// args, environment, clocks, randomness, scheduling, poll_oneoff, sockets.
#include <sys/random.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

#include "wasi/p1/ctx.h"

namespace whirl::wasi {
namespace {

using wasm::ValType;
constexpr ValType I32 = ValType::I32, I64 = ValType::I64;

uint32_t u32(const wasm::Value& v) { return v.as_u32(); }

// Writes a string list (argv or environ) as pointers + NUL-terminated bytes.
uint16_t list_get(Mem& mem, const std::vector<std::string>& list, uint32_t ptrs, uint32_t buf) {
  for (const auto& s : list) {
    if (!mem.write<uint32_t>(ptrs, buf) || !mem.ok(buf, s.size() + 1)) return kFault;
    std::memcpy(mem.at(buf), s.c_str(), s.size() + 1);
    ptrs += 4;
    buf += uint32_t(s.size() + 1);
  }
  return kSuccess;
}

uint16_t list_sizes(Mem& mem, const std::vector<std::string>& list, uint32_t count_ptr, uint32_t size_ptr) {
  uint32_t size = 0;
  for (const auto& s : list) size += uint32_t(s.size() + 1);
  if (!mem.write<uint32_t>(count_ptr, uint32_t(list.size())) || !mem.write<uint32_t>(size_ptr, size)) return kFault;
  return kSuccess;
}

bool host_clock(uint32_t id, clockid_t* out) {
  switch (id) {
    case 0: *out = CLOCK_REALTIME; return true;
    case 1: *out = CLOCK_MONOTONIC; return true;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

uint16_t clock_res_get(WasiCtx&, Mem& mem, const wasm::Value* a) {
  clockid_t c;
  if (!host_clock(u32(a[0]), &c)) return kInval;
  struct timespec ts;
  clock_getres(c, &ts);
  return mem.write<uint64_t>(u32(a[1]), uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec) ? kSuccess : kFault;
}

uint16_t clock_time_get(WasiCtx&, Mem& mem, const wasm::Value* a) {
  clockid_t c;
  if (!host_clock(u32(a[0]), &c)) return kInval;
  struct timespec ts;
  clock_gettime(c, &ts);
  return mem.write<uint64_t>(u32(a[2]), uint64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec) ? kSuccess : kFault;
}

uint16_t random_get(WasiCtx&, Mem& mem, const wasm::Value* a) {
  uint32_t buf = u32(a[0]), len = u32(a[1]);
  if (!mem.ok(buf, len)) return kFault;
  for (uint32_t done = 0; done < len;) {
    ssize_t n = getrandom(mem.at(buf + done), len - done, 0);
    if (n < 0) return errno_from_host(errno);
    done += uint32_t(n);
  }
  return kSuccess;
}

// Clock subscriptions sleep until the earliest deadline; fd subscriptions
// are reported ready at once (regular files and pipes of a command).
uint16_t poll_oneoff(WasiCtx& ctx, Mem& mem, const wasm::Value* a) {
  uint32_t in = u32(a[0]), out = u32(a[1]), n = u32(a[2]), nevents_ptr = u32(a[3]);
  if (n == 0) return kInval;
  if (!mem.ok(in, uint64_t(n) * 48) || !mem.ok(out, uint64_t(n) * 32) || !mem.ok(nevents_ptr, 4)) return kFault;
  uint32_t events = 0;
  uint64_t min_timeout = UINT64_MAX;
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t s = in + 48 * i;
    uint64_t userdata;
    uint8_t tag;
    mem.read(s, &userdata);
    mem.read(s + 8, &tag);
    uint32_t e = out + 32 * events;
    std::memset(mem.at(e), 0, 32);
    mem.write<uint64_t>(e, userdata);
    mem.write<uint8_t>(e + 10, tag);
    if (tag == 0) {
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      mem.read(s + 16, &id);
      mem.read(s + 24, &timeout);
      mem.read(s + 40, &flags);
      clockid_t c;
      if (!host_clock(id, &c)) {
        mem.write<uint16_t>(e + 8, kInval);
        ++events;
        continue;
      }
      if (flags & 1) {  // absolute time
        struct timespec now;
        clock_gettime(c, &now);
        uint64_t t = uint64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
        timeout = timeout > t ? timeout - t : 0;
      }
      min_timeout = std::min(min_timeout, timeout);
      ++events;
    } else if (tag == 1 || tag == 2) {
      uint32_t fd;
      mem.read(s + 16, &fd);
      if (!ctx.get(fd)) mem.write<uint16_t>(e + 8, kBadf);
      ++events;
    } else {
      mem.write<uint16_t>(e + 8, kInval);
      ++events;
    }
  }
  if (min_timeout != UINT64_MAX) {
    // Through the store, so an interrupt (time limit, client gone) ends the wait.
    auto d = std::chrono::nanoseconds(int64_t(std::min<uint64_t>(min_timeout, INT64_MAX)));
    if (ctx.store) ctx.store->sleep_for(d);
    else std::this_thread::sleep_for(d);
  }
  mem.write<uint32_t>(nevents_ptr, events);
  return kSuccess;
}

uint16_t not_a_socket(WasiCtx& ctx, Mem&, const wasm::Value* a) { return ctx.get(u32(a[0])) ? kNotsup : kBadf; }

}  // namespace

void misc_calls(std::vector<CallDef>& out) {
  out.insert(out.end(), {
      {"args_get", {I32, I32}, [](WasiCtx& c, Mem& m, const wasm::Value* a) {
         return list_get(m, c.config.args, u32(a[0]), u32(a[1]));
       }},
      {"args_sizes_get", {I32, I32}, [](WasiCtx& c, Mem& m, const wasm::Value* a) {
         return list_sizes(m, c.config.args, u32(a[0]), u32(a[1]));
       }},
      {"environ_get", {I32, I32}, [](WasiCtx& c, Mem& m, const wasm::Value* a) {
         return list_get(m, c.config.env, u32(a[0]), u32(a[1]));
       }},
      {"environ_sizes_get", {I32, I32}, [](WasiCtx& c, Mem& m, const wasm::Value* a) {
         return list_sizes(m, c.config.env, u32(a[0]), u32(a[1]));
       }},
      {"clock_res_get", {I32, I32}, clock_res_get},
      {"clock_time_get", {I32, I64, I32}, clock_time_get},
      {"random_get", {I32, I32}, random_get},
      {"poll_oneoff", {I32, I32, I32, I32}, poll_oneoff},
      {"sched_yield", {}, [](WasiCtx&, Mem&, const wasm::Value*) -> uint16_t {
         std::this_thread::yield();
         return kSuccess;
       }},
      {"proc_raise", {I32}, [](WasiCtx&, Mem&, const wasm::Value*) -> uint16_t { return kNotsup; }},
      {"sock_accept", {I32, I32, I32}, not_a_socket},
      {"sock_recv", {I32, I32, I32, I32, I32, I32}, not_a_socket},
      {"sock_send", {I32, I32, I32, I32, I32}, not_a_socket},
      {"sock_shutdown", {I32, I32}, not_a_socket},
  });
}

}  // namespace whirl::wasi

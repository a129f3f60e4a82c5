// The WASI context (preopens, descriptor table) and the import set.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/p1/ctx.h"

namespace whirl::wasi {

uint16_t errno_from_host(int e) {
  switch (e) {
    case E2BIG: return k2Big;
    case EACCES: return kAcces;
    case EBADF: return kBadf;
    case EEXIST: return kExist;
    case EFAULT: return kFault;
    case EINVAL: return kInval;
    case EISDIR: return kIsdir;
    case ELOOP: return kLoop;
    case ENAMETOOLONG: return kNametoolong;
    case ENOENT: return kNoent;
    case ENOSPC: return kNospc;
    case ENOSYS: return kNosys;
    case ENOTDIR: return kNotdir;
    case ENOTEMPTY: return kNotempty;
    case EOPNOTSUPP: return kNotsup;
    case EPERM: return kPerm;
    case ESPIPE: return kSpipe;
    case EXDEV: return kNotcapable;
    case EMFILE: return kMfile;
    case ENFILE: return kNfile;
    default: return kIo;
  }
}

uint8_t filetype_of(unsigned m) {
  if (S_ISDIR(m)) return kDirectory;
  if (S_ISREG(m)) return kRegularFile;
  if (S_ISLNK(m)) return kSymlink;
  if (S_ISCHR(m)) return kCharDevice;
  if (S_ISSOCK(m)) return kSocketStream;
  return kUnknown;
}

bool write_filestat(Mem& mem, uint32_t p, const struct stat& st) {
  if (!mem.ok(p, 64)) return false;
  std::memset(mem.at(p), 0, 64);
  auto ns = [](const struct timespec& t) { return uint64_t(t.tv_sec) * 1000000000 + uint64_t(t.tv_nsec); };
  mem.write<uint64_t>(p, st.st_dev);
  mem.write<uint64_t>(p + 8, st.st_ino);
  mem.write<uint8_t>(p + 16, filetype_of(st.st_mode));
  mem.write<uint64_t>(p + 24, st.st_nlink);
  mem.write<uint64_t>(p + 32, uint64_t(st.st_size));
  mem.write<uint64_t>(p + 40, ns(st.st_atim));
  mem.write<uint64_t>(p + 48, ns(st.st_mtim));
  mem.write<uint64_t>(p + 56, ns(st.st_ctim));
  return true;
}

struct timespec to_timespec(uint64_t ns, bool set, bool now) {
  if (now) return {0, UTIME_NOW};
  if (!set) return {0, UTIME_OMIT};
  return {time_t(ns / 1000000000), long(ns % 1000000000)};
}

WasiCtx::~WasiCtx() {
  for (auto& f : fds)
    if (f.open && f.own) close(f.host);
}

Expected<std::shared_ptr<WasiCtx>> create_wasi(WasiConfig config) {
  auto ctx = std::make_shared<WasiCtx>();
  int stdio[3] = {config.stdin_fd, config.stdout_fd, config.stderr_fd};
  // One a sink replaces (below) is never read or written: not looked at
  // (a server makes a context per request).
  const bool sunk[3] = {false, bool(config.stdout_sink), bool(config.stderr_sink)};
  for (int i = 0; i < 3; ++i) {
    Fd f;
    f.host = stdio[i];
    f.open = true;
    f.own = false;
    struct stat st;
    f.may_block = !sunk[i] && fstat(f.host, &st) == 0 &&
                  (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode));
    ctx->fds.push_back(f);
  }
  for (const auto& p : config.preopens) {
    int fd = open(p.host_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open directory " + p.host_path + ": " + std::strerror(errno));
    Fd f;
    f.host = fd;
    f.open = true;
    f.preopen = true;
    f.is_dir = true;
    f.guest_path = p.guest_path;
    f.read_only = p.read_only;
    ctx->fds.push_back(f);
  }
  ctx->config = std::move(config);
  // Sinks point into ctx->config, so they are set once it has its final place.
  auto sink_fd = [&](uint32_t i, const WasiConfig::OutputSink& sink) {
    if (!sink) return;
    ctx->fds[i].host = -1;
    ctx->fds[i].sink = &sink;
  };
  sink_fd(1, ctx->config.stdout_sink);
  sink_fd(2, ctx->config.stderr_sink);
  return ctx;
}

namespace {

// Every WASI call but proc_exit, by name (built once).
const std::map<std::string, CallDef>& call_table() {
  static const std::map<std::string, CallDef> table = [] {
    std::vector<CallDef> defs;
    fd_calls(defs);
    path_calls(defs);
    misc_calls(defs);
    std::map<std::string, CallDef> m;
    for (auto& d : defs) m.emplace(d.name, std::move(d));
    return m;
  }();
  return table;
}

wasm::ExternVal make_call(const std::shared_ptr<WasiCtx>& ctx, wasm::Store& store, const CallDef& d) {
  Call fn = d.fn;
  wasm::HostFunc h = [ctx, fn](wasm::Caller& caller, std::span<const wasm::Value> args,
                               std::span<wasm::Value> results) -> std::optional<wasm::Trap> {
    Mem mem(caller.memory());
    results[0] = wasm::Value::i32(fn(*ctx, mem, args.data()));
    // Interrupted while blocked (poll_oneoff): stop here, not at the guest's next loop.
    if (ctx->store && ctx->store->interrupted())
      return wasm::Trap{wasm::TrapCode::Interrupted, wasm::trap_message(wasm::TrapCode::Interrupted), {}, 0};
    return std::nullopt;
  };
  return wasm::ExternVal::func(
      store.create_host_func(wasm::FuncType{d.params, {wasm::ValType::I32}}, std::move(h), d.name));
}

wasm::ExternVal make_proc_exit(wasm::Store& store) {
  return wasm::ExternVal::func(store.create_host_func(
      wasm::FuncType{{wasm::ValType::I32}, {}},
      [](wasm::Caller&, std::span<const wasm::Value> args, std::span<wasm::Value>) -> std::optional<wasm::Trap> {
        wasm::Trap t;
        t.code = wasm::TrapCode::Exit;
        t.exit_code = int32_t(args[0].as_u32());
        t.message = "exit with code " + std::to_string(t.exit_code);
        return t;
      },
      "proc_exit"));
}

}  // namespace

Expected<std::vector<wasm::ExternVal>> wasi_link(const std::shared_ptr<WasiCtx>& ctx, wasm::Store& store,
                                                 const wasm::Module& module) {
  ctx->store = &store;
  std::vector<wasm::ExternVal> out;
  out.reserve(module.imports.size());
  const auto& table = call_table();
  for (const auto& imp : module.imports) {
    if (imp.module == "wasi_snapshot_preview1") {
      if (imp.name == "proc_exit") {
        out.push_back(make_proc_exit(store));
        continue;
      }
      if (auto it = table.find(imp.name); it != table.end()) {
        out.push_back(make_call(ctx, store, it->second));
        continue;
      }
    }
    return make_error("unknown import \"" + imp.module + "\" \"" + imp.name + "\"");
  }
  return out;
}

std::map<std::string, wasm::ExternVal> wasi_imports(const std::shared_ptr<WasiCtx>& ctx, wasm::Store& store) {
  ctx->store = &store;
  std::map<std::string, wasm::ExternVal> out;
  for (const auto& [name, def] : call_table()) out[name] = make_call(ctx, store, def);
  out["proc_exit"] = make_proc_exit(store);
  return out;
}

}  // namespace whirl::wasi

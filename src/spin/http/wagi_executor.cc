#include "spin/http/wagi_executor.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "spin/http/wagi_cgi.h"
#include "wasi/p1/wasi.h"

namespace whirl::spin::http {
namespace {

// An anonymous in-memory file: the guest's stdin.
class MemFile {
 public:
  MemFile() : fd_(memfd_create("whirl-wagi", MFD_CLOEXEC)) {}
  ~MemFile() {
    if (fd_ >= 0) close(fd_);
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;

  int fd() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

  // Empties the file for the next request.
  bool reset() { return ftruncate(fd_, 0) == 0 && lseek(fd_, 0, SEEK_SET) == 0; }

  bool fill(std::string_view data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += size_t(n);
    }
    return lseek(fd_, 0, SEEK_SET) == 0;
  }

 private:
  int fd_;
};

std::string describe_trap(const wasm::Trap& t) {
  if (t.backtrace.empty()) return t.message;
  return t.message + " (wasm backtrace: " + wasm::format_backtrace_inline(t) + ")";
}

}  // namespace

Expected<void> WagiExecutor::execute(const ExecRequest& r) {
  const std::string& id = r.component.id;
  const auto& wagi = r.trigger.executor.wagi;
  WagiInvocation inv = build_wagi_invocation(r.request, r.match, wagi, r.component.environment, r.base_path);

  // The request body is the guest's stdin: one memfd per worker thread,
  // emptied before each request (cheaper than a new file per request).
  thread_local MemFile in;
  if (!in.ok() || !in.reset()) return make_error("cannot create the stdin buffer: " + std::string(strerror(errno)));
  struct EmptyAfter {  // a large body is not kept until the thread's next request
    MemFile& f;
    ~EmptyAfter() { f.reset(); }
  } empty_after{in};
  if (!in.fill(r.request.body)) return make_error("cannot buffer the request body: " + std::string(strerror(errno)));

  CgiResponseStream cgi(r.response, options_.cgi_header_limit);
  OutputCapture err("stderr", options_.stderr_limit);
  wasi::WasiConfig wc;
  wc.args = std::move(inv.argv);
  wc.env.reserve(inv.env.size());
  for (auto& [k, v] : inv.env) wc.env.push_back(k + "=" + v);
  for (const auto& m : r.component.mounts) wc.preopens.push_back({m.host.string(), m.guest, true});
  wc.stdin_fd = in.fd();
  wc.stdout_sink = [&cgi](std::string_view b) { return cgi.feed(b); };
  wc.stderr_sink = [&err](std::string_view b) {
    err.append(b);
    return true;
  };
  auto ctx = wasi::create_wasi(std::move(wc));
  if (!ctx) return make_error("component `" + id + "`: " + ctx.error().message);

  wasm::StoreConfig sc;
  if (r.max_memory) sc.max_memory_bytes = r.max_memory;
  sc.shared_budget = r.app_memory;
  auto store = wasm::Store::create(sc);
  auto code = r.component.module.load();
  auto imports = wasi::wasi_link(*ctx, *store, code->module());
  if (!imports)
    return make_error("component `" + id + "`: " + imports.error().message +
                      " (WAGI components may import only wasi_snapshot_preview1)");

  std::optional<std::string> failure;
  {
    InterruptSlot::Attached attached(r.interrupt, store.get());
    auto inst = store->instantiate(code, *imports);
    if (!inst) {
      failure = inst.error().trap ? "trapped while starting: " + describe_trap(*inst.error().trap)
                                  : "cannot instantiate: " + inst.error().message;
    } else {
      auto ext = (*inst)->find_export(wagi.entrypoint);
      if (!ext || ext->kind != wasm::ExternKind::Func || !ext->as_func()->type().params.empty()) {
        failure = "no exported function \"" + wagi.entrypoint + "\" without parameters";
      } else {
        auto res = store->invoke(ext->as_func(), {});
        if (!res) {
          const wasm::Trap& t = res.error();
          if (t.code == wasm::TrapCode::Exit) {
            if (t.exit_code != 0) failure = "exited with code " + std::to_string(t.exit_code);
          } else if (t.code == wasm::TrapCode::Interrupted && r.interrupt.fired()) {
            failure = std::string(describe(r.interrupt.reason()));
          } else {
            failure = "trapped: " + describe_trap(t);
          }
        }
      }
    }
  }
  r.logs.component_output(id, "stderr", err.take());
  if (!cgi.error().empty()) return make_error("component `" + id + "`: " + cgi.error());
  if (failure) return make_error("component `" + id + "` " + *failure);
  if (auto done = cgi.finish(); !done) {
    if (!cgi.any_output())
      return make_error("component `" + id + "` is configured to use the WAGI executor but did not write to stdout; "
                        "check the `executor` in spin.toml");
    return make_error("component `" + id + "`: " + done.error().message);
  }
  return {};
}

}  // namespace whirl::spin::http

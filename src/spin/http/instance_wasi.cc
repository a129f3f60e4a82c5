#include "spin/http/instance_wasi.h"

#include <fcntl.h>
#include <unistd.h>

namespace whirl::spin::http {

namespace {
// One /dev/null for the process: every instance's stdin.
int empty_stdin() {
  static const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  return fd;
}
}  // namespace

wasi::WasiConfig instance_wasi_config(const LoadedComponent& c, OutputCapture& out, OutputCapture& err) {
  wasi::WasiConfig wc;
  wc.env.reserve(c.environment.size());
  for (const auto& [k, v] : c.environment) wc.env.push_back(k + "=" + v);
  for (const auto& m : c.mounts) wc.preopens.push_back({m.host.string(), m.guest, true});
  wc.stdin_fd = empty_stdin();
  wc.stdout_sink = [&out](std::string_view b) {
    out.append(b);
    return true;
  };
  wc.stderr_sink = [&err](std::string_view b) {
    err.append(b);
    return true;
  };
  return wc;
}

}  // namespace whirl::spin::http

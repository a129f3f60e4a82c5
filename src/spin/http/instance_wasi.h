// The WASI context a component instance gets from every trigger, as Spin
// gives it: the component's environment, its `files` mounted read-only,
// an empty stdin, and stdout/stderr kept (bounded) for the log.
#pragma once

#include "spin/app/app.h"
#include "spin/http/log_sink.h"
#include "wasi/p1/wasi.h"

namespace whirl::spin::http {

wasi::WasiConfig instance_wasi_config(const LoadedComponent& c, OutputCapture& out, OutputCapture& err);

}  // namespace whirl::spin::http

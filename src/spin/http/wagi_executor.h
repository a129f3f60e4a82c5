// Runs a WAGI component for one request: a fresh instance of the already
// compiled module, WASI preview1 with the CGI environment and argv, the
// request body on stdin, stdout streamed to the client as a CGI response
// (the header block parsed first), stderr logged (bounded).
#pragma once

#include <cstddef>

#include "spin/http/executor.h"
#include "spin/http/log_sink.h"

namespace whirl::spin::http {

struct WagiOptions {
  size_t cgi_header_limit = 64 * 1024;  // the CGI header block; larger is a 500
  size_t stderr_limit = OutputCapture::kDefaultCap;  // guest stderr kept per request; the rest dropped with a note
};

class WagiExecutor : public Executor {
 public:
  explicit WagiExecutor(WagiOptions options = {}) : options_(options) {}
  Expected<void> execute(const ExecRequest& req) override;

 private:
  WagiOptions options_;
};

}  // namespace whirl::spin::http

// Runs a WAGI component for one request: a fresh instance of the already
// compiled module, WASI preview1 with the CGI environment and argv, the
// request body on stdin, stdout parsed as a CGI response, stderr logged.
#pragma once

#include "spin/http/executor.h"

namespace whirl::spin::http {

class WagiExecutor : public Executor {
 public:
  Expected<Response> execute(const ExecRequest& req) override;
};

}  // namespace whirl::spin::http

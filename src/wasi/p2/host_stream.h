// Streams whose bytes another part of the host produces or consumes (the
// bodies of wasi:http requests and responses): wasi:io input-stream and
// output-stream resources of the same tables as files and sockets, so a
// guest reads, writes, splices and polls them like any other stream.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/expected.h"

namespace whirl::wasi::p2 {

// Readiness that is not a descriptor: a pollable on a host stream asks it.
class HostReadiness {
 public:
  virtual ~HostReadiness() = default;
  virtual bool ready() = 0;
  // Waits at most `timeout` for ready() (a short, bounded wait: the caller
  // loops and checks the store's interrupt); returns ready().
  virtual bool wait_for(std::chrono::nanoseconds timeout) = 0;
};

class HostInputStream : public HostReadiness {
 public:
  struct Chunk {
    std::string bytes;  // what was available now (empty: nothing yet, unless end or error)
    bool end = false;   // no more bytes will come
    std::string error;  // non-empty: the stream failed
    std::string http_code;  // with an error: its wasi:http error-code case (empty: HTTP-protocol-error)
  };
  // Never waits: up to `max` bytes of what is available now.
  virtual Chunk read(size_t max) = 0;
  // ready(): a read returns bytes, the end or an error without waiting.
};

class HostOutputStream : public HostReadiness {
 public:
  // How many bytes a write may take now (0: wait for ready()); an error if
  // the stream failed (the message goes into the wasi:io error).
  virtual Expected<uint64_t, std::string> check_write() = 0;
  // Takes the bytes (at most what check_write allowed); may block while
  // the consumer lags (backpressure).
  virtual Expected<void, std::string> write(std::string_view bytes) = 0;
};

}  // namespace whirl::wasi::p2

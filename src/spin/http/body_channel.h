// A request body on its way from the socket to the handler: the server's
// strand pushes what it reads, a worker thread reads it. At most `capacity`
// bytes wait in between; past that the server stops reading the socket
// until the reader has taken half of them (backpressure to the client).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "spin/http/message.h"

namespace whirl::spin::http {

class BodyChannel final : public BodyStream {
 public:
  explicit BodyChannel(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  // ---- the reader (any thread) ----
  Chunk read(size_t max) override;
  bool wait_for(std::chrono::nanoseconds timeout) override;
  std::vector<Header> trailers() override;

  // ---- the server ----
  // Appends bytes; false once the buffer is full: stop reading the socket
  // until the hook given to on_space runs.
  bool push(std::string_view bytes);
  // The body is complete.
  void finish(std::vector<Header> trailers);
  // The body failed; `status` is the answer that fits if the client caused it.
  void fail(std::string error, unsigned status = 0);
  // Runs `resume` once the reader has made room (at once if it already
  // has; never after the end or an error: the hook is dropped then).
  void on_space(std::function<void()> resume);
  bool done() const;  // finished or failed

 private:
  std::function<void()> take_resume_if_room();  // with mu_ held

  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string buf_;
  size_t head_ = 0;  // buf_[head_, end) is unread
  bool end_ = false, paused_ = false;
  std::string error_;
  unsigned status_ = 0;
  std::vector<Header> trailers_;
  std::function<void()> resume_;
};

}  // namespace whirl::spin::http

// ttrpc (github.com/containerd/ttrpc), the RPC protocol containerd speaks
// with its shims: frames on a unix socket, each a 10-byte header (uint32
// big-endian length, uint32 stream id, uint8 type 1=request 2=response,
// uint8 flags) and a protobuf Request or Response. Client stream ids are odd.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/expected.h"

namespace whirl::shim::ttrpc {

// gRPC status codes, as containerd maps them to its errdefs errors.
enum class Code : int32_t {
  Ok = 0,
  Unknown = 2,
  InvalidArgument = 3,
  NotFound = 5,
  AlreadyExists = 6,
  FailedPrecondition = 9,
  Unimplemented = 12,
  Internal = 13,
};

struct Status {
  Code code = Code::Ok;
  std::string message;
};

// A method's reply: a serialized response message, or an error status.
using Reply = Expected<std::string, Status>;

inline Unexpected<Status> rpc_error(Code code, std::string message) {
  return Unexpected<Status>{Status{code, std::move(message)}};
}

// Serves one service's methods; `method` is the bare name ("Create").
using Handler = std::function<Reply(const std::string& method, const std::string& payload)>;

inline constexpr uint32_t kMaxMessage = 4u << 20;  // ttrpc's messageLengthMax

class Server {
 public:
  // `blocking(method)`: methods that may wait long (Wait) run on their own
  // thread; the others run in order on the connection's reader thread.
  Server(std::string service, Handler handler, std::function<bool(const std::string&)> blocking);
  ~Server();

  // Accepts connections on `listen_fd` until stop(); returns when stopped.
  void serve(int listen_fd);
  void stop();
  // Stops once the reply of the request being handled has been written
  // (Shutdown must answer before the shim exits).
  void stop_after_reply() { stop_after_reply_ = true; }

 private:
  void serve_connection(int fd);

  std::string service_;
  Handler handler_;
  std::function<bool(const std::string&)> blocking_;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_after_reply_{false};
};

// A blocking client for one-call-at-a-time use (publishing events).
class Client {
 public:
  ~Client();
  Expected<void> connect(const std::string& socket_path);
  bool connected() const { return fd_ >= 0; }
  // Calls service/method and returns the response payload.
  Expected<std::string> call(const std::string& service, const std::string& method, const std::string& payload);
  void close();

 private:
  int fd_ = -1;
  uint32_t next_stream_ = 1;
};

// Frame I/O, shared by server and client (exposed for tests).
Expected<void> write_frame(int fd, uint32_t stream, uint8_t type, const std::string& body);
// Reads one frame; an error on EOF or a malformed/oversized frame.
Expected<void> read_frame(int fd, uint32_t* stream, uint8_t* type, std::string* body);

}  // namespace whirl::shim::ttrpc

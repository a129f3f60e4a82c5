// Task events for containerd (TaskCreate, TaskStart, TaskExit, TaskDelete),
// forwarded in order over ttrpc to containerd's events service at
// TTRPC_ADDRESS (containerd.services.events.ttrpc.v1.Events/Forward), as
// containerd's own shims do: no process per event.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace whirl::shim {

class EventPublisher {
 public:
  // `ttrpc_address`: a unix socket path (an optional unix:// prefix is dropped);
  // empty disables publishing.
  EventPublisher(std::string ttrpc_address, std::string ns);
  ~EventPublisher();

  // `type_url` such as "containerd.events.TaskExit"; `event` the serialized message.
  void publish(std::string topic, std::string type_url, std::string event);
  // Waits (up to `ms`) until everything queued has been sent.
  void flush(int ms);

 private:
  struct Item {
    std::string topic, type_url, event;
    int64_t seconds;
    int32_t nanos;
  };
  void loop();

  std::string address_, ns_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool sending_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace whirl::shim

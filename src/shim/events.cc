#include "shim/events.h"

#include <time.h>

#include <cstdio>

#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "shim/ttrpc.h"

namespace whirl::shim {

EventPublisher::EventPublisher(std::string ttrpc_address, std::string ns) : address_(std::move(ttrpc_address)), ns_(std::move(ns)) {
  if (address_.rfind("unix://", 0) == 0) address_ = address_.substr(7);
  if (!address_.empty()) thread_ = std::thread([this] { loop(); });
}

EventPublisher::~EventPublisher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventPublisher::publish(std::string topic, std::string type_url, std::string event) {
  if (address_.empty()) return;
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  {
    std::lock_guard lock(mu_);
    queue_.push_back(Item{std::move(topic), std::move(type_url), std::move(event), now.tv_sec, int32_t(now.tv_nsec)});
  }
  cv_.notify_all();
}

void EventPublisher::flush(int ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return queue_.empty() && !sending_; });
}

void EventPublisher::loop() {
  ttrpc::Client client;
  for (;;) {
    Item item;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      item = std::move(queue_.front());
      queue_.pop_front();
      sending_ = true;
    }
    containerd::services::events::ttrpc::v1::ForwardRequest req;
    auto* env = req.mutable_envelope();
    env->mutable_timestamp()->set_seconds(item.seconds);
    env->mutable_timestamp()->set_nanos(item.nanos);
    env->set_namespace_(ns_);
    env->set_topic(item.topic);
    env->mutable_event()->set_type_url(item.type_url);
    env->mutable_event()->set_value(item.event);
    std::string payload = req.SerializeAsString();
    // One reconnect: containerd may have restarted since the last event.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (!client.connected())
        if (auto ok = client.connect(address_); !ok) {
          std::fprintf(stderr, "whirl shim: publish %s: %s\n", item.topic.c_str(), ok.error().message.c_str());
          break;
        }
      auto r = client.call("containerd.services.events.ttrpc.v1.Events", "Forward", payload);
      if (r) break;
      std::fprintf(stderr, "whirl shim: publish %s: %s\n", item.topic.c_str(), r.error().message.c_str());
    }
    {
      std::lock_guard lock(mu_);
      sending_ = false;
    }
    cv_.notify_all();
  }
}

}  // namespace whirl::shim

// One MQTT client connection (libmosquitto), connected on first publish.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/expected.h"

struct mosquitto;

namespace whirl::wasm {
class Store;
}

namespace whirl::spin::mqtt {

// rumqttc's MqttOptions::parse_url, the parts used.
struct MqttOptions {
  std::string host;
  uint16_t port = 1883;
  bool tls = false;
  std::string client_id;
  bool clean_session = true;
  size_t max_outgoing_packet = 10 * 1024;
  std::string username, password;  // Spin sets both from open's arguments
  uint16_t keep_alive = 60;
};
// An error (its text) where rumqttc refuses the URL: Spin's `invalid-address`.
Expected<MqttOptions> parse_mqtt_address(std::string_view url);

// The mqtt error cases (invalid-address and too-many-connections come
// from open only).
struct MqttError {
  enum class Kind { ConnectionFailed, Other, Interrupted };
  Kind kind;
  std::string text;
};

class MqttClient {
 public:
  explicit MqttClient(MqttOptions o) : opts_(std::move(o)) {}
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;
  // qos: 0, 1 or 2.
  Expected<void, MqttError> publish(const std::string& topic, const std::string& payload, int qos, wasm::Store& store);

  // Callback state (libmosquitto calls back from its loop, on this thread).
  int connack = -1;                  // CONNACK's return code once received
  std::set<int> done;                // messages libmosquitto reported sent/acknowledged/completed

 private:
  Expected<void, MqttError> connect(wasm::Store& store);
  void drop();
  MqttOptions opts_;
  ::mosquitto* m_ = nullptr;
  bool connected_ = false;
};

}  // namespace whirl::spin::mqtt

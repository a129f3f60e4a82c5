// Spin's MQTT interface (fermyon:spin/mqtt@2.0.0) end to end: `whirl up`
// serves the JS guest (tests/spin/outbound_guest), which publishes to a
// mosquitto broker started here on 127.0.0.1; a subscriber of the test's
// own (libmosquitto) receives what arrived. Expected behaviour is Spin's
// (factor-outbound-mqtt over rumqttc): `open` checks and parses the address
// without connecting, `publish` connects and returns once the QoS is met.
#include <gtest/gtest.h>
#include <mosquitto.h>

#include <mutex>

#include "../outbound_guest/outbound_guest.h"
#include "spin/mqtt/mqtt_client.h"

namespace whirl::test::outbound {
namespace {

struct Message {
  std::string topic, payload;
  int qos;
};

class Broker {
 public:
  Broker() : dir_("whirl-mosquitto-") {
    port = free_port();
    closed_port = free_port();
    auth_port = free_port();
    std::ofstream(dir_.path() / "mosquitto.conf")
        << "per_listener_settings true\npersistence false\nlog_dest stderr\n"
        << "listener " << port << " 127.0.0.1\nallow_anonymous true\n"
        << "listener " << auth_port << " 127.0.0.1\nallow_anonymous false\n";
    std::string exe = fs::exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto";
    server_ = std::make_unique<Server>(std::vector<std::string>{exe, "-c", (dir_.path() / "mosquitto.conf").string()},
                                       dir_.path() / "broker.log");
    mosquitto_lib_init();
    sub_ = mosquitto_new("whirl-test-subscriber", true, this);
    mosquitto_message_callback_set(sub_, [](mosquitto*, void* self, const mosquitto_message* m) {
      auto* b = static_cast<Broker*>(self);
      std::lock_guard lock(b->mu_);
      b->messages_.push_back({m->topic, std::string(static_cast<const char*>(m->payload), size_t(m->payloadlen)), m->qos});
    });
    bool ok = wait_until([&] { return mosquitto_connect(sub_, "127.0.0.1", port, 60) == MOSQ_ERR_SUCCESS; }, 30);
    if (!ok || mosquitto_subscribe(sub_, nullptr, "#", 2) != MOSQ_ERR_SUCCESS || mosquitto_loop_start(sub_) != MOSQ_ERR_SUCCESS)
      error = "mosquitto did not start: " + read_file(dir_.path() / "broker.log");
    // The subscription is in place once a message of our own comes back.
    else if (!wait_until([&] {
               mosquitto_publish(sub_, nullptr, "whirl/ready", 2, "up", 0, false);
               return !take("whirl/ready").empty();
             }, 30))
      error = "the test subscriber received nothing";
  }
  ~Broker() {
    if (sub_) {
      mosquitto_disconnect(sub_);
      mosquitto_loop_stop(sub_, true);
      mosquitto_destroy(sub_);
    }
  }
  // The messages received on `topic` so far (removed from the list).
  std::vector<Message> take(const std::string& topic) {
    std::lock_guard lock(mu_);
    std::vector<Message> out, rest;
    for (auto& m : messages_) (m.topic == topic ? out : rest).push_back(m);
    messages_ = rest;
    return out;
  }
  std::vector<Message> wait_for(const std::string& topic, size_t n) {
    std::vector<Message> got;
    wait_until([&] {
      for (auto& m : take(topic)) got.push_back(m);
      return got.size() >= n;
    }, 10);
    return got;
  }

  std::string error;
  uint16_t port = 0, closed_port = 0, auth_port = 0;

 private:
  TempDir dir_;
  std::unique_ptr<Server> server_;
  mosquitto* sub_ = nullptr;
  std::mutex mu_;
  std::vector<Message> messages_;
};

json publish(const std::string& topic, json payload, const std::string& qos) {
  return json{{"op", "publish"}, {"topic", topic}, {"payload", std::move(payload)}, {"qos", qos}};
}

class UpMqtt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string skip, error;
    wasm_ = new fs::path(guest(&skip, &error));
    if (!skip.empty()) skip_ = new std::string(skip);
    if (!error.empty()) error_ = new std::string(error);
    if (wasm_->empty()) return;
    broker_ = new Broker();
    if (!broker_->error.empty()) return;
    app_ = new App(*wasm_, {"mqtt://127.0.0.1:" + std::to_string(broker_->port),
                            "mqtt://127.0.0.1:" + std::to_string(broker_->closed_port),
                            "mqtt://127.0.0.1:" + std::to_string(broker_->auth_port)},
                   "", "",
                   // TooManyConnections' one request runs 1025 steps of interpreted JS
                   // (seconds of CPU): at the nice value of a demoted task it would
                   // starve behind the other tests ctest runs beside it.
                   {"--deprioritize-after", "0"});
  }
  static void TearDownTestSuite() {
    delete app_;
    delete broker_;
    delete wasm_;
    delete skip_;
    delete error_;
    app_ = nullptr, broker_ = nullptr, wasm_ = nullptr, skip_ = nullptr, error_ = nullptr;
  }
  void SetUp() override {
    if (skip_) GTEST_SKIP() << *skip_;
    ASSERT_FALSE(error_) << *error_;
    ASSERT_TRUE(broker_->error.empty()) << broker_->error;
    ASSERT_NE(app_->port(), 0) << app_->log();
  }
  static json open(uint16_t port, const std::string& query = "?client_id=whirl-guest") {
    return json{{"op", "open"}, {"address", "mqtt://127.0.0.1:" + std::to_string(port) + query}};
  }

  static fs::path* wasm_;
  static std::string* skip_;
  static std::string* error_;
  static Broker* broker_;
  static App* app_;
};
fs::path* UpMqtt::wasm_ = nullptr;
std::string* UpMqtt::skip_ = nullptr;
std::string* UpMqtt::error_ = nullptr;
Broker* UpMqtt::broker_ = nullptr;
App* UpMqtt::app_ = nullptr;

TEST_F(UpMqtt, PublishesWithEachQos) {
  std::string binary = std::string("\0\1\2\xff", 4);
  json r = app_->call("mqtt", {open(broker_->port), publish("whirl/q0", "at most once", "at-most-once"),
                               publish("whirl/q1", json::array({0, 1, 2, 255}), "at-least-once"),
                               publish("whirl/q2", "exactly once", "exactly-once"),
                               publish("whirl/q1", "", "at-least-once")});
  ASSERT_EQ(r.size(), 5u) << r.dump();
  for (const json& s : r) EXPECT_EQ(s, json({{"ok", nullptr}})) << r.dump();
  auto q0 = broker_->wait_for("whirl/q0", 1), q1 = broker_->wait_for("whirl/q1", 2), q2 = broker_->wait_for("whirl/q2", 1);
  ASSERT_EQ(q0.size(), 1u);
  EXPECT_EQ(q0[0].payload, "at most once");
  EXPECT_EQ(q0[0].qos, 0);
  ASSERT_EQ(q1.size(), 2u);
  EXPECT_EQ(q1[0].payload, binary);
  EXPECT_EQ(q1[0].qos, 1);
  EXPECT_EQ(q1[1].payload, "");
  ASSERT_EQ(q2.size(), 1u);
  EXPECT_EQ(q2[0].payload, "exactly once");
  EXPECT_EQ(q2[0].qos, 2);
}

TEST_F(UpMqtt, AddressesAsSpin) {
  Listener other;
  std::string denied = "mqtt://127.0.0.1:" + std::to_string(other.port()) + "?client_id=x";
  json r = app_->call("mqtt", {{{"op", "open"}, {"address", denied}}});
  EXPECT_EQ(r[0], json({{"err", {{"tag", "connection-failed"}, {"val", "address " + denied + " is not permitted"}}}}));
  EXPECT_EQ(other.accepted(), 0);
  // rumqttc's URL rules: a client_id is required, unknown options refused.
  EXPECT_EQ(app_->call("mqtt", {open(broker_->port, "")})[0], json({{"err", {{"tag", "invalid-address"}}}}));
  EXPECT_EQ(app_->call("mqtt", {open(broker_->port, "?client_id=a&colour=blue")})[0],
            json({{"err", {{"tag", "invalid-address"}}}}));
}

// open connects nothing, so Spin's 1024 connections per instance are cheap to reach.
TEST_F(UpMqtt, TooManyConnections) {
  std::vector<json> steps(1025, open(broker_->port));
  json r = app_->call("mqtt", steps);
  ASSERT_EQ(r.size(), 1025u);
  EXPECT_EQ(r[1023], json({{"ok", nullptr}}));
  EXPECT_EQ(r[1024], json({{"err", {{"tag", "too-many-connections"}}}}));
}

TEST_F(UpMqtt, ConnectionErrorsComeFromPublish) {
  // Nothing listens there: open succeeds (nothing is connected yet), publish fails.
  json r = app_->call("mqtt", {open(broker_->closed_port), publish("whirl/none", "x", "at-least-once")});
  EXPECT_EQ(r[0], json({{"ok", nullptr}})) << r.dump();
  EXPECT_EQ(r[1]["err"]["tag"], "connection-failed") << r.dump();
  EXPECT_NE(r[1]["err"]["val"].get<std::string>().find("refused"), std::string::npos) << r.dump();
  // A broker refusing anonymous clients.
  json auth = app_->call("mqtt", {open(broker_->auth_port), publish("whirl/none", "x", "at-most-once")});
  EXPECT_EQ(auth[1], json({{"err", {{"tag", "connection-failed"}, {"val", "Connection refused, return code: `NotAuthorized`"}}}}))
      << auth.dump();
  // Over rumqttc's 10 KiB packet limit unless the URL raises it.
  std::string big(20000, 'x');
  json large = app_->call("mqtt", {open(broker_->port), publish("whirl/big", big, "at-most-once")});
  EXPECT_EQ(large[1]["err"]["tag"], "connection-failed");
  EXPECT_NE(large[1]["err"]["val"].get<std::string>().find("Cannot send packet of size '20015'"), std::string::npos)
      << large.dump();
  json raised = app_->call("mqtt", {open(broker_->port, "?client_id=big&max_incoming_packet_size_bytes=65536&max_outgoing_packet_size_bytes=65536"),
                                    publish("whirl/big", big, "at-least-once")});
  EXPECT_EQ(raised[1], json({{"ok", nullptr}})) << raised.dump();
  auto got = broker_->wait_for("whirl/big", 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload.size(), big.size());
}

TEST_F(UpMqtt, RuntimeConfigLimits) {
  App limited(*wasm_, {"mqtt://127.0.0.1:" + std::to_string(broker_->port)}, "[outbound_mqtt]\nmax_payload_size_bytes = 5\n");
  ASSERT_NE(limited.port(), 0) << limited.log();
  json r = limited.call("mqtt", {open(broker_->port), publish("whirl/limit", "12345", "at-least-once"),
                                 publish("whirl/limit", "123456", "at-least-once")});
  EXPECT_EQ(r[1], json({{"ok", nullptr}})) << r.dump();
  EXPECT_EQ(r[2], json({{"err", {{"tag", "other"}, {"val", "payload size 6 exceeds the maximum allowed size of 5 bytes"}}}}));
  EXPECT_EQ(broker_->wait_for("whirl/limit", 1).size(), 1u);
  App bad(*wasm_, {}, "[outbound_mqtt]\nmax_payload_size_bytes = \"big\"\n");
  EXPECT_EQ(bad.port(), 0);
  EXPECT_NE(bad.log().find("runtime-config.toml:2:"), std::string::npos) << bad.log();
}

TEST(MqttAddress, AsRumqttc) {
  auto o = spin::mqtt::parse_mqtt_address("mqtts://broker.example.com?client_id=abc&clean_session=false&keep_alive_secs=5");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->port, 8883);
  EXPECT_TRUE(o->tls);
  EXPECT_FALSE(o->clean_session);
  EXPECT_EQ(o->client_id, "abc");
  EXPECT_EQ(spin::mqtt::parse_mqtt_address("mqtt://h?client_id=a")->port, 1883);
  EXPECT_EQ(spin::mqtt::parse_mqtt_address("mqtt://h:1").error().message, "Missing client ID.");
  EXPECT_EQ(spin::mqtt::parse_mqtt_address("ws://h?client_id=a").error().message, "Unsupported URL scheme.");
  EXPECT_EQ(spin::mqtt::parse_mqtt_address("mqtt://h?client_id=&clean_session=false").error().message,
            "Cannot unset clean session when client id is empty");
  EXPECT_EQ(spin::mqtt::parse_mqtt_address("mqtt://h?client_id=a&x=1").error().message, "Unknown option: x");
}

}  // namespace
}  // namespace whirl::test::outbound

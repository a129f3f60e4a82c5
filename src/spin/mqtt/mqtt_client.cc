#include "spin/mqtt/mqtt_client.h"

#include <mosquitto.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>

#include "wasm/runtime/runtime.h"

namespace whirl::spin::mqtt {
namespace {

constexpr auto kConnectTimeout = std::chrono::seconds(5);  // rumqttc's default connection timeout
// rumqttc waits for acknowledgements without end; whirl gives up after this.
constexpr auto kAckTimeout = std::chrono::seconds(60);

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit((unsigned char)s[i + 1]) &&
        std::isxdigit((unsigned char)s[i + 2])) {
      out.push_back(char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(plus_is_space && s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

bool parse_uint(const std::string& s, uint64_t max, uint64_t& out) {
  if (s.empty()) return false;
  out = 0;
  for (char c : s)
    if (c < '0' || c > '9' || (out = out * 10 + uint64_t(c - '0')) > max) return false;
  return true;
}

// rumqttc's mqttbytes: the size of a PUBLISH packet.
size_t publish_size(size_t topic, size_t payload, int qos) {
  size_t len = 2 + topic + payload + (qos > 0 ? 2 : 0);
  size_t len_len = len < 128 ? 1 : len < 16384 ? 2 : len < 2097152 ? 3 : 4;
  return 1 + len_len + len;
}

MqttError failed(std::string text) { return MqttError{MqttError::Kind::ConnectionFailed, std::move(text)}; }

// A libmosquitto result as rumqttc's ConnectionError would read.
std::string io_error(int rc) {
  if (rc == MOSQ_ERR_ERRNO) {
    int e = errno;
    return "I/O: " + std::string(std::strerror(e)) + " (os error " + std::to_string(e) + ")";
  }
  if (rc == MOSQ_ERR_CONN_LOST || rc == MOSQ_ERR_NO_CONN) return "I/O: connection closed by peer";
  return std::string("I/O: ") + mosquitto_strerror(rc);
}

const char* connack_name(int rc) {
  switch (rc) {
    case 1: return "RefusedProtocolVersion";
    case 2: return "BadClientId";
    case 3: return "ServiceUnavailable";
    case 4: return "BadUserNamePassword";
    case 5: return "NotAuthorized";
    default: return "Unknown";
  }
}

}  // namespace

Expected<MqttOptions> parse_mqtt_address(std::string_view url) {
  auto sep = url.find("://");
  if (sep == std::string_view::npos) return make_error("Couldn't parse option from url: relative URL without a base");
  std::string scheme(url.substr(0, sep));
  for (char& c : scheme) c = char(std::tolower((unsigned char)c));
  MqttOptions o;
  if (scheme == "mqtt" || scheme == "tcp") o.port = 1883;
  else if (scheme == "mqtts" || scheme == "ssl") o.port = 8883, o.tls = true;
  else return make_error("Unsupported URL scheme.");
  std::string_view rest = url.substr(sep + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  rest.remove_prefix(authority.size());
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority, port;
  if (!authority.empty() && authority[0] == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error("Couldn't parse option from url: invalid IPv6 address");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) port = authority.substr(close + 2);
  } else if (auto c = authority.rfind(':'); c != std::string_view::npos) {
    host = authority.substr(0, c), port = authority.substr(c + 1);
  }
  if (host.empty()) return make_error("Couldn't parse option from url: empty host");
  o.host = std::string(host);
  if (!port.empty()) {
    uint64_t p;
    if (!parse_uint(std::string(port), 65535, p)) return make_error("Couldn't parse option from url: invalid port number");
    o.port = uint16_t(p);
  }
  // The query's pairs, the last of a repeated key winning (a HashMap).
  std::map<std::string, std::string> q;
  auto qpos = rest.find('?');
  if (qpos != std::string_view::npos) {
    std::string_view query = rest.substr(qpos + 1);
    query = query.substr(0, query.find('#'));
    while (!query.empty()) {
      std::string_view pair = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(query.size(), pair.size() + 1));
      if (pair.empty()) continue;
      auto eq = pair.find('=');
      q[percent_decode(pair.substr(0, eq), true)] =
          eq == std::string_view::npos ? "" : percent_decode(pair.substr(eq + 1), true);
    }
  }
  auto take = [&](const char* k) -> std::optional<std::string> {
    auto it = q.find(k);
    if (it == q.end()) return std::nullopt;
    std::string v = it->second;
    q.erase(it);
    return v;
  };
  auto id = take("client_id");
  if (!id) return make_error("Missing client ID.");
  o.client_id = *id;
  uint64_t n;
  if (auto v = take("keep_alive_secs"); v && !parse_uint(*v, UINT64_MAX, n)) return make_error("Invalid keep-alive value.");
  if (auto v = take("clean_session")) {
    if (*v != "true" && *v != "false") return make_error("Invalid clean-session value.");
    o.clean_session = *v == "true";
    if (!o.clean_session && o.client_id.empty()) return make_error("Cannot unset clean session when client id is empty");
  }
  auto in = take("max_incoming_packet_size_bytes"), out = take("max_outgoing_packet_size_bytes");
  if (in && !parse_uint(*in, UINT64_MAX, n)) return make_error("Invalid max-incoming-packet-size value.");
  if (out && !parse_uint(*out, UINT64_MAX, n)) return make_error("Invalid max-outgoing-packet-size value.");
  if (in && out) o.max_outgoing_packet = size_t(std::stoull(*out));
  if (auto v = take("request_channel_capacity_num"); v && !parse_uint(*v, UINT64_MAX, n))
    return make_error("Invalid request-channel-capacity value.");
  if (auto v = take("max_request_batch_num"); v && !parse_uint(*v, UINT64_MAX, n))
    return make_error("Invalid max-request-batch value.");
  if (auto v = take("pending_throttle_usecs"); v && !parse_uint(*v, UINT64_MAX, n))
    return make_error("Invalid pending-throttle value.");
  if (auto v = take("inflight_num"); v && !parse_uint(*v, 65535, n)) return make_error("Invalid inflight value.");
  if (!q.empty()) return make_error("Unknown option: " + q.begin()->first);
  return o;
}

MqttClient::~MqttClient() { drop(); }

void MqttClient::drop() {
  if (m_) mosquitto_destroy(m_);
  m_ = nullptr;
  connected_ = false;
}

Expected<void, MqttError> MqttClient::connect(wasm::Store& store) {
  static std::once_flag init;
  std::call_once(init, [] { mosquitto_lib_init(); });
  drop();
  m_ = mosquitto_new(opts_.client_id.c_str(), opts_.clean_session, this);
  if (!m_) return unexpected(failed("I/O: " + std::string(std::strerror(errno))));
  mosquitto_int_option(m_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  // rumqttc sends a user name and a password only when they are not empty.
  if (!opts_.username.empty())
    mosquitto_username_pw_set(m_, opts_.username.c_str(), opts_.password.empty() ? nullptr : opts_.password.c_str());
  if (opts_.tls) {
    mosquitto_int_option(m_, MOSQ_OPT_TLS_USE_OS_CERTS, 1);
    if (int rc = mosquitto_tls_set(m_, nullptr, "/etc/ssl/certs", nullptr, nullptr, nullptr); rc != MOSQ_ERR_SUCCESS)
      return unexpected(failed("TLS: " + std::string(mosquitto_strerror(rc))));
  }
  mosquitto_connect_callback_set(m_, [](::mosquitto*, void* self, int rc) { static_cast<MqttClient*>(self)->connack = rc; });
  mosquitto_publish_callback_set(m_, [](::mosquitto*, void* self, int mid) { static_cast<MqttClient*>(self)->done.insert(mid); });
  connack = -1;
  // libmosquitto takes 5..65535 seconds or 0 (none).
  int keep_alive = opts_.keep_alive == 0 ? 0 : std::max<int>(opts_.keep_alive, 5);
  errno = 0;
  int rc = mosquitto_connect_async(m_, opts_.host.c_str(), opts_.port, keep_alive);
  if (rc != MOSQ_ERR_SUCCESS) return unexpected(failed(io_error(rc)));
  auto deadline = std::chrono::steady_clock::now() + kConnectTimeout;
  while (connack < 0) {
    if (store.interrupted()) return unexpected(MqttError{MqttError::Kind::Interrupted, "interrupted"});
    if (std::chrono::steady_clock::now() > deadline) return unexpected(failed("Network timeout"));
    errno = 0;
    rc = mosquitto_loop(m_, 100, 1);
    // A refusing CONNACK ends the loop with an error after its callback.
    if (rc != MOSQ_ERR_SUCCESS && connack <= 0) return unexpected(failed(io_error(rc)));
  }
  if (connack != 0)
    return unexpected(failed(std::string("Connection refused, return code: `") + connack_name(connack) + "`"));
  connected_ = true;
  return {};
}

Expected<void, MqttError> MqttClient::publish(const std::string& topic, const std::string& payload, int qos,
                                              wasm::Store& store) {
  if (topic.find_first_of("+#") != std::string::npos)
    return unexpected(MqttError{MqttError::Kind::Other, "Failed to send mqtt requests to eventloop"});
  if (connected_) {
    // What arrived meanwhile (a closed connection) before this message goes.
    errno = 0;
    if (int rc = mosquitto_loop(m_, 0, 1); rc != MOSQ_ERR_SUCCESS) {
      drop();
      return unexpected(failed(io_error(rc)));
    }
  } else if (auto ok = connect(store); !ok) {
    drop();
    return ok;
  }
  size_t size = publish_size(topic.size(), payload.size(), qos);
  if (size > opts_.max_outgoing_packet)
    return unexpected(failed("Mqtt state: Cannot send packet of size '" + std::to_string(size) +
                             "'. It's greater than the broker's maximum packet size of: '" +
                             std::to_string(opts_.max_outgoing_packet) + "'"));
  int mid = 0;
  errno = 0;
  int rc = mosquitto_publish(m_, &mid, topic.c_str(), int(payload.size()), payload.data(), qos, false);
  if (rc == MOSQ_ERR_INVAL || rc == MOSQ_ERR_MALFORMED_UTF8 || rc == MOSQ_ERR_PAYLOAD_SIZE)
    return unexpected(failed(std::string("Mqtt state: ") + mosquitto_strerror(rc)));
  if (rc != MOSQ_ERR_SUCCESS) {
    drop();
    return unexpected(failed(io_error(rc)));
  }
  auto deadline = std::chrono::steady_clock::now() + kAckTimeout;
  while (!done.count(mid)) {
    if (store.interrupted()) return unexpected(MqttError{MqttError::Kind::Interrupted, "interrupted"});
    if (std::chrono::steady_clock::now() > deadline) return unexpected(failed("timed out waiting for the broker"));
    errno = 0;
    rc = mosquitto_loop(m_, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      drop();
      return unexpected(failed(io_error(rc)));
    }
  }
  done.erase(mid);
  return {};
}

}  // namespace whirl::spin::mqtt

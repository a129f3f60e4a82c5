// Outbound MQTT (Spin's factor-outbound-mqtt): `fermyon:spin/mqtt@2.0.0`
// over libmosquitto, as Spin's rumqttc client behaves: `open` checks the
// address against allowed_outbound_hosts (mqtt://, 1883 by default) and
// parses it (rumqttc's URL options; `client_id` is required) without
// connecting; `publish` connects when not connected (5 s to connect, MQTT
// 3.1.1, clean session) and returns once the message is written (QoS 0),
// acknowledged (QoS 1) or completed (QoS 2). A packet over the client's
// outgoing limit (10 KiB unless the URL sets one) is `connection-failed`.
// Runtime config: `[outbound_mqtt] max_connections, max_payload_size_bytes`.
// spin:mqtt@3.0.0 is asynchronous (WASI 0.3) and not provided.
#pragma once

#include "spin/factor/factor.h"

namespace whirl::spin {

const Factor& mqtt_factor();

}  // namespace whirl::spin

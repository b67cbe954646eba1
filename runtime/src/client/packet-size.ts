import mqttPacket from "mqtt-packet";
import type { WireTopic } from "./topic-alias.js";

/** Bytes of an MQTT variable byte integer (remaining length, property length). */
function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/**
 * The exact size in bytes of the MQTT 5 QoS 1 PUBLISH packet that would carry `payload`:
 * fixed header (1 byte + remaining length), topic (2 + UTF-8 bytes), packet identifier (2),
 * properties (length + Topic Alias: 1 id byte + 2 bytes) and payload. Computed rather than
 * encoded because it runs on every publish; a test pins it to mqtt-packet's encoder (the one
 * MQTT.js writes with) across the variable-length boundaries. Flags do not change the size.
 */
export function publishPacketSize(wire: WireTopic, payload: Uint8Array): number {
  const properties = wire.alias !== undefined ? 3 : 0;
  const remaining =
    2 +
    Buffer.byteLength(wire.topic, "utf8") +
    2 +
    varintSize(properties) +
    properties +
    payload.byteLength;
  return 1 + varintSize(remaining) + remaining;
}

/** The same size measured by encoding the packet with mqtt-packet (the reference for tests). */
export function encodedPublishPacketSize(wire: WireTopic, payload: Uint8Array): number {
  const packet = {
    cmd: "publish" as const,
    topic: wire.topic,
    payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
    qos: 1 as const,
    messageId: 1,
    dup: false,
    retain: false,
    ...(wire.alias !== undefined ? { properties: { topicAlias: wire.alias } } : {}),
  };
  return mqttPacket.generate(packet, { protocolVersion: 5 }).length;
}

/** The smaller of the spec's limit and the broker's CONNACK Maximum Packet Size (if any). */
export function effectivePacketLimit(
  specMaxBytes: number,
  brokerMaxBytes: number | undefined,
): number {
  return brokerMaxBytes !== undefined && brokerMaxBytes > 0
    ? Math.min(specMaxBytes, brokerMaxBytes)
    : specMaxBytes;
}

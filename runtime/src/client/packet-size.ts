import mqttPacket from "mqtt-packet";
import type { WireTopic } from "./topic-alias.js";

/**
 * The exact size in bytes of the MQTT 5 QoS 1 PUBLISH packet that would carry `payload`
 * (fixed header + variable header + properties + payload), measured by generating it with
 * mqtt-packet — the same encoder MQTT.js writes with — so the size check cannot drift from
 * what goes on the wire. The packet identifier and flags do not change the size.
 */
export function publishPacketSize(wire: WireTopic, payload: Uint8Array): number {
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

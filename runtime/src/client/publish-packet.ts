/** What one MQTT 5 PUBLISH carries (the wire form: topic "" when the alias alone names it). */
export interface PublishFields {
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  /** Packet identifier (QoS 1/2 only). */
  readonly packetId: number;
  readonly alias: number | undefined;
  /** Message Expiry Interval property, seconds. */
  readonly messageExpiryS: number | undefined;
}

/** The DUP bit of a PUBLISH fixed header. */
export const DUP_FLAG = 0x08;

function varintSize(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (n > 0);
  return at;
}

/**
 * Encodes one MQTT 5 PUBLISH packet into a single buffer (fixed header, topic, packet
 * identifier, Topic Alias and Message Expiry Interval properties, payload): one allocation and
 * one copy of the payload, so a turn's packets go to the socket in one write. A test pins the
 * bytes to mqtt-packet's encoder (the one MQTT.js writes with) across flags, properties and
 * the remaining-length boundaries. The DUP bit is set on a resend by `markDup`.
 */
export function encodePublish(p: PublishFields): Buffer {
  const topicBytes = p.topic.length === 0 ? 0 : Buffer.byteLength(p.topic, "utf8");
  const propsLength = (p.alias !== undefined ? 3 : 0) + (p.messageExpiryS !== undefined ? 5 : 0);
  const remaining =
    2 +
    topicBytes +
    (p.qos > 0 ? 2 : 0) +
    varintSize(propsLength) +
    propsLength +
    p.payload.byteLength;
  const buf = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  buf[0] = 0x30 | (p.qos << 1) | (p.retain ? 1 : 0);
  let at = writeVarint(buf, 1, remaining);
  buf.writeUInt16BE(topicBytes, at);
  at += 2;
  if (topicBytes > 0) at += buf.write(p.topic, at, "utf8");
  if (p.qos > 0) {
    buf.writeUInt16BE(p.packetId, at);
    at += 2;
  }
  at = writeVarint(buf, at, propsLength);
  // mqtt-packet writes Message Expiry Interval before Topic Alias; the order is free in MQTT 5.
  if (p.messageExpiryS !== undefined) {
    buf[at++] = 0x02;
    buf.writeUInt32BE(p.messageExpiryS, at);
    at += 4;
  }
  if (p.alias !== undefined) {
    buf[at++] = 0x23;
    buf.writeUInt16BE(p.alias, at);
    at += 2;
  }
  buf.set(p.payload, at);
  return buf;
}

/** Sets the DUP flag of an encoded PUBLISH (a resend with the same packet identifier). */
export function markDup(packet: Buffer): void {
  packet[0] = (packet[0] as number) | DUP_FLAG;
}

/** A PUBREL (QoS 2, second step) for `packetId`, reason 0 (omitted, as MQTT 5 allows). */
export function encodePubrel(packetId: number): Buffer {
  const buf = Buffer.allocUnsafe(4);
  buf[0] = 0x62;
  buf[1] = 2;
  buf.writeUInt16BE(packetId, 2);
  return buf;
}

// The load generator of bench/pipeline.bench.ts: one forked process per share of the vehicles,
// each vehicle its own MQTT 5 connection over mutual TLS (its own certificate), QoS 1.
// Everything that is not sending is done before the clock starts: every payload is encoded and
// framed as a PUBLISH packet up front; at send time only the publish timestamp (the vehicle's
// clock, a fixed-width varint patched in place) and the packet id are written into the frame,
// and a turn's packets for one connection go out in one socket write. The broker's Receive
// Maximum is honoured per connection (beyond it packets wait here, stamped with the time they
// were offered, so that wait counts in the latency). The publisher reports what it achieved
// and its own CPU per message, so the bench can show it was not the bottleneck.
import { randomUUID } from "node:crypto";
import { connect, type TLSSocket } from "node:tls";
import mqttPacket, { type Packet } from "mqtt-packet";
import { fleet } from "@v2c/local";
import { VehicleTelemetry, vehicleTelemetryTopic } from "@v2c/spec";
import { openDevPki } from "../runtime/src/local/dev-pki.js";
import { tlsOptions } from "../runtime/src/local/local-broker.js";

/** What one publisher process is asked to do. */
export interface PublisherInit {
  readonly url: string;
  readonly pkiDir: string;
  readonly vehicles: readonly string[];
  /** Messages per second this process offers (paced, not a burst). */
  readonly rate: number;
  readonly seconds: number;
  readonly region: Parameters<typeof vehicleTelemetryTopic.build>[0]["region"];
}

/** What it did. */
export interface PublisherDone {
  sent: number;
  acked: number;
  /** PUBACKs with a reason code ≥ 0x80, or connections lost with messages in flight. */
  errors: number;
  /** Messages offered per second over the publishing window. */
  achievedRate: number;
  /** The publisher's CPU (user + system) per message sent, µs. */
  cpuUs: number;
}

interface Conn {
  readonly id: string;
  readonly socket: TLSSocket;
  receiveMaximum: number;
  inflight: number;
  nextId: number;
  backlog: Buffer[];
  turn: Buffer[];
  lastTs: number;
}

/** Varint bytes of a non-negative integer below 2^53. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function openConnection(url: URL, id: string, tls: object): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), ...tls });
    socket.setNoDelay(true);
    const timer = setTimeout(() => socket.destroy(new Error(`${id}: no CONNACK in 30 s`)), 30_000);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const conn: Conn = {
      id,
      socket,
      receiveMaximum: 65535,
      inflight: 0,
      nextId: 1,
      backlog: [],
      turn: [],
      lastTs: 0,
    };
    socket.once("secureConnect", () => {
      const connectPacket: Packet = {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 5,
        clean: true,
        clientId: id,
        keepalive: 120,
      };
      socket.write(mqttPacket.generate(connectPacket, { protocolVersion: 5 }));
    });
    const onData = (d: Buffer) => parser.parse(d);
    parser.once("packet", (p: Packet) => {
      clearTimeout(timer);
      if (p.cmd !== "connack") {
        reject(new Error(`${id}: ${p.cmd} instead of a CONNACK`));
        return;
      }
      if ((p.reasonCode ?? 0) !== 0) {
        reject(new Error(`${id}: CONNACK reason ${p.reasonCode}`));
        return;
      }
      conn.receiveMaximum = p.properties?.receiveMaximum ?? 65535;
      // From here on only PUBACKs come: counted straight from the bytes.
      socket.off("data", onData);
      socket.on(
        "data",
        pubackScanner((reasonCode) => {
          conn.inflight--;
          if (reasonCode >= 0x80) state.errors++;
          else state.acked++;
          const next = conn.backlog.shift();
          if (next) send(conn, next, true);
        }),
      );
      resolve(conn);
    });
    socket.on("data", onData);
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      // Whatever was in flight on a lost connection is an error (the bench counts it lost).
      state.errors += conn.inflight + conn.backlog.length;
      conn.inflight = 0;
      conn.backlog = [];
    });
  });
}

const state = { acked: 0, errors: 0 };

/**
 * Calls `onPuback(reasonCode)` for each PUBACK in a connection's incoming bytes (packets may
 * span chunks; other packet types are skipped). mqtt-packet's parser built an object and an
 * event per PUBACK: several µs of the publisher's CPU per message, on the machine under test.
 */
export function pubackScanner(onPuback: (reasonCode: number) => void): (chunk: Buffer) => void {
  let rest: Buffer | undefined;
  return (chunk) => {
    const buf = rest ? Buffer.concat([rest, chunk]) : chunk;
    rest = undefined;
    let i = 0;
    while (i < buf.length) {
      // Fixed header: type in the high nibble, then the remaining length (varint).
      let length = 0;
      let scale = 1;
      let j = i + 1;
      for (;;) {
        if (j >= buf.length) {
          rest = buf.subarray(i);
          return;
        }
        const b = buf[j++]!;
        length += (b & 0x7f) * scale;
        scale *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (j + length > buf.length) {
        rest = buf.subarray(i);
        return;
      }
      // PUBACK: packet id (2 bytes), then the reason code when present (success otherwise).
      if (buf[i]! >> 4 === 4) onPuback(length >= 3 ? buf[j + 2]! : 0);
      i = j + length;
    }
  };
}

/** Stamps the packet id and queues the frame for this turn's write (or writes it now). */
function send(conn: Conn, frame: Buffer, now: boolean): void {
  const at = frame.readUInt16BE(frame.length - 2);
  frame.writeUInt16BE(conn.nextId, at);
  conn.nextId = conn.nextId === 65535 ? 1 : conn.nextId + 1;
  conn.inflight++;
  // The last two bytes carried the packet id's offset; they are not sent.
  const wire = frame.subarray(0, frame.length - 2);
  if (now) conn.socket.write(wire);
  else conn.turn.push(wire);
}

/**
 * Runs one publisher: connects every vehicle, pre-encodes, then waits for `ready` (resolved
 * when every publisher of the run has done the same: their clocks start together, and no
 * publisher's setup competes with another's sending), paces, waits for the PUBACKs.
 */
export async function runPublisher(
  init: PublisherInit,
  ready: () => Promise<void> = async () => {},
): Promise<PublisherDone> {
  const url = new URL(init.url);
  const pki = await openDevPki(init.pkiDir);
  const conns: Conn[] = [];
  // Connect in groups of 20: hundreds of TLS handshakes at once time out on a busy machine.
  for (let i = 0; i < init.vehicles.length; i += 20) {
    conns.push(
      ...(await Promise.all(
        init.vehicles
          .slice(i, i + 20)
          .map(async (id) => openConnection(url, id, tlsOptions(pki, await pki.client(id)))),
      )),
    );
  }
  // Pre-encoded frames: message k goes to vehicle k mod V. The timestamp is encoded as a
  // placeholder of the same varint width as the clock (6 bytes until the year 2109).
  const total = Math.ceil(init.rate * init.seconds);
  const placeholder = Date.now();
  const width = varint(placeholder).length;
  const frames: Buffer[] = [];
  const tsAt: number[] = [];
  for (let k = 0; k < total; k++) {
    const c = conns[k % conns.length]!;
    const m = VehicleTelemetry.fromPartial(fleet.sample as Partial<VehicleTelemetry>);
    m.messageId = randomUUID();
    m.vehicleId = c.id;
    m.timestampMs = placeholder;
    m.schemaVersion = 1;
    m.sequence = k;
    const payload = Buffer.from(VehicleTelemetry.encode(m).finish());
    const topic = vehicleTelemetryTopic.build({ region: init.region, vehicle_id: c.id });
    const packet = mqttPacket.generate(
      { cmd: "publish", topic, payload, qos: 1, messageId: 1, retain: false, dup: false },
      { protocolVersion: 5 },
    );
    const needle = Buffer.from(varint(placeholder));
    const inPayload = payload.indexOf(needle);
    if (inPayload < 0 || payload.indexOf(needle, inPayload + 1) >= 0) {
      throw new Error("publisher: the timestamp's bytes are not unique in the payload");
    }
    tsAt.push(packet.length - payload.length + inPayload);
    // Remaining-length varint, then topic length + topic: the packet id follows.
    let rl = 1;
    while (packet[rl]! & 0x80) rl++;
    const idAt = 1 + rl + 2 + Buffer.byteLength(topic);
    const frame = Buffer.alloc(packet.length + 2);
    packet.copy(frame);
    frame.writeUInt16BE(idAt, packet.length);
    frames.push(frame);
  }
  await ready();
  let sent = 0;
  const cpu0 = process.cpuUsage();
  const started = Date.now();
  const end = started + init.seconds * 1000;
  while (sent < total && Date.now() < end + 1000) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - started) / 1000) * init.rate));
    for (; sent < due; sent++) {
      const c = conns[sent % conns.length]!;
      // One vehicle cannot have two points in one millisecond (the series key).
      const ts = Math.max(now, c.lastTs + 1);
      c.lastTs = ts;
      const frame = frames[sent]!;
      const bytes = varint(ts);
      if (bytes.length !== width) throw new Error("publisher: timestamp width changed");
      for (let i = 0; i < width; i++) frame[tsAt[sent]! + i] = bytes[i]!;
      if (c.inflight < c.receiveMaximum) send(c, frame, false);
      else c.backlog.push(frame);
    }
    for (const c of conns) {
      if (c.turn.length === 0) continue;
      c.socket.write(c.turn.length === 1 ? c.turn[0]! : Buffer.concat(c.turn));
      c.turn = [];
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  const elapsed = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const drainEnd = Date.now() + 60_000;
  while (state.acked + state.errors < sent && Date.now() < drainEnd) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await Promise.all(
    conns.map(
      (c) =>
        new Promise<void>((resolve) => {
          c.socket.once("close", () => resolve());
          c.socket.end(mqttPacket.generate({ cmd: "disconnect" }, { protocolVersion: 5 }));
          setTimeout(() => {
            c.socket.destroy();
            resolve();
          }, 2000).unref();
        }),
    ),
  );
  return {
    sent,
    acked: state.acked,
    errors: state.errors,
    achievedRate: Math.round(sent / elapsed),
    cpuUs: Math.round((cpu.user + cpu.system) / Math.max(1, sent)),
  };
}

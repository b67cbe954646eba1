import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions } from "node:tls";
import mqttPacket, { type Packet } from "mqtt-packet";

/** One QoS 1 (or 0) message delivered to the engine, acknowledged later with `ack`. */
export interface Delivery {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: number;
  /** Packet id (QoS 1) and the connection it arrived on (acks never cross connections). */
  readonly packetId: number | undefined;
  readonly connection: number;
}

/** Options of EngineConnection. */
export interface EngineConnectionOptions {
  readonly url: string;
  readonly clientId: string;
  readonly filters: readonly string[];
  readonly tls?: Pick<
    ConnectionOptions,
    "ca" | "cert" | "key" | "servername" | "rejectUnauthorized"
  >;
  /** Messages the broker may have in flight to us unacknowledged (MQTT 5 Receive Maximum). */
  readonly receiveMaximum?: number;
  readonly sessionExpiryS?: number;
  readonly keepaliveS?: number;
  readonly connectTimeoutMs?: number;
  readonly reconnectPeriodMs?: number;
  readonly onDelivery: (d: Delivery) => void;
  /** Called after CONNACK + SUBACK (`sessionPresent` from the CONNACK) and on every loss. */
  readonly onState?: (
    state: "up" | "down",
    info: { sessionPresent?: boolean; error?: string },
  ) => void;
}

/**
 * A lean MQTT 5 subscriber on `mqtt-packet` for the rules engine. Unlike MQTT.js (which reads
 * the next packet only after the previous message's handler finished and then acknowledges
 * it), deliveries keep flowing while earlier ones are still uncommitted, and the PUBACK is
 * sent when the caller says so: after its transaction committed (at-least-once, micro-batched).
 * Persistent session (clean start off), re-subscribes on every connect, reconnects forever.
 */
export class EngineConnection {
  private socket: Socket | undefined;
  private generation = 0;
  private stopped = false;
  private up = false;
  private ping: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private outbox: Buffer[] = [];
  private flushQueued = false;
  private readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Connections made (1 after the first). */
  connects = 0;

  constructor(private readonly options: EngineConnectionOptions) {}

  /** Connects; resolves once subscribed (rejects after the connect timeout). */
  start(): Promise<void> {
    this.stopped = false;
    const ready = this.whenUp(this.options.connectTimeoutMs ?? 5000);
    this.open();
    return ready;
  }

  /** Whether the connection is up and subscribed. */
  get connected(): boolean {
    return this.up;
  }

  /** The current connection number (deliveries of older ones can no longer be acknowledged). */
  get connection(): number {
    return this.generation;
  }

  /** Resolves when connected and subscribed; rejects after `timeoutMs`. */
  whenUp(timeoutMs: number): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(t);
          reject(e);
        },
      };
      const t = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((x) => x !== w);
        reject(
          new Error(`rules engine: not connected to ${this.options.url} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.readyWaiters.push(w);
    });
  }

  /** Sends the PUBACK of a delivery, unless its connection is gone (the broker redelivers). */
  ack(d: Delivery): void {
    if (d.packetId === undefined || d.connection !== this.generation || !this.up) return;
    this.queue(successPuback(d.packetId));
  }

  /**
   * Sends the PUBACKs of many deliveries in one buffer (those of a gone connection are
   * skipped: the broker redelivers them).
   */
  ackAll(deliveries: readonly Delivery[]): void {
    if (!this.up) return;
    let n = 0;
    for (const d of deliveries) {
      if (d.packetId !== undefined && d.connection === this.generation) n++;
    }
    if (n === 0) return;
    const out = Buffer.allocUnsafe(n * 4);
    let at = 0;
    for (const d of deliveries) {
      if (d.packetId === undefined || d.connection !== this.generation) continue;
      writePuback(out, at, d.packetId);
      at += 4;
    }
    this.queue(out);
  }

  /** Drops the connection now and reconnects at once (e.g. the broker was just restarted). */
  reconnectNow(): void {
    clearTimeout(this.retry);
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    else if (!this.stopped) this.open();
  }

  /** A crash: the socket is destroyed without DISCONNECT and nothing reconnects until `start()`. */
  kill(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    this.socket?.destroy();
  }

  /** Sends DISCONNECT (session kept) and closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    const s = this.socket;
    if (!s || s.destroyed) return;
    if (this.up) this.send({ cmd: "disconnect", reasonCode: 0 });
    this.flush();
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        s.destroy();
        resolve();
      }, 1000);
      s.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      s.end();
    });
  }

  private open(): void {
    const o = this.options;
    const gen = ++this.generation;
    const u = new URL(o.url);
    const port = Number(u.port || (u.protocol === "mqtts:" ? 8883 : 1883));
    const host = u.hostname;
    const socket =
      u.protocol === "mqtts:"
        ? tlsConnect({ host, port, ...(o.tls ?? {}) })
        : netConnect({ host, port });
    socket.setNoDelay(true);
    this.socket = socket;
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const timer = setTimeout(
      () => socket.destroy(new Error("no CONNACK in time")),
      o.connectTimeoutMs ?? 5000,
    );
    socket.once(u.protocol === "mqtts:" ? "secureConnect" : "connect", () => {
      this.sendOn(socket, {
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 5,
        clean: false,
        clientId: o.clientId,
        keepalive: o.keepaliveS ?? 30,
        properties: {
          sessionExpiryInterval: o.sessionExpiryS ?? 3600,
          receiveMaximum: o.receiveMaximum ?? 65535,
        },
      });
    });
    parser.on("packet", (p: Packet) => {
      if (p.cmd === "connack") {
        if ((p.reasonCode ?? 0) !== 0) {
          socket.destroy(new Error(`CONNACK reason ${p.reasonCode}`));
          return;
        }
        clearTimeout(timer);
        this.sendOn(socket, {
          cmd: "subscribe",
          messageId: 1,
          subscriptions: o.filters.map((topic) => ({ topic, qos: 1 as const })),
        });
        (socket as Socket & { sessionPresent?: boolean }).sessionPresent = p.sessionPresent;
      } else if (p.cmd === "suback") {
        const bad = (p.granted as number[]).find((g) => g >= 0x80);
        if (bad !== undefined) {
          socket.destroy(new Error(`SUBACK refused (reason ${bad})`));
          return;
        }
        this.up = true;
        this.connects++;
        this.ping = setInterval(
          () => this.send({ cmd: "pingreq" }),
          ((o.keepaliveS ?? 30) * 1000) / 2,
        );
        o.onState?.("up", {
          sessionPresent: (socket as Socket & { sessionPresent?: boolean }).sessionPresent ?? false,
        });
        this.readyWaiters.splice(0).forEach((w) => w.resolve());
      } else if (p.cmd === "publish") {
        o.onDelivery({
          topic: p.topic,
          payload: p.payload as Buffer,
          qos: p.qos,
          packetId: p.qos > 0 ? p.messageId : undefined,
          connection: gen,
        });
      } else if (p.cmd === "disconnect") {
        socket.destroy(new Error(`DISCONNECT reason ${p.reasonCode}`));
      }
    });
    parser.on("error", (e: Error) => socket.destroy(e));
    socket.on("data", (d: Buffer) => parser.parse(d));
    let lastError: string | undefined;
    socket.on("error", (e) => (lastError = e.message));
    socket.on("close", () => {
      clearTimeout(timer);
      clearInterval(this.ping);
      const wasUp = this.up;
      if (this.socket === socket) {
        this.up = false;
        this.outbox = [];
      }
      if (wasUp) o.onState?.("down", lastError ? { error: lastError } : {});
      if (!this.stopped && this.socket === socket) {
        this.retry = setTimeout(() => this.open(), o.reconnectPeriodMs ?? 200);
      }
    });
  }

  private send(packet: Packet): void {
    this.queue(mqttPacket.generate(packet, { protocolVersion: 5 }));
  }

  private queue(bytes: Buffer): void {
    if (!this.socket || this.socket.destroyed) return;
    this.outbox.push(bytes);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    const s = this.socket;
    if (!s || s.destroyed || this.outbox.length === 0) return;
    s.write(this.outbox.length === 1 ? this.outbox[0]! : Buffer.concat(this.outbox));
    this.outbox = [];
  }

  private sendOn(socket: Socket, packet: Packet): void {
    socket.write(mqttPacket.generate(packet, { protocolVersion: 5 }));
  }
}

/**
 * A PUBACK with reason Success and no properties: MQTT 5 lets both be left out (remaining
 * length 2), which is what the broker reads as success — built by hand, no packet generator
 * allocating per acknowledgement.
 */
function successPuback(packetId: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  writePuback(b, 0, packetId);
  return b;
}

function writePuback(b: Buffer, at: number, packetId: number): void {
  b[at] = 0x40;
  b[at + 1] = 2;
  b[at + 2] = packetId >> 8;
  b[at + 3] = packetId & 0xff;
}

import type { MqttClient, Packet } from "mqtt";
import { performance } from "node:perf_hooks";
import type { RetryPolicy } from "../policy.js";
import { retryDelayMs, type RandomSource } from "./backoff.js";
import { ReasonCode } from "./errors.js";
import type { PacketIds } from "./packet-ids.js";
import { encodePublish, encodePubrel, markDup } from "./publish-packet.js";
import type { TopicAliasManager } from "./topic-alias.js";

/** One application message as the session sends it. */
export interface OutgoingMessage {
  readonly messageId: string;
  /** The full topic (the alias manager decides the wire form per connection). */
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly alias: number | undefined;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly messageExpiryS: number | undefined;
}

/**
 * How a delivery ended: `ack` (PUBACK/PUBCOMP below 0x80, or QoS 0 written; `code` is the
 * reason), `refused` (reason code ≥ 0x80, or the culprit of a DISCONNECT 0x95), `timeout` (no
 * acknowledgement after every DUP resend), `lost` (the connection died first), `too-large`
 * (the packet exceeds the connection's limit; `code` is its size; nothing was written).
 */
export type DeliveryOutcome = "ack" | "refused" | "timeout" | "lost" | "too-large";

/** Called once per delivery with its outcome. */
export type DeliveryDone = (outcome: DeliveryOutcome, code: number) => void;

/** One message in flight on one connection (an intrusive list node: no per-message timer). */
export class Delivery {
  packetId = 0;
  packet: Buffer | undefined = undefined;
  attempt = 0;
  /** QoS 2: PUBREC received (its reason kept in `reasonCode`), PUBREL written. */
  released = false;
  reasonCode = 0;
  deadline = 0;
  prev: Delivery | undefined = undefined;
  next: Delivery | undefined = undefined;
  linked = false;
  retryTimer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(
    readonly msg: OutgoingMessage,
    readonly done: DeliveryDone,
  ) {}
}

/** What an `Outbox` needs from its session. */
export interface OutboxOptions {
  readonly client: MqttClient;
  readonly ids: PacketIds;
  readonly aliases: TopicAliasManager;
  /** Wait for one acknowledgement before a DUP resend. */
  readonly pubackMs: number;
  /** Resend schedule after a timeout; when used up the delivery ends `timeout`. */
  readonly retry: RetryPolicy;
  readonly random: RandomSource;
  /** The largest packet this connection may carry now. */
  readonly limit: () => number;
  /** A PUBLISH (or its DUP resend) was handed to the socket. */
  readonly written: (msg: OutgoingMessage, packetId: number | undefined, dup: boolean) => void;
  /** A DUP resend is about to be written. */
  readonly resent: () => void;
}

/**
 * The PUBLISH side of one connection, written by the session itself rather than through
 * MQTT.js's `publish` (which costs a store entry, an options clone, a Promise and a listener
 * per message, and never sets DUP on a resend). Each packet is encoded into one buffer; the
 * packets of one event-loop turn leave in one socket write (cork until the next tick).
 * Acknowledgements arrive through one `packetreceive` listener and are matched by packet
 * identifier, so the reason code reported is the broker's. One timer per connection watches
 * the acknowledgement deadlines: every (re)send waits the same `pubackMs`, so a FIFO list is
 * in deadline order and only its head needs a timer. MQTT.js still owns connect, keep-alive,
 * subscriptions and incoming messages; it ignores acknowledgements for identifiers it did not
 * send, and shares the identifier space through `PacketIds`.
 */
export class Outbox {
  private alive = true;
  private head: Delivery | undefined;
  private tail: Delivery | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private corked = false;
  private readonly byId = new Map<number, Delivery>();

  constructor(private readonly o: OutboxOptions) {}

  /** Encodes and writes `d`'s PUBLISH; its outcome arrives through `d.done`. */
  send(d: Delivery): void {
    if (!this.alive) return d.done("lost", 0);
    const msg = d.msg;
    const wire = this.o.aliases.plan(msg.topic, msg.alias);
    let packetId = 0;
    if (msg.qos > 0) {
      const id = this.o.ids.allocate();
      if (id === null) return d.done("lost", 0); // 65,535 in flight: let the queue hold it
      packetId = id;
    }
    const packet = encodePublish({
      topic: wire.topic,
      payload: msg.payload,
      qos: msg.qos,
      retain: msg.retain,
      packetId,
      alias: wire.alias,
      messageExpiryS: msg.messageExpiryS,
    });
    if (packet.length > this.o.limit()) {
      if (packetId > 0) this.o.ids.deallocate(packetId);
      return d.done("too-large", packet.length);
    }
    this.write(packet);
    // Only a packet that was actually written binds the alias on this connection.
    this.o.aliases.commit(msg.topic, wire);
    if (msg.qos === 0) {
      this.o.written(msg, undefined, false);
      return d.done("ack", 0);
    }
    d.packetId = packetId;
    d.packet = packet;
    this.byId.set(packetId, d);
    this.link(d);
    this.o.written(msg, packetId, false);
  }

  /** Routes an incoming PUBACK / PUBREC / PUBCOMP to its delivery (others are ignored). */
  onPacket(packet: Packet): void {
    const cmd = packet.cmd;
    if (cmd !== "puback" && cmd !== "pubrec" && cmd !== "pubcomp") return;
    const d = this.byId.get(packet.messageId as number);
    if (d === undefined) return;
    const rc = (packet as { reasonCode?: number }).reasonCode ?? 0;
    if (cmd === "pubrec") {
      if (rc >= 0x80) return this.settle(d, "refused", rc);
      d.reasonCode = rc;
      d.released = true;
      this.unlink(d);
      this.write(encodePubrel(d.packetId));
      this.link(d);
      return;
    }
    if (cmd === "pubcomp") return this.settle(d, "ack", d.reasonCode);
    this.settle(d, rc >= 0x80 ? "refused" : "ack", rc);
  }

  /** Packets written and not yet acknowledged (QoS 1/2). */
  get inFlight(): number {
    return this.byId.size;
  }

  /**
   * The connection is gone: every delivery ends `lost`, except, after a DISCONNECT 0x95, the
   * largest unacknowledged packet (the broker refused it as too large; MQTT 5 has no PUBACK
   * 0x95): it ends `refused` 0x95. Returns that packet's size (undefined: none blamed).
   */
  abort(disconnectReason: number | undefined): number | undefined {
    if (!this.alive) return undefined;
    this.alive = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let culprit: Delivery | undefined;
    if (disconnectReason === ReasonCode.PacketTooLarge) {
      for (const d of this.byId.values())
        if (!culprit || (d.packet?.length ?? 0) > (culprit.packet?.length ?? 0)) culprit = d;
    }
    const size = culprit?.packet?.length;
    if (culprit) this.settle(culprit, "refused", ReasonCode.PacketTooLarge);
    const rest = [...this.byId.values()];
    this.byId.clear();
    this.head = this.tail = undefined;
    for (const d of rest) {
      if (d.retryTimer) clearTimeout(d.retryTimer);
      d.linked = false;
      d.done("lost", 0);
    }
    return size;
  }

  private settle(d: Delivery, outcome: DeliveryOutcome, code: number): void {
    this.unlink(d);
    if (d.retryTimer) clearTimeout(d.retryTimer);
    d.retryTimer = undefined;
    this.byId.delete(d.packetId);
    this.o.ids.deallocate(d.packetId);
    d.done(outcome, code);
  }

  private write(buf: Buffer): void {
    const stream = this.o.client.stream;
    if (!this.corked) {
      this.corked = true;
      stream.cork();
      process.nextTick(this.uncork);
    }
    stream.write(buf);
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.o.client.stream.uncork();
  };

  // ---- acknowledgement deadlines ---------------------------------------------------------

  private link(d: Delivery): void {
    d.deadline = performance.now() + this.o.pubackMs;
    d.prev = this.tail;
    d.next = undefined;
    if (this.tail) this.tail.next = d;
    else this.head = d;
    this.tail = d;
    d.linked = true;
    if (this.timer === undefined) this.arm(this.o.pubackMs);
  }

  private unlink(d: Delivery): void {
    if (!d.linked) return;
    if (d.prev) d.prev.next = d.next;
    else this.head = d.next;
    if (d.next) d.next.prev = d.prev;
    else this.tail = d.prev;
    d.prev = d.next = undefined;
    d.linked = false;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.onTimer, Math.max(1, Math.ceil(ms)));
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    const now = performance.now();
    while (this.head !== undefined && this.head.deadline <= now) {
      const d = this.head;
      this.unlink(d);
      this.timedOut(d);
    }
    if (this.head !== undefined && this.timer === undefined) this.arm(this.head.deadline - now);
  };

  /** No acknowledgement in time: wait the schedule's next delay, then resend with DUP. */
  private timedOut(d: Delivery): void {
    const delay = retryDelayMs(this.o.retry, d.attempt, this.o.random);
    d.attempt++;
    if (delay === undefined) {
      // The identifier stays reserved: a late PUBACK must not settle another message.
      this.byId.delete(d.packetId);
      return d.done("timeout", d.attempt);
    }
    d.retryTimer = setTimeout(() => {
      d.retryTimer = undefined;
      if (!this.alive || !this.byId.has(d.packetId)) return;
      this.o.resent();
      const packet = d.released ? encodePubrel(d.packetId) : (d.packet as Buffer);
      if (!d.released) markDup(packet);
      this.write(packet);
      this.link(d);
      if (!d.released) this.o.written(d.msg, d.packetId, true);
    }, delay);
  }
}

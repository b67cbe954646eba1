import {
  connect,
  type IClientOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
} from "mqtt";
import mqttPacket from "mqtt-packet";
import { setMaxListeners } from "node:events";
import type { RetryPolicy } from "../policy.js";
import { retryDelayMs, sleep, type RandomSource } from "./backoff.js";
import { classifyConnectError, failureLabel } from "./connect-errors.js";
import {
  CredentialError,
  NetworkTimeoutError,
  NotAuthorizedError,
  PacketTooLargeError,
  PublishRejectedError,
  PubackTimeoutError,
  QuotaExceededError,
  ReasonCode,
  SessionClosedError,
  V2cClientError,
} from "./errors.js";
import { ClientEvents, type ConnectedEvent, type DisconnectedEvent } from "./events.js";
import {
  MetricName,
  namedMetrics,
  noopMetrics,
  reasonLabel,
  type ClientMetrics,
} from "./metrics.js";
import { effectivePacketLimit, publishPacketSize } from "./packet-size.js";
import type { PersistentQueue, QueueEntry } from "./persistent-queue.js";
import { TopicAliasManager } from "./topic-alias.js";
import { WriteAheadBatcher } from "./write-ahead.js";
import { topicMatches } from "./topic-filter.js";

/** Client certificate, key and CA for mutual TLS (PEM). */
export interface SessionTlsOptions {
  readonly ca: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** SNI / certificate host name check; defaults to the URL's host. */
  readonly servername?: string;
}

/** Every network wait has a bound (ms). */
export interface SessionTimeouts {
  /** TCP + TLS + CONNACK. */
  readonly connectMs: number;
  /** Wait for one PUBACK before a DUP resend. */
  readonly pubackMs: number;
  readonly subscribeMs: number;
  /** Graceful DISCONNECT on close before the socket is destroyed. */
  readonly endMs: number;
}

/** Everything a `VehicleSession` needs; generated code fills the numbers from the spec. */
export interface VehicleSessionOptions {
  /** `mqtts://host:port` (or `mqtt://` for tests without TLS). */
  readonly url: string;
  /** The vehicle id (VIN-based). */
  readonly clientId: string;
  readonly tls?: SessionTlsOptions;
  /** Requested keep-alive; a Server Keep Alive in CONNACK overrides it. */
  readonly keepaliveSeconds: number;
  /** Persistent session: clean start is false and the broker keeps it this long. */
  readonly sessionExpirySeconds: number;
  /** The spec's maximum PUBLISH packet size; the broker's CONNACK limit applies if lower. */
  readonly maxPacketBytes: number;
  readonly timeouts: SessionTimeouts;
  /** Reconnect schedule; after it is used up the last delay repeats. */
  readonly reconnect: RetryPolicy;
  /** DUP resend schedule after a PUBACK timeout; then the message goes to the queue. */
  readonly publishRetry: RetryPolicy;
  /** Wait after CONNACK 0x97 before the next attempt. */
  readonly quotaWindowMs: number;
  /** The vehicle's flash queue; messages wait here while offline. */
  readonly queue: PersistentQueue;
  /** Publishes in flight at once while flushing the queue (capped by the broker's Receive Maximum). */
  readonly flushWindow?: number;
  readonly events?: ClientEvents;
  readonly metrics?: ClientMetrics;
  /** Metric role -> the spec's metric name (from its metrics file); roles without one keep the role. */
  readonly metricNames?: Readonly<Record<string, string>>;
  readonly random?: RandomSource;
}

export interface PublishOptions {
  /** Application message id (UUID), used for dedup and for the queue. */
  readonly messageId: string;
  /** The spec's topic alias for this topic, if any. */
  readonly alias?: number;
  /** The operation's QoS (`bindings.mqtt.qos`); default 1. */
  readonly qos?: 0 | 1 | 2;
  /** The operation's retain flag (`bindings.mqtt.retain`). */
  readonly retain?: boolean;
  /** MQTT 5 message expiry interval, seconds (`bindings.mqtt.messageExpiryInterval`). */
  readonly messageExpiryS?: number;
  /**
   * Offline behaviour: `queue` persists the message (write-ahead) until the broker has it;
   * `drop` sends it only when live. Default: `queue` for QoS 1/2, `drop` for QoS 0.
   */
  readonly offline?: "queue" | "drop";
}

/**
 * What happened to a publish: acknowledged by the broker (QoS 1/2), written to the connection
 * (QoS 0), safe in the persistent queue, or dropped (QoS 0 while offline).
 */
export type PublishResult =
  | { readonly status: "acked"; readonly reasonCode: number }
  | { readonly status: "sent" }
  | { readonly status: "dropped"; readonly reason: "offline" }
  | {
      readonly status: "queued";
      readonly reason: "offline" | "connection-lost" | "puback-timeout";
    };

/** An incoming message on a subscribed filter (commands). */
export interface IncomingMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: IPublishPacket;
}

export type MessageHandler = (message: IncomingMessage) => void;

interface Outgoing {
  readonly messageId: string;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly alias: number | undefined;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
  readonly messageExpiryS: number | undefined;
}

/** One live MQTT.js client; a new one per connection so no library state leaks across. */
interface Connection {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
  readonly limit: number;
  readonly receiveMaximum: number;
  readonly lost: AbortController;
  readonly closed: Promise<DisconnectedEvent>;
  /** Publishes written and not yet settled, with their packet sizes (to find a 0x95 culprit). */
  readonly sent: Map<AckSlot, number>;
  /**
   * Reason codes of PUBACK/PUBREC packets by packet identifier, read as they arrive: MQTT.js
   * hands the publish callback the stored PUBLISH packet, not the acknowledgement.
   */
  readonly ackReasons: Map<number, number>;
  alive: boolean;
}

/** A direct (not from the queue) publish waiting for its PUBACK. */
interface InFlight {
  readonly msg: Outgoing;
  /** Settled by the broker's refusal (DISCONNECT 0x95): not to be kept for resending. */
  queued: boolean;
}

type SendOutcome =
  | { readonly kind: "ack"; readonly reasonCode: number }
  | { readonly kind: "refused"; readonly reasonCode: number }
  | { readonly kind: "timeout" };

/** Where the PUBACK of one message lands, whichever attempt is waiting for it. */
interface AckSlot {
  /** The direct publish this slot belongs to (none for queue entries). */
  token?: InFlight;
  outcome?: SendOutcome;
  packet?: IPublishPacket;
  notify?: (() => void) | undefined;
}

/** Thrown internally when the connection dies under a waiting operation. */
class ConnectionLost extends Error {}

const DEFAULT_FLUSH_WINDOW = 16;

/**
 * The vehicle's MQTT 5 session over MQTT.js: mTLS, persistent session, its own reconnect loop
 * on the spec's retry schedule, QoS 1 publishing with a PUBACK timeout and DUP resends, topic
 * aliases that are re-established on every connection, a size check before every send, and a
 * persistent queue that holds everything the broker has not acknowledged.
 *
 * MQTT.js's own reconnect is off (`reconnectPeriod: 0`): it retries on a fixed period and,
 * after a CONNACK error, not at all. Each connection gets a fresh MQTT.js client so that its
 * in-memory outgoing store cannot replay stale alias-only packets; the persistent queue is
 * the single source of truth for unacknowledged messages.
 */
export class VehicleSession {
  /** The event bus (shared with the queue and monitors when passed in the options). */
  readonly events: ClientEvents;
  private readonly metrics: ClientMetrics;
  private readonly random: RandomSource;
  private readonly queue: PersistentQueue;
  private readonly writeAhead: WriteAheadBatcher;
  private readonly aliases = new TopicAliasManager();
  private readonly subscriptions = new Map<string, MessageHandler>();
  private readonly subscriptionQos = new Map<string, 0 | 1 | 2>();
  private readonly inflight = new Set<InFlight>();
  private readonly closing = new AbortController();
  private conn: Connection | undefined;
  /** Connected and the queue has been flushed: new publishes may go straight to the wire. */
  private live = false;
  private started = false;
  private closed = false;
  private stoppedBy: CredentialError | undefined;
  private lastBrokerMaxPacket: number | undefined;
  /** Learned from a DISCONNECT 0x95: the broker enforces a lower limit than it advertised. */
  private learnedMaxPacket: number | undefined;
  private loop: Promise<void> | undefined;
  private readyWaiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();

  constructor(private readonly options: VehicleSessionOptions) {
    this.events = options.events ?? new ClientEvents();
    this.metrics = namedMetrics(options.metrics ?? noopMetrics, options.metricNames);
    this.random = options.random ?? Math.random;
    this.queue = options.queue;
    this.writeAhead = new WriteAheadBatcher(options.queue);
  }

  /** Starts the connect/reconnect loop (returns at once; see `whenReady`). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.loop = this.runLoop();
  }

  /** Whether the session is connected with its queue flushed. */
  get isLive(): boolean {
    return this.live;
  }

  /** The credential problem that stopped the session, if any. */
  get stoppedReason(): CredentialError | undefined {
    return this.stoppedBy;
  }

  /**
   * Resolves once connected with the queue flushed; rejects with the `CredentialError` that
   * stopped the loop, or with `NetworkTimeoutError` after `timeoutMs`.
   */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.live) return Promise.resolve();
    if (this.stoppedBy) return Promise.reject(this.stoppedBy);
    if (this.closed) return Promise.reject(new SessionClosedError());
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.readyWaiters.delete(waiter);
        reject(new NetworkTimeoutError("whenReady", timeoutMs));
      }, timeoutMs);
      this.readyWaiters.add(waiter);
    });
  }

  /**
   * Publishes with QoS 1. Rejects with `PacketTooLargeError` before sending when the packet
   * exceeds the limit, with `NotAuthorizedError` on PUBACK 0x87 (also a `securityEvent`), with
   * `PacketTooLargeError` on PUBACK 0x95. Otherwise resolves `acked`, or `queued` when the
   * message is in the persistent queue (offline, connection lost, or no PUBACK after resends).
   */
  async publish(topic: string, payload: Uint8Array, opts: PublishOptions): Promise<PublishResult> {
    if (this.closed) throw new SessionClosedError();
    const qos = opts.qos ?? 1;
    const msg: Outgoing = {
      messageId: opts.messageId,
      topic,
      payload,
      alias: opts.alias,
      qos,
      retain: opts.retain ?? false,
      messageExpiryS: opts.messageExpiryS,
    };
    const keep = (opts.offline ?? (qos === 0 ? "drop" : "queue")) === "queue";
    // Measured on the widest wire form (topic + alias) so a message that passes here also
    // fits when replayed as the first publish of a later connection.
    const size = publishPacketSize(this.aliases.widest(topic, opts.alias), payload);
    const limit = this.currentLimit(
      effectivePacketLimit(this.options.maxPacketBytes, this.lastBrokerMaxPacket),
    );
    if (size > limit) {
      this.metrics.counter(MetricName.publishRejected, { reasonCode: "client-size" });
      throw new PacketTooLargeError(size, limit, "client", topic);
    }
    const conn = this.conn;
    const live = this.live && conn !== undefined && conn.alive;
    if (!keep) {
      if (!live) {
        this.metrics.counter(MetricName.publishDropped, { reason: "offline" });
        return { status: "dropped", reason: "offline" };
      }
      return this.sendUnqueued(conn, msg);
    }
    // Write-ahead: the message is on flash before it is on the wire, and leaves the queue only
    // when the broker has acknowledged it (or refused it for good). A crash at any point after
    // the commit leaves it in the queue for the next process to send. Publishes of one turn
    // share one commit (WriteAheadBatcher); "send now or leave it to the flush" is decided in
    // the commit's own turn, from the connection state at that moment.
    return new Promise<PublishResult>((resolve, reject) => {
      this.writeAhead.enqueue(
        toQueueInput(msg),
        (entry) => {
          const current = this.conn;
          if (this.closed || !this.live || current === undefined || !current.alive) {
            this.metrics.counter(MetricName.publishQueued, { reason: "offline" });
            resolve({ status: "queued", reason: "offline" });
            return;
          }
          this.deliverKept(current, msg, entry.seq).then(resolve, reject);
        },
        reject,
      );
    });
  }

  /** Sends a committed write-ahead entry and settles its fate in the queue. */
  private async deliverKept(conn: Connection, msg: Outgoing, seq: number): Promise<PublishResult> {
    const token: InFlight = { msg, queued: false };
    this.inflight.add(token);
    try {
      const reasonCode = await this.deliver(conn, msg, token);
      this.queue.ack([seq]);
      this.metrics.counter(MetricName.publishAcked);
      return msg.qos === 0 ? { status: "sent" } : { status: "acked", reasonCode };
    } catch (err) {
      if (err instanceof ConnectionLost) {
        // Still in the queue: the next connection's flush sends it.
        this.metrics.counter(MetricName.publishQueued, { reason: "connection-lost" });
        return { status: "queued", reason: "connection-lost" };
      }
      if (err instanceof PubackTimeoutError) {
        this.metrics.counter(MetricName.publishQueued, { reason: "puback-timeout" });
        // No PUBACK across every resend: the link is half-open; start over on a new one.
        this.dropConnection(conn);
        return { status: "queued", reason: "puback-timeout" };
      }
      // Refused by the broker (or too large): resending would fail the same way.
      this.queue.ack([seq]);
      throw err;
    } finally {
      this.inflight.delete(token);
    }
  }

  /** A QoS 0 publish that is not kept offline: written once, never queued or resent. */
  private async sendUnqueued(conn: Connection, msg: Outgoing): Promise<PublishResult> {
    try {
      await this.deliver(conn, msg);
    } catch (err) {
      if (err instanceof ConnectionLost) {
        this.metrics.counter(MetricName.publishDropped, { reason: "connection-lost" });
        return { status: "dropped", reason: "offline" };
      }
      throw err;
    }
    this.metrics.counter(MetricName.publishSent);
    return { status: "sent" };
  }

  /** Subscribes with the operation's QoS (default 1); re-subscribed on every new connection. */
  async subscribe(
    topicFilter: string,
    handler: MessageHandler,
    options: { readonly qos?: 0 | 1 | 2 } = {},
  ): Promise<void> {
    if (this.closed) throw new SessionClosedError();
    this.subscriptions.set(topicFilter, handler);
    this.subscriptionQos.set(topicFilter, options.qos ?? 1);
    const conn = this.conn;
    if (conn?.alive) await this.subscribeOn(conn, topicFilter);
  }

  /**
   * Stops the loop and disconnects (DISCONNECT, bounded by `timeouts.endMs`). Publishes still
   * waiting for a PUBACK are moved to the queue first, so closing never loses a message.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Publishes waiting for their group commit are written now (and answered "queued").
    this.writeAhead.commit();
    this.closing.abort();
    const conn = this.conn;
    if (conn) {
      await endClient(conn.client, false, this.options.timeouts.endMs);
      this.onConnectionLost(conn, { reasonCode: undefined, error: undefined });
    }
    await this.loop;
    for (const w of this.readyWaiters) w.reject(new SessionClosedError());
    this.readyWaiters.clear();
  }

  // ---- connection loop -------------------------------------------------------------------

  private async runLoop(): Promise<void> {
    let failures = 0;
    let delay: number | undefined; // undefined: connect at once (first attempt of the session)
    while (!this.closed) {
      if (delay !== undefined) {
        await sleep(delay, this.closing.signal);
        if (this.closed) break;
      }
      let conn: Connection;
      try {
        conn = await this.connectOnce();
      } catch (err) {
        failures++;
        const failure = classifyConnectError(err);
        this.metrics.counter(MetricName.connectionFailure, {
          reason: failureLabel(err, failure.reasonCode),
        });
        const error = err instanceof Error ? err : new Error(String(err));
        if (failure.action === "stop") {
          this.events.emit("connectFailed", {
            reasonCode: failure.reasonCode,
            error,
            attempt: failures,
            nextDelayMs: undefined,
          });
          this.stop(failure.error);
          return;
        }
        // 0x97: the broker's rate window must pass; backing off faster would only be refused again.
        delay =
          failure.action === "quota-wait"
            ? this.options.quotaWindowMs
            : (retryDelayMs(this.options.reconnect, failures - 1, this.random, true) ?? 0);
        this.events.emit("connectFailed", {
          reasonCode: failure.reasonCode,
          error,
          attempt: failures,
          nextDelayMs: delay,
        });
        continue;
      }
      if (this.closed) {
        await endClient(conn.client, true, this.options.timeouts.endMs);
        break;
      }
      await this.runConnection(conn);
      // A lost connection counts as the first failure, so the next waits follow the schedule
      // from its start (never a hot loop against a broker that accepts and drops at once).
      failures = 1;
      delay = retryDelayMs(this.options.reconnect, 0, this.random, true) ?? 0;
    }
  }

  private stop(error: CredentialError): void {
    this.stoppedBy = error;
    this.events.emit("credentialProblem", error);
    for (const w of this.readyWaiters) w.reject(error);
    this.readyWaiters.clear();
  }

  private connectOnce(): Promise<Connection> {
    const o = this.options;
    const clientOptions: IClientOptions = {
      protocolVersion: 5,
      clientId: o.clientId,
      clean: false,
      keepalive: o.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: o.timeouts.connectMs,
      properties: { sessionExpiryInterval: o.sessionExpirySeconds },
      resubscribe: false,
      ...(o.tls
        ? {
            ca: o.tls.ca,
            ...(o.tls.cert ? { cert: o.tls.cert } : {}),
            ...(o.tls.key ? { key: o.tls.key } : {}),
            ...(o.tls.servername ? { servername: o.tls.servername } : {}),
            rejectUnauthorized: true,
          }
        : {}),
    };
    return new Promise<Connection>((resolve, reject) => {
      const client = connect(o.url, clientOptions);
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        client.removeListener("connect", onConnect);
        void endClient(client, true, o.timeouts.endMs);
        reject(err);
      };
      // Our own bound on top of MQTT.js's connectTimeout (which does not cover every path).
      const timer = setTimeout(
        () => fail(new NetworkTimeoutError("connect", o.timeouts.connectMs)),
        o.timeouts.connectMs,
      );
      // MQTT.js throws on an 'error' without listener: keep one for the client's whole life.
      client.on("error", (err) => fail(err));
      client.once("close", () => fail(new Error("connection closed before CONNACK")));
      const onConnect = (connack: IConnackPacket): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(this.makeConnection(client, connack));
      };
      client.once("connect", onConnect);
    });
  }

  private makeConnection(client: MqttClient, connack: IConnackPacket): Connection {
    const props = connack.properties ?? {};
    let disconnectReason: number | undefined;
    let lastError: Error | undefined;
    let resolveClosed!: (e: DisconnectedEvent) => void;
    const lost = new AbortController();
    // Every waiting publish listens on it (a whole flush window at once): no leak, no warning.
    setMaxListeners(0, lost.signal);
    const conn: Connection = {
      client,
      connack,
      limit: effectivePacketLimit(this.options.maxPacketBytes, props.maximumPacketSize),
      receiveMaximum: props.receiveMaximum ?? 65_535,
      lost,
      closed: new Promise((r) => (resolveClosed = r)),
      sent: new Map(),
      ackReasons: new Map(),
      alive: true,
    };
    client.on("packetreceive", (packet) => {
      if (packet.cmd === "puback" || packet.cmd === "pubrec")
        conn.ackReasons.set(packet.messageId!, packet.reasonCode ?? 0);
    });
    client.on("disconnect", (packet) => (disconnectReason = packet.reasonCode));
    client.on("error", (err) => (lastError = err));
    client.on("close", () => {
      const event = { reasonCode: disconnectReason, error: lastError };
      this.onConnectionLost(conn, event);
      resolveClosed(event);
    });
    client.on("message", (topic, payload, packet) => this.dispatch(topic, payload, packet));
    return conn;
  }

  private async runConnection(conn: Connection): Promise<void> {
    const props = conn.connack.properties ?? {};
    this.conn = conn;
    this.lastBrokerMaxPacket = props.maximumPacketSize;
    this.aliases.reset(props.topicAliasMaximum);
    const connected: ConnectedEvent = {
      sessionPresent: conn.connack.sessionPresent,
      keepaliveSeconds: props.serverKeepAlive ?? this.options.keepaliveSeconds,
      topicAliasMaximum: props.topicAliasMaximum ?? 0,
      maximumPacketSize: props.maximumPacketSize,
      receiveMaximum: props.receiveMaximum,
    };
    this.metrics.counter(MetricName.connectionSuccess);
    this.events.emit("connected", connected);

    for (const filter of this.subscriptions.keys()) {
      if (!conn.alive) break;
      try {
        await this.subscribeOn(conn, filter);
      } catch (err) {
        // A refused filter was reported (securityEvent); a timeout means the link is bad.
        if (!(err instanceof V2cClientError) || err instanceof NetworkTimeoutError)
          this.dropConnection(conn);
      }
    }
    if (conn.alive) await this.flush(conn);

    const event = await conn.closed;
    this.live = false;
    if (this.conn === conn) this.conn = undefined;
    this.metrics.counter(MetricName.disconnect, { reason: reasonLabel(event.reasonCode) });
    this.events.emit("disconnected", event);
  }

  /** Marks a connection dead; its unacknowledged publishes stay in the queue for the next one. */
  private onConnectionLost(conn: Connection, event: DisconnectedEvent): void {
    if (!conn.alive) return;
    conn.alive = false;
    this.live = false;
    if (event.reasonCode === ReasonCode.PacketTooLarge) this.blameOversize(conn);
    // Direct publishes in flight are in the queue already (write-ahead): nothing to move.
    conn.lost.abort();
  }

  /**
   * DISCONNECT 0x95: the broker refused a PUBLISH as too large (MQTT 5 has no PUBACK 0x95;
   * MQTT.js's parser rejects one). The largest unacknowledged packet on the connection is the
   * culprit: it fails with PacketTooLargeError (the batch path splits it) instead of being
   * queued and resent forever, and the limit drops below its size for the rest of the session.
   */
  private blameOversize(conn: Connection): void {
    let culprit: AckSlot | undefined;
    let max = -1;
    for (const [slot, size] of conn.sent) {
      if (size > max) {
        max = size;
        culprit = slot;
      }
    }
    if (!culprit) return;
    this.learnedMaxPacket = Math.min(this.learnedMaxPacket ?? Number.POSITIVE_INFINITY, max - 1);
    if (culprit.token) culprit.token.queued = true; // never queue a packet the broker refused
    culprit.outcome = { kind: "refused", reasonCode: ReasonCode.PacketTooLarge };
    culprit.notify?.();
  }

  private currentLimit(limit: number): number {
    return this.learnedMaxPacket !== undefined ? Math.min(limit, this.learnedMaxPacket) : limit;
  }

  private dropConnection(conn: Connection): void {
    void endClient(conn.client, true, this.options.timeouts.endMs);
  }

  // ---- queue flush ------------------------------------------------------------------------

  /** Sends the queue in order (a window at a time), acking each entry after its PUBACK. */
  private async flush(conn: Connection): Promise<void> {
    const window = Math.max(
      1,
      Math.min(this.options.flushWindow ?? DEFAULT_FLUSH_WINDOW, conn.receiveMaximum),
    );
    let sent = 0;
    while (conn.alive) {
      const entries = this.queue.peek(window);
      if (entries.length === 0) {
        // Same synchronous turn as the emptiness check: no publish can slip into the queue
        // between "empty" and "live", so queued messages always go before new traffic.
        this.live = true;
        for (const w of this.readyWaiters) w.resolve();
        this.readyWaiters.clear();
        if (sent > 0) this.events.emit("queueFlushed", { sent });
        return;
      }
      const results = await Promise.all(entries.map((e) => this.deliverQueued(conn, e)));
      const done: number[] = [];
      let stalled = false;
      results.forEach((r, i) => {
        const entry = entries[i] as QueueEntry;
        if (r === "acked" || r === "rejected") done.push(entry.seq);
        if (r === "timeout") stalled = true;
      });
      this.queue.ack(done);
      sent += done.length;
      if (stalled) {
        this.dropConnection(conn);
        return;
      }
    }
  }

  private async deliverQueued(
    conn: Connection,
    entry: QueueEntry,
  ): Promise<"acked" | "rejected" | "timeout" | "lost"> {
    const remainingS = remainingExpiryS(entry, this.queue.now());
    if (remainingS !== undefined && remainingS <= 0) {
      // MQTT 5 message expiry: a message whose lifetime passed in the queue is not sent.
      this.metrics.counter(MetricName.publishDropped, { reason: "expired" });
      return "rejected";
    }
    const msg: Outgoing = {
      messageId: entry.messageId,
      topic: entry.topic,
      payload: entry.payload,
      alias: entry.alias,
      qos: entry.qos,
      retain: entry.retain ?? false,
      messageExpiryS: remainingS,
    };
    try {
      await this.deliver(conn, msg);
      this.metrics.counter(MetricName.publishAcked);
      return "acked";
    } catch (err) {
      if (err instanceof ConnectionLost) return "lost";
      if (err instanceof PubackTimeoutError) return "timeout";
      if (err instanceof V2cClientError) {
        // Nobody awaits a queued message: report it and take it out of the queue, since
        // resending a refused message would fail the same way forever.
        this.events.emit("messageRejected", {
          messageId: entry.messageId,
          topic: entry.topic,
          payload: entry.payload,
          error: err,
        });
        return "rejected";
      }
      throw err;
    }
  }

  // ---- publish on one connection --------------------------------------------------------------

  /**
   * Sends once, then resends with DUP (same packet id) on the retry schedule while no PUBACK
   * arrives. Resolves with the PUBACK reason code; throws typed errors for refusals.
   */
  private async deliver(conn: Connection, msg: Outgoing, token?: InFlight): Promise<number> {
    const policy = this.options.publishRetry;
    const slot: AckSlot = token ? { token } : {};
    try {
      if (msg.qos === 0) {
        // No acknowledgement exists for QoS 0: one write, never a resend.
        const outcome = await this.sendOnce(conn, msg, false, slot);
        if (outcome.kind === "refused") throw this.refusal(msg, outcome.reasonCode);
        return 0;
      }
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0 && !slot.outcome) {
          const delay = retryDelayMs(policy, attempt - 1, this.random);
          if (delay === undefined)
            throw new PubackTimeoutError(msg.messageId, attempt, this.options.timeouts.pubackMs);
          await sleep(delay, conn.lost.signal);
          if (!slot.outcome) {
            if (!conn.alive) throw new ConnectionLost();
            this.metrics.counter(MetricName.publishResent);
          }
        }
        // A late PUBACK (e.g. during the backoff sleep) still counts: no need to resend then.
        const outcome = slot.outcome ?? (await this.sendOnce(conn, msg, attempt > 0, slot));
        if (outcome.kind === "ack") return outcome.reasonCode;
        if (outcome.kind === "refused") throw this.refusal(msg, outcome.reasonCode);
      }
    } finally {
      conn.sent.delete(slot);
    }
  }

  private refusal(msg: Outgoing, reasonCode: number): V2cClientError {
    this.metrics.counter(MetricName.publishRejected, { reasonCode: reasonLabel(reasonCode) });
    switch (reasonCode) {
      case ReasonCode.NotAuthorized:
        this.events.emit("securityEvent", {
          kind: "not-authorized",
          operation: "publish",
          topic: msg.topic,
          messageId: msg.messageId,
          reasonCode,
        });
        return new NotAuthorizedError(msg.topic, "publish");
      case ReasonCode.PacketTooLarge:
        return new PacketTooLargeError(0, 0, "broker", msg.topic);
      case ReasonCode.QuotaExceeded:
        return new QuotaExceededError("puback");
      default:
        return new PublishRejectedError(msg.topic, reasonCode);
    }
  }

  /**
   * One PUBLISH (or its DUP resend) and a bounded wait for the PUBACK. MQTT.js's publish
   * callback can stay pending forever, hence the own timer. The PUBACK lands in `slot`,
   * shared by all attempts of one message, because the resend reuses the packet identifier
   * and so its PUBACK arrives through the first attempt's MQTT.js callback.
   */
  private sendOnce(
    conn: Connection,
    msg: Outgoing,
    dup: boolean,
    slot: AckSlot,
  ): Promise<SendOutcome> {
    if (!conn.alive) return Promise.reject(new ConnectionLost());
    const client = conn.client;
    return new Promise<SendOutcome>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        conn.lost.signal.removeEventListener("abort", onLost);
        slot.notify = undefined;
        fn();
      };
      // The slot may have been settled by the loss itself (DISCONNECT 0x95 culprit).
      const onLost = (): void =>
        finish(() => (slot.outcome ? resolve(slot.outcome) : reject(new ConnectionLost())));
      const timer = setTimeout(
        () => finish(() => resolve({ kind: "timeout" })),
        this.options.timeouts.pubackMs,
      );
      conn.lost.signal.addEventListener("abort", onLost, { once: true });
      slot.notify = () => {
        const outcome = slot.outcome;
        finish(() => (outcome ? resolve(outcome) : reject(new ConnectionLost())));
      };

      if (dup && slot.packet) {
        // Same packet identifier with DUP set. MQTT.js never sets DUP on a resend, so the
        // packet is written directly with its encoder; MQTT.js still holds the pending id.
        mqttPacket.writeToStream({ ...slot.packet, dup: true }, client.stream, {
          protocolVersion: 5,
        });
        this.emitWritten(msg, slot.packet, true);
        return;
      }

      const wire = this.aliases.plan(msg.topic, msg.alias);
      const size = publishPacketSize(wire, msg.payload);
      const limit = this.currentLimit(conn.limit);
      if (size > limit) {
        finish(() => reject(new PacketTooLargeError(size, limit, "client", msg.topic)));
        return;
      }
      let captured: IPublishPacket | undefined;
      const capture = (p: { cmd: string }): void => {
        if (p.cmd === "publish" && captured === undefined) {
          const pub = p as IPublishPacket;
          captured = { ...pub, properties: pub.properties ? { ...pub.properties } : undefined };
        }
      };
      client.on("packetsend", capture);
      client.publish(
        wire.topic,
        Buffer.from(msg.payload.buffer, msg.payload.byteOffset, msg.payload.byteLength),
        // DUP here only if the first send was never captured (it then gets a new packet id).
        {
          qos: msg.qos,
          retain: msg.retain,
          dup,
          ...publishProperties(wire.alias, msg.messageExpiryS),
        },
        (err, packet) => {
          const code = (err as { code?: unknown } | undefined)?.code;
          // The callback's packet is the stored PUBLISH; the PUBACK/PUBREC reason was recorded
          // by packet identifier when it arrived (0x10 "no matching subscribers" included).
          const id = (packet as { messageId?: number } | undefined)?.messageId;
          const reasonCode = id !== undefined ? conn.ackReasons.get(id) : undefined;
          if (id !== undefined) conn.ackReasons.delete(id);
          if (!err) slot.outcome = { kind: "ack", reasonCode: reasonCode ?? 0 };
          else if (typeof code === "number") slot.outcome = { kind: "refused", reasonCode: code };
          slot.notify?.();
        },
      );
      client.off("packetsend", capture);
      if (captured) {
        slot.packet = captured;
        conn.sent.set(slot, size);
        // Only a packet that was actually written binds the alias on this connection.
        this.aliases.commit(msg.topic, wire);
        this.emitWritten(msg, captured, dup);
      }
    });
  }

  /** Tells listeners (tracing, tests) the moment a PUBLISH left for the socket. */
  private emitWritten(msg: Outgoing, packet: IPublishPacket, dup: boolean): void {
    this.events.emit("publishWritten", {
      messageId: msg.messageId,
      topic: msg.topic,
      packetId: packet.messageId,
      dup,
    });
  }

  private enqueue(
    msg: Outgoing,
    reason: "offline" | "connection-lost" | "puback-timeout",
  ): PublishResult {
    this.queue.enqueue(toQueueInput(msg));
    this.metrics.counter(MetricName.publishQueued, { reason });
    return { status: "queued", reason };
  }

  // ---- subscriptions ----------------------------------------------------------------------

  private subscribeOn(conn: Connection, filter: string): Promise<void> {
    const timeoutMs = this.options.timeouts.subscribeMs;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new NetworkTimeoutError(`subscribe ${filter}`, timeoutMs));
      }, timeoutMs);
      const qos = this.subscriptionQos.get(filter) ?? 1;
      conn.client.subscribe(filter, { qos }, (err, granted) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) return reject(err);
        const rc: number = granted?.[0]?.qos ?? 0;
        if (rc === ReasonCode.NotAuthorized) {
          this.events.emit("securityEvent", {
            kind: "not-authorized",
            operation: "subscribe",
            topic: filter,
            messageId: undefined,
            reasonCode: rc,
          });
          return reject(new NotAuthorizedError(filter, "subscribe"));
        }
        if (rc >= 0x80) return reject(new PublishRejectedError(filter, rc));
        resolve();
      });
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    for (const [filter, handler] of this.subscriptions) {
      if (!topicMatches(filter, topic)) continue;
      try {
        handler({ topic, payload, packet });
      } catch {
        // A failing command handler must not take the connection down.
        this.metrics.counter("mqtt.command.handler_error");
      }
    }
  }
}

function toQueueInput(msg: Outgoing) {
  return {
    messageId: msg.messageId,
    topic: msg.topic,
    payload: msg.payload,
    qos: msg.qos,
    alias: msg.alias,
    retain: msg.retain,
    messageExpiryS: msg.messageExpiryS,
  };
}

/** PUBLISH properties: the topic alias and the MQTT 5 message expiry interval, when set. */
function publishProperties(alias: number | undefined, expiryS: number | undefined) {
  if (alias === undefined && expiryS === undefined) return {};
  return {
    properties: {
      ...(alias !== undefined ? { topicAlias: alias } : {}),
      ...(expiryS !== undefined ? { messageExpiryInterval: expiryS } : {}),
    },
  };
}

/** Seconds of message expiry left for a queued entry (undefined: it never expires). */
function remainingExpiryS(entry: QueueEntry, now: number): number | undefined {
  if (entry.messageExpiryS === undefined) return undefined;
  return entry.messageExpiryS - Math.floor((now - entry.enqueuedAt) / 1000);
}

/** Ends an MQTT.js client, bounded: a graceful end that hangs is forced after `timeoutMs`. */
function endClient(client: MqttClient, force: boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      client.end(true, finish);
      // end(true) on an already-destroyed stream may not call back.
      setTimeout(finish, 10);
    }, timeoutMs);
    try {
      client.end(force, finish);
    } catch {
      finish();
    }
  });
}

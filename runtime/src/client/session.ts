import {
  connect,
  type IClientOptions,
  type IConnackPacket,
  type IPublishPacket,
  type MqttClient,
} from "mqtt";
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
import { EndpointRing, type FailoverOptions } from "./failover.js";
import {
  MetricName,
  namedMetrics,
  noopMetrics,
  reasonLabel,
  type ClientMetrics,
} from "./metrics.js";
import { Delivery, Outbox, type DeliveryOutcome, type OutgoingMessage } from "./outbox.js";
import { PacketIds } from "./packet-ids.js";
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
  /** Name of `url` in events (the spec's server id); default `primary`. */
  readonly endpointName?: string;
  /** Endpoints to fail over to when `url` keeps failing (see `EndpointRing`). */
  readonly failover?: FailoverOptions;
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

type Outgoing = OutgoingMessage;
type QueuedReason = "offline" | "connection-lost" | "puback-timeout";

/** One live MQTT.js client; a new one per connection so no library state leaks across. */
interface Connection {
  readonly client: MqttClient;
  readonly connack: IConnackPacket;
  readonly limit: number;
  readonly receiveMaximum: number;
  readonly closed: Promise<DisconnectedEvent>;
  /** This connection's PUBLISH writer: packet ids, acknowledgements, deadlines, DUP resends. */
  readonly outbox: Outbox;
  alive: boolean;
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
  private readonly closing = new AbortController();
  private readonly endpoints: EndpointRing;
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
    this.endpoints = new EndpointRing(
      {
        name: options.endpointName ?? "primary",
        url: options.url,
        ...(options.tls?.servername ? { servername: options.tls.servername } : {}),
      },
      options.failover,
    );
    // Publishes that cannot go on the wire at once are answered "queued": they go into the
    // queue, fsynced; the others into the in-flight journal (process-crash-safe), then the wire.
    this.writeAhead = new WriteAheadBatcher(
      options.queue,
      () => this.closed || !this.live || !this.conn?.alive,
    );
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

  /** Name of the endpoint the session is connected to, or connects to next. */
  get endpoint(): string {
    return this.endpoints.current.name;
  }

  /**
   * Moves the session to the endpoint `name` (a fail-back after a regional outage): the next
   * attempt goes there, and a live connection elsewhere is closed so that it reconnects there.
   * Throws RangeError for a name that is not one of the session's endpoints.
   */
  useEndpoint(name: string): void {
    const moved = this.endpoints.select(name);
    if (!moved) return;
    this.events.emit("failover", moved);
    if (this.conn?.alive) this.dropConnection(this.conn);
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
  publish(topic: string, payload: Uint8Array, opts: PublishOptions): Promise<PublishResult> {
    if (this.closed) return Promise.reject(new SessionClosedError());
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
      return Promise.reject(new PacketTooLargeError(size, limit, "client", topic));
    }
    const conn = this.conn;
    const live = this.live && conn !== undefined && conn.alive;
    if (!keep) {
      if (!live) {
        this.metrics.counter(MetricName.publishDropped, { reason: "offline" });
        return Promise.resolve({ status: "dropped", reason: "offline" });
      }
      return this.sendUnqueued(conn, msg);
    }
    // Write-ahead: the message is in the queue file before it is on the wire, and leaves the
    // queue only when the broker has acknowledged it (or refused it for good). A crash at any
    // point after the commit leaves it in the queue for the next process to send. Publishes
    // of one turn share one commit (WriteAheadBatcher); "send now or leave it to the flush" is
    // decided in the commit's own turn, from the connection state at that moment.
    return new Promise<PublishResult>((resolve, reject) => {
      this.writeAhead.enqueue(
        msg, // an Outgoing is a QueueEntryInput (no copy)
        (ref) => {
          const current = this.conn;
          if (this.closed || !this.live || current === undefined || !current.alive) {
            // In the queue, fsynced (the batcher's durability predicate saw the same state).
            this.metrics.counter(MetricName.publishQueued, { reason: "offline" });
            resolve({ status: "queued", reason: "offline" });
            return;
          }
          this.sendKept(current, msg, ref, resolve, reject);
        },
        reject,
      );
    });
  }

  /** Sends an in-flight journal entry; its PUBACK (or refusal) takes it out of the journal. */
  private sendKept(
    conn: Connection,
    msg: Outgoing,
    id: number,
    resolve: (r: PublishResult) => void,
    reject: (e: unknown) => void,
  ): void {
    conn.outbox.send(
      new Delivery(msg, (outcome, code) => {
        switch (outcome) {
          case "ack":
            this.writeAhead.ack(id);
            this.metrics.counter(MetricName.publishAcked);
            return resolve(
              msg.qos === 0 ? { status: "sent" } : { status: "acked", reasonCode: code },
            );
          case "lost":
            // Into the queue: the next connection's flush sends it.
            return this.answerQueued(id, "connection-lost", resolve);
          case "timeout":
            // No PUBACK across every resend: the link is half-open; start over on a new one.
            this.dropConnection(conn);
            return this.answerQueued(id, "puback-timeout", resolve);
          default:
            // Refused by the broker (or too large): resending would fail the same way.
            this.writeAhead.ack(id);
            return reject(this.failure(conn, msg, outcome, code));
        }
      }),
    );
  }

  /** Moves an in-flight message into the queue (one fsync per turn), then answers "queued". */
  private answerQueued(
    id: number,
    reason: QueuedReason,
    resolve: (r: PublishResult) => void,
  ): void {
    this.metrics.counter(MetricName.publishQueued, { reason });
    this.writeAhead.requeue(id, () => resolve({ status: "queued", reason }));
  }

  /** A publish that is not kept offline: written once on the live connection, never queued. */
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
    // "queued" answers of publishes the close interrupted: made durable before returning.
    this.writeAhead.commit();
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
        // 0x97: the broker is up but its rate window must pass; backing off faster would only
        // be refused again. Any other failure counts towards moving to the next endpoint, which
        // is tried at once on its own fresh schedule.
        const moved = failure.action === "quota-wait" ? undefined : this.endpoints.failed();
        delay = moved
          ? 0
          : failure.action === "quota-wait"
            ? this.options.quotaWindowMs
            : (retryDelayMs(this.options.reconnect, failures - 1, this.random, true) ?? 0);
        this.events.emit("connectFailed", {
          reasonCode: failure.reasonCode,
          error,
          attempt: failures,
          nextDelayMs: delay,
        });
        if (moved) {
          failures = 0;
          this.events.emit("failover", moved);
        }
        continue;
      }
      if (this.closed) {
        await endClient(conn.client, true, this.options.timeouts.endMs);
        break;
      }
      this.endpoints.connected();
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
    const endpoint = this.endpoints.current;
    // The configured servername belongs to `url`; another endpoint's SNI is its own URL's host.
    const servername = endpoint.servername;
    const ids = new PacketIds();
    const clientOptions: IClientOptions = {
      messageIdProvider: ids,
      // MQTT.js would re-arm its keep-alive timer on every PUBACK (a clear + set per message);
      // without it a PINGREQ goes out every keep-alive period even while publishing: the same bound.
      reschedulePings: false,
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
            ...(servername ? { servername } : {}),
            rejectUnauthorized: true,
          }
        : {}),
    };
    return new Promise<Connection>((resolve, reject) => {
      const client = connect(endpoint.url, clientOptions);
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
        resolve(this.makeConnection(client, connack, ids));
      };
      client.once("connect", onConnect);
    });
  }

  private makeConnection(client: MqttClient, connack: IConnackPacket, ids: PacketIds): Connection {
    const props = connack.properties ?? {};
    let disconnectReason: number | undefined;
    let lastError: Error | undefined;
    let resolveClosed!: (e: DisconnectedEvent) => void;
    const limit = effectivePacketLimit(this.options.maxPacketBytes, props.maximumPacketSize);
    const outbox = new Outbox({
      client,
      ids,
      aliases: this.aliases,
      pubackMs: this.options.timeouts.pubackMs,
      retry: this.options.publishRetry,
      random: this.random,
      limit: () => this.currentLimit(limit),
      written: (msg, packetId, dup) => {
        if (this.events.hasListeners("publishWritten"))
          this.events.emit("publishWritten", {
            messageId: msg.messageId,
            topic: msg.topic,
            packetId,
            dup,
          });
      },
      resent: () => this.metrics.counter(MetricName.publishResent),
    });
    const conn: Connection = {
      client,
      connack,
      limit,
      receiveMaximum: props.receiveMaximum ?? 65_535,
      closed: new Promise((r) => (resolveClosed = r)),
      outbox,
      alive: true,
    };
    // One listener for every acknowledgement of the connection, matched by packet identifier.
    client.on("packetreceive", (packet) => outbox.onPacket(packet));
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
    // Publishes in flight are in the queue already (write-ahead): nothing to move. After a
    // DISCONNECT 0x95 the largest unacknowledged packet is refused (see Outbox.abort) and the
    // limit drops below its size for the rest of the session.
    const blamed = conn.outbox.abort(event.reasonCode);
    if (blamed !== undefined)
      this.learnedMaxPacket = Math.min(
        this.learnedMaxPacket ?? Number.POSITIVE_INFINITY,
        blamed - 1,
      );
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
   * Sends on `conn` (DUP resends with the same packet id on the retry schedule while no PUBACK
   * arrives, see `Outbox`). Resolves with the PUBACK reason code; rejects with typed errors
   * for refusals, `PubackTimeoutError` after the last resend, `ConnectionLost`.
   */
  private deliver(conn: Connection, msg: Outgoing): Promise<number> {
    return new Promise<number>((resolve, reject) =>
      conn.outbox.send(
        new Delivery(msg, (outcome, code) => {
          if (outcome === "ack") resolve(code);
          else if (outcome === "lost") reject(new ConnectionLost());
          else if (outcome === "timeout")
            reject(new PubackTimeoutError(msg.messageId, code, this.options.timeouts.pubackMs));
          else reject(this.failure(conn, msg, outcome, code));
        }),
      ),
    );
  }

  /** The error for a refused or oversized delivery (`code`: reason code, or packet size). */
  private failure(
    conn: Connection,
    msg: Outgoing,
    outcome: DeliveryOutcome,
    code: number,
  ): V2cClientError {
    if (outcome === "too-large")
      return new PacketTooLargeError(code, this.currentLimit(conn.limit), "client", msg.topic);
    return this.refusal(msg, code);
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

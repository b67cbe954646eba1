import type { ConnectionOptions } from "node:tls";
import type { InvocationContext, RuleEvent } from "../handlers/event.js";
import { EngineConnection, type Delivery } from "./engine-connection.js";

/** One IoT rule: a topic filter and the handler its Lambda action invokes. */
export interface LocalRule {
  readonly name: string;
  /** MQTT filter of the rule's `FROM` clause (the channel's filter). */
  readonly filter: string;
  readonly handler: (event: RuleEvent, context: InvocationContext) => Promise<unknown>;
  /** The function's timeout; the handler sees it through `getRemainingTimeInMillis()`. */
  readonly timeoutMs: number;
}

/**
 * How a micro-batch is made atomic: `batch` runs a whole batch in one transaction (commit when
 * it resolves), `message` one invocation attempt inside it (a savepoint: a failed attempt
 * leaves no partial writes). The local pipeline passes SQLite's; none = no transaction.
 */
export interface EngineTransactions {
  batch<T>(work: () => Promise<T>): Promise<T>;
  message<T>(work: () => Promise<T>): Promise<T>;
}

/** Options of the local rules engine. */
export interface LocalRulesEngineOptions {
  readonly url: string;
  readonly rules: readonly LocalRule[];
  readonly clientId?: string;
  readonly tls?: Pick<
    ConnectionOptions,
    "ca" | "cert" | "key" | "servername" | "rejectUnauthorized"
  >;
  /**
   * Retries of a failed invocation, like Lambda's asynchronous invocation (2 by default, at
   * 1 and 2 minutes in AWS; pass shorter delays locally).
   */
  readonly retryDelaysMs?: readonly number[];
  /** Called when an invocation still fails after the retries (the rule's error action). */
  readonly onError?: (rule: LocalRule, event: RuleEvent, error: unknown) => Promise<void>;
  /** IoT Core's `clientid()`: Mosquitto does not tell subscribers who published, so derive it. */
  readonly clientIdOf?: (topic: string) => string;
  readonly connectTimeoutMs?: number;
  readonly reconnectPeriodMs?: number;
  /** Messages per transaction at most (1 = acknowledge each message after its handler). */
  readonly maxBatch?: number;
  /** MQTT 5 Receive Maximum: unacknowledged messages the broker may send (≥ 2 × maxBatch). */
  readonly receiveMaximum?: number;
  readonly transactions?: EngineTransactions;
  /** After each committed batch (the PUBACKs are on their way). */
  readonly onCommitted?: (messages: number, committedAt: number) => void;
  readonly onConnection?: (state: "up" | "down", info: { sessionPresent?: boolean }) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Messages per transaction at most, by default. A backlog drains in batches this large: a
 * commit's cost is mostly the pages it dirties (random-id B-trees: about one per message until
 * the batch outgrows the tree's pages), so bigger batches catch up faster (measured: commit
 * ~15 -> ~7 µs a message from 500 to 2000). At a steady rate batches stay small (what arrived
 * during the previous one).
 */
export const DEFAULT_MAX_BATCH = 2000;

/** Counters of what the engine did. */
export interface RulesEngineStats {
  received: number;
  invoked: number;
  retried: number;
  failed: number;
  batches: number;
  /** Batches whose transaction failed (not acknowledged: the broker redelivers them). */
  uncommitted: number;
  connects: number;
}

/**
 * A one-machine stand-in for the AWS IoT rules engine: subscribes to each rule's filter with
 * QoS 1, turns each message into the event the rule SQL would produce (base64 payload, topic,
 * client id, receive timestamp) and invokes the handler, retrying like an asynchronous Lambda
 * invocation. Messages are processed in micro-batches: every message that arrived while the
 * previous batch ran forms the next one, inside one transaction, and the PUBACKs are sent only
 * after its commit — a crash before it makes the broker redeliver: at-least-once, as in AWS.
 */
export class LocalRulesEngine {
  readonly stats: RulesEngineStats = {
    received: 0,
    invoked: 0,
    retried: 0,
    failed: 0,
    batches: 0,
    uncommitted: 0,
    connects: 0,
  };
  private connection: EngineConnection | undefined;
  private queue: Delivery[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];
  private killed = false;
  private readonly watchdog = new InvocationWatchdog();
  private readonly routes = new Map<string, { rules: readonly LocalRule[]; clientId: string }>();

  constructor(private readonly options: LocalRulesEngineOptions) {}

  /** Connects and subscribes; rejects after the connect timeout. */
  async start(): Promise<void> {
    const o = this.options;
    const filters = [...new Set(o.rules.map((r) => r.filter))];
    this.connection = new EngineConnection({
      url: o.url,
      clientId: o.clientId ?? "v2c-local-rules-engine",
      filters,
      ...(o.tls ? { tls: o.tls } : {}),
      // Measured with Mosquitto 2.0.11: after a crash and restart, what vehicles publish before
      // the engine is back reaches it only up to its Receive Maximum (the rest stalls): the
      // MQTT maximum keeps that window as wide as it can be (README, "broker restart").
      receiveMaximum: o.receiveMaximum ?? 65535,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      reconnectPeriodMs: o.reconnectPeriodMs ?? 200,
      onDelivery: (d) => this.enqueue(d),
      onState: (state, info) => {
        if (state === "up") this.stats.connects++;
        o.onConnection?.(state, info);
      },
    });
    await this.connection.start();
  }

  /** Whether the engine is connected and subscribed. */
  get connected(): boolean {
    return this.connection?.connected ?? false;
  }

  /**
   * A crash of the engine, as close as one process can play it: the connection dies without
   * DISCONNECT, the batch in progress is rolled back instead of committed, and what was
   * received but not processed is forgotten — the broker redelivers all of it.
   */
  kill(): void {
    this.killed = true;
    this.queue = [];
    this.connection?.kill();
  }

  /** Starts again after `kill()` (the persistent session redelivers what was not acknowledged). */
  async restart(timeoutMs = 5000): Promise<void> {
    await this.idle();
    this.killed = false;
    await this.connection?.start();
    await this.connection?.whenUp(timeoutMs);
  }

  /** Drops the connection and reconnects at once (the supervisor calls it after a broker restart). */
  reconnectNow(): void {
    this.connection?.reconnectNow();
  }

  /** Resolves once connected (rejects after `timeoutMs`). */
  whenConnected(timeoutMs: number): Promise<void> {
    return this.connection
      ? this.connection.whenUp(timeoutMs)
      : Promise.reject(new Error("not started"));
  }

  /** Messages received but not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when no message is waiting or being processed (tests, benchmarks, shutdown). */
  idle(): Promise<void> {
    if (!this.draining && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Finishes the batch in progress, then disconnects (the session stays for the next start). */
  async stop(): Promise<void> {
    await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 5000))]);
    const c = this.connection;
    this.connection = undefined;
    await c?.stop();
  }

  private enqueue(d: Delivery): void {
    this.stats.received++;
    this.queue.push(d);
    if (!this.draining) {
      this.draining = true;
      setImmediate(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    const max = this.options.maxBatch ?? DEFAULT_MAX_BATCH;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, max);
      const tx = this.options.transactions;
      const run = async () => {
        await this.runBatch(batch);
        if (this.killed) throw new Error("rules engine killed before its commit");
      };
      try {
        await (tx ? tx.batch(run) : run());
      } catch {
        // The commit failed: nothing of this batch is stored or acknowledged. Reconnecting
        // makes the broker redeliver it (at-least-once; dedup absorbs what was stored).
        this.stats.uncommitted++;
        if (!this.killed) this.connection?.reconnectNow();
        continue;
      }
      this.stats.batches++;
      this.options.onCommitted?.(batch.length, (this.options.now ?? Date.now)());
      this.connection?.ackAll(batch);
      // Let the event loop turn between batches: the PUBACKs go out now (not after the whole
      // backlog), the socket is read, timers and keep-alives run. A batch's work is mostly
      // synchronous (SQLite), so without this a backlog drained as one long macrotask.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.draining = false;
    this.idleWaiters.splice(0).forEach((w) => w());
  }

  private async runBatch(batch: readonly Delivery[]): Promise<void> {
    const now = this.options.now ?? Date.now;
    for (const d of batch) {
      const route = this.route(d.topic);
      const event: RuleEvent = {
        payload: d.payload.toString("base64"),
        topic: d.topic,
        clientId: route.clientId,
        receivedAt: now(),
      };
      for (const rule of route.rules) await this.invoke(rule, event);
    }
  }

  // The rules whose filter matches a topic and the publisher's client id, remembered per topic
  // (a fleet publishes on a bounded set of topics; the memo is emptied past 10,000 of them).
  private route(topic: string): { rules: readonly LocalRule[]; clientId: string } {
    let route = this.routes.get(topic);
    if (route === undefined) {
      route = {
        rules: this.options.rules.filter((rule) => topicMatches(rule.filter, topic)),
        clientId: this.options.clientIdOf?.(topic) ?? "",
      };
      if (this.routes.size >= 10_000) this.routes.clear();
      this.routes.set(topic, route);
    }
    return route;
  }

  private async invoke(rule: LocalRule, event: RuleEvent): Promise<void> {
    const delays = this.options.retryDelaysMs ?? [];
    const sleep =
      this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const now = this.options.now ?? Date.now;
    const tx = this.options.transactions;
    for (let attempt = 0; ; attempt++) {
      const started = now();
      // A method and inline arrows, not named closures: run through tsx (`npm run local`),
      // esbuild's keepNames wraps each named closure in a __name() call (~1 µs a message).
      const context: InvocationContext = {
        getRemainingTimeInMillis() {
          return rule.timeoutMs - (now() - started);
        },
      };
      try {
        this.stats.invoked++;
        await (tx
          ? tx.message(() => this.watchdog.guard(rule.handler(event, context), rule))
          : this.watchdog.guard(rule.handler(event, context), rule));
        return;
      } catch (error) {
        if (attempt >= delays.length) {
          this.stats.failed++;
          await this.options.onError?.(rule, event, error);
          return;
        }
        this.stats.retried++;
        await sleep(delays[attempt]!);
      }
    }
  }
}

/** MQTT topic filter matching (`+` one level, `#` the rest). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * The functions' timeout. The engine runs one invocation at a time, so one timer serves all:
 * it is armed when none is pending and, when it fires, fails the invocation in progress if
 * that one is past its time, else re-arms for what it has left — no timer set and cleared per
 * message (measured ~5 µs a message with a timer and a race each).
 */
class InvocationWatchdog {
  private current: { until: number; rule: LocalRule; reject: (e: Error) => void } | undefined;
  private timer: NodeJS.Timeout | undefined;

  /** Settles like `work`, or rejects with Lambda's message once `rule.timeoutMs` passed. */
  guard<T>(work: Promise<T>, rule: LocalRule): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry = { until: Date.now() + rule.timeoutMs, rule, reject };
      this.current = entry;
      if (this.timer === undefined) this.arm(rule.timeoutMs);
      work.then(
        (value) => {
          if (this.current === entry) this.current = undefined;
          resolve(value);
        },
        (error: unknown) => {
          if (this.current === entry) this.current = undefined;
          reject(error as Error);
        },
      );
    });
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const c = this.current;
      if (!c) return;
      const left = c.until - Date.now();
      if (left > 0) {
        this.arm(left);
        return;
      }
      this.current = undefined;
      c.reject(new Error(`${c.rule.name}: Task timed out after ${c.rule.timeoutMs} ms`));
    }, ms);
    this.timer.unref();
  }
}

import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { InvocationContext, RuleEvent } from "../handlers/event.js";

/** One IoT rule: a topic filter and the handler its Lambda action invokes. */
export interface LocalRule {
  readonly name: string;
  /** MQTT filter of the rule's `FROM` clause (the channel's filter). */
  readonly filter: string;
  readonly handler: (event: RuleEvent, context: InvocationContext) => Promise<unknown>;
  /** The function's timeout; the handler sees it through `getRemainingTimeInMillis()`. */
  readonly timeoutMs: number;
}

/** Options of the local rules engine. */
export interface LocalRulesEngineOptions {
  readonly url: string;
  readonly rules: readonly LocalRule[];
  readonly clientId?: string;
  readonly tls?: Pick<IClientOptions, "ca" | "cert" | "key" | "servername" | "rejectUnauthorized">;
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
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Counters of what the engine did. */
export interface RulesEngineStats {
  received: number;
  invoked: number;
  retried: number;
  failed: number;
}

/**
 * A one-machine stand-in for the AWS IoT rules engine: subscribes to each rule's filter with
 * QoS 1, turns each message into the event the rule SQL would produce (base64 payload,
 * topic, client id, receive timestamp) and invokes the handler, retrying like an asynchronous
 * Lambda invocation. The PUBACK is sent only after the handler (or the error action) finished,
 * so a crash mid-invocation makes the broker redeliver: at-least-once, as in AWS.
 */
export class LocalRulesEngine {
  readonly stats: RulesEngineStats = { received: 0, invoked: 0, retried: 0, failed: 0 };
  private client: MqttClient | undefined;
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: LocalRulesEngineOptions) {}

  /** Connects and subscribes; rejects after the connect timeout. */
  async start(): Promise<void> {
    const o = this.options;
    const client = mqtt.connect(o.url, {
      protocolVersion: 5,
      clientId: o.clientId ?? "v2c-local-rules-engine",
      clean: false,
      properties: { sessionExpiryInterval: 3600 },
      reconnectPeriod: 1000,
      connectTimeout: o.connectTimeoutMs ?? 5000,
      ...(o.tls ?? {}),
    });
    this.client = client;
    // MQTT.js calls handleMessage before it sends the PUBACK of a QoS 1 message.
    client.handleMessage = (packet, done) => {
      if (packet.cmd !== "publish") return done();
      this.dispatch(packet.topic, Buffer.from(packet.payload as Buffer)).then(
        () => done(),
        (e: unknown) => done(e as Error),
      );
    };
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        client.once("connect", () => resolve());
        client.once("error", reject);
      }),
      o.connectTimeoutMs ?? 5000,
      `rules engine: no CONNACK from ${o.url}`,
    );
    const filters = [...new Set(o.rules.map((r) => r.filter))];
    await withTimeout(
      client.subscribeAsync(filters, { qos: 1 }).then(() => undefined),
      o.connectTimeoutMs ?? 5000,
      "rules engine: no SUBACK",
    );
  }

  /** Resolves when no invocation is running (for tests and benchmarks). */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Disconnects (bounded wait). */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    await withTimeout(client.endAsync(), 5000, "rules engine: end timed out").catch(() =>
      client.end(true),
    );
  }

  private async dispatch(topic: string, payload: Buffer): Promise<void> {
    this.stats.received++;
    const rules = this.options.rules.filter((r) => topicMatches(r.filter, topic));
    const now = this.options.now ?? Date.now;
    const event: RuleEvent = {
      payload: payload.toString("base64"),
      topic,
      clientId: this.options.clientIdOf?.(topic) ?? "",
      receivedAt: now(),
    };
    this.inflight++;
    try {
      await Promise.all(rules.map((rule) => this.invoke(rule, event)));
    } finally {
      this.inflight--;
      if (this.inflight === 0) this.idleWaiters.splice(0).forEach((w) => w());
    }
  }

  private async invoke(rule: LocalRule, event: RuleEvent): Promise<void> {
    const delays = this.options.retryDelaysMs ?? [];
    const sleep =
      this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const now = this.options.now ?? Date.now;
    for (let attempt = 0; ; attempt++) {
      const started = now();
      const context: InvocationContext = {
        getRemainingTimeInMillis: () => rule.timeoutMs - (now() - started),
      };
      try {
        this.stats.invoked++;
        await withTimeout(
          rule.handler(event, context),
          rule.timeoutMs,
          `${rule.name}: Task timed out after ${rule.timeoutMs} ms`,
        );
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

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

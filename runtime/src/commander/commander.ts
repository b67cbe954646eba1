import { randomUUID } from "node:crypto";
import { MissingCorrelationError, RequestTimeoutError } from "./errors.js";
import type { CommandTransport, TransportPublishOptions } from "./transport.js";

/** What the cloud fills in a message it sends (its envelope roles), and the clock/ids it uses. */
export interface EnvelopeFill {
  newId(): string;
  now(): number;
}

/** The reply side of a request/reply operation (AsyncAPI 3 `reply`). */
export interface ReplyBinding<P, R> {
  /** MQTT filter matching the reply channel for every vehicle (one subscription serves all). */
  readonly filter: string;
  /** The reply topic of one vehicle (sent as the MQTT 5 response topic). */
  topic(params: P): string;
  /** Decodes a reply; throws on bytes that are not one. */
  decode(payload: Uint8Array): R;
  /** The reply's correlation id (its `correlation_id` envelope role). */
  correlationOf(reply: R): string;
}

/**
 * One cloud → vehicle operation (a vehicle `receive`), as generated code describes it from the
 * spec: topic template, codec, envelope roles, delivery from the MQTT binding, and the reply.
 */
export interface CommandOperation<P, M, R = never> {
  readonly id: string;
  topic(params: P): string;
  encode(message: M): Uint8Array;
  /**
   * Fills the envelope roles the sender owns (message id and event time when empty, schema
   * version, vehicle id from the topic parameters), validates (throws `CommandValidationError`)
   * and returns the message with its correlation id (correlation role, else message id).
   */
  prepare(message: M, params: P, fill: EnvelopeFill): { message: M; correlationId?: string };
  readonly delivery: Omit<TransportPublishOptions, "correlationData" | "responseTopic">;
  readonly reply?: ReplyBinding<P, R>;
}

/** What a publish did: the topic and the ids the message carries. */
export interface PublishedCommand<M> {
  readonly topic: string;
  readonly message: M;
  readonly correlationId: string | undefined;
}

export interface CommandPublisherOptions {
  readonly transport: CommandTransport;
  readonly clock?: () => number;
  readonly newId?: () => string;
}

interface Pending {
  resolve(reply: unknown): void;
}

/**
 * Sends typed messages to vehicles over a transport (broker or IoT data plane) and, for
 * request/reply operations, waits for the reply whose correlation id matches the request's.
 */
export class CommandPublisher {
  private readonly transport: CommandTransport;
  private readonly fill: EnvelopeFill;
  private readonly pending = new Map<string, Pending>();
  private readonly subscriptions = new Map<string, Promise<void>>();
  /** Replies that did not decode or matched no waiting request. */
  unmatchedReplies = 0;

  constructor(options: CommandPublisherOptions) {
    this.transport = options.transport;
    const clock = options.clock ?? Date.now;
    const newId = options.newId ?? randomUUID;
    this.fill = { now: clock, newId };
  }

  /** Fills, validates and publishes one message to the vehicle the parameters address. */
  async publish<P, M, R>(
    op: CommandOperation<P, M, R>,
    params: P,
    message: M,
  ): Promise<PublishedCommand<M>> {
    const topic = op.topic(params);
    const prepared = op.prepare(message, params, this.fill);
    await this.transport.publish(topic, op.encode(prepared.message), op.delivery);
    return { topic, message: prepared.message, correlationId: prepared.correlationId };
  }

  /**
   * Publishes a request and resolves with the reply that carries its correlation id; rejects
   * with `RequestTimeoutError` when none arrives within `timeoutMs` (e.g. the vehicle is offline).
   */
  async request<P, M, R>(
    op: CommandOperation<P, M, R> & { readonly reply: ReplyBinding<P, R> },
    params: P,
    message: M,
    options: { readonly timeoutMs: number },
  ): Promise<R> {
    const reply = op.reply;
    await this.listen(reply);
    const topic = op.topic(params);
    const prepared = op.prepare(message, params, this.fill);
    const correlationId = prepared.correlationId;
    if (!correlationId) throw new MissingCorrelationError(op.id);
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(correlationId);
        reject(new RequestTimeoutError(op.id, topic, correlationId, options.timeoutMs));
      }, options.timeoutMs);
      this.pending.set(correlationId, {
        resolve: (r) => {
          clearTimeout(timer);
          this.pending.delete(correlationId);
          resolve(r as R);
        },
      });
      this.transport
        .publish(topic, op.encode(prepared.message), {
          ...op.delivery,
          correlationData: new TextEncoder().encode(correlationId),
          responseTopic: reply.topic(params),
        })
        .catch((err: unknown) => {
          clearTimeout(timer);
          this.pending.delete(correlationId);
          reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
  }

  /** Closes the transport; waiting requests time out on their own bounds. */
  async close(): Promise<void> {
    await this.transport.close();
  }

  private listen<P, R>(reply: ReplyBinding<P, R>): Promise<void> {
    let sub = this.subscriptions.get(reply.filter);
    if (!sub) {
      sub = this.transport.subscribe(reply.filter, ({ payload }) => {
        let decoded: R;
        try {
          decoded = reply.decode(payload);
        } catch {
          this.unmatchedReplies++;
          return;
        }
        const waiting = this.pending.get(reply.correlationOf(decoded));
        if (waiting) waiting.resolve(decoded);
        else this.unmatchedReplies++;
      });
      // A failed subscription is retried by the next request.
      sub.catch(() => this.subscriptions.delete(reply.filter));
      this.subscriptions.set(reply.filter, sub);
    }
    return sub;
  }
}

import type { FailedInvocationQueue } from "../cloud/failed-invocations.js";
import { topicMatches } from "../client/topic-filter.js";
import { eventPayload, readRuleEvent } from "../handlers/event.js";
import type { CommandTransport, TransportMessage, TransportPublishOptions } from "./transport.js";

/**
 * A queue of rule events: what the generated infra's reply rules fill (one IoT rule event per
 * vehicle reply; on AWS an SQS reply queue, read with `SqsFailedInvocationQueue`, whose port
 * fits any SQS queue).
 */
export type ReplyQueue = Pick<FailedInvocationQueue, "name" | "receive" | "delete">;

/** Options of QueueReplyTransport. */
export interface QueueReplyTransportOptions {
  /** Publishes the requests (e.g. `IotDataCommandTransport`: publish only). */
  readonly publisher: Pick<CommandTransport, "publish" | "close">;
  /** The reply queues to read (the infra's `replyQueues`, one per request operation). */
  readonly queues: readonly ReplyQueue[];
  /** Long-poll wait of one receive in ms (default 1000; SQS allows up to 20 s). */
  readonly waitMs?: number;
  /** Pause after a failed receive in ms (default 1000). */
  readonly errorBackoffMs?: number;
  /** Told of a receive failure or an unreadable message (default: ignored). */
  readonly onError?: (error: unknown, queue: string) => void;
}

/**
 * Request/reply on AWS without an MQTT connection: requests go out through a publish-only
 * transport, and replies come from the reply queues the infra's reply rules fill. A poll loop
 * per queue (started by the first `subscribe`, each receive bounded by the queue adapter's
 * timeouts) hands every reply whose topic matches a subscribed filter to its handler, then
 * deletes it; a message that is not a rule event is deleted and reported. Several callers
 * reading one queue compete for its messages (SQS delivers each to one reader): give each
 * caller its own queue, or use one caller.
 */
export class QueueReplyTransport implements CommandTransport {
  private readonly handlers = new Map<string, (message: TransportMessage) => void>();
  private readonly loops: Promise<void>[] = [];
  private closed = false;
  private wake: (() => void) | undefined;

  constructor(private readonly options: QueueReplyTransportOptions) {}

  publish(topic: string, payload: Uint8Array, options: TransportPublishOptions): Promise<void> {
    return this.options.publisher.publish(topic, payload, options);
  }

  async subscribe(filter: string, onMessage: (message: TransportMessage) => void): Promise<void> {
    if (this.closed) throw new Error("QueueReplyTransport is closed");
    this.handlers.set(filter, onMessage);
    if (this.loops.length === 0)
      for (const queue of this.options.queues) this.loops.push(this.poll(queue));
  }

  /** Stops polling (after the receives in flight, each bounded) and closes the publisher. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await Promise.all(this.loops);
    await this.options.publisher.close();
  }

  private async poll(queue: ReplyQueue): Promise<void> {
    const report = this.options.onError ?? (() => undefined);
    while (!this.closed) {
      let batch;
      try {
        batch = await queue.receive({
          max: 10,
          waitMs: this.options.waitMs ?? 1000,
          visibilityMs: 30_000,
        });
      } catch (err) {
        report(err, queue.name);
        await this.pause(this.options.errorBackoffMs ?? 1000);
        continue;
      }
      for (const m of batch) {
        try {
          const event = readRuleEvent(JSON.parse(m.body) as unknown);
          const message = { topic: event.topic, payload: new Uint8Array(eventPayload(event)) };
          for (const [filter, handler] of this.handlers)
            if (topicMatches(filter, event.topic)) handler(message);
        } catch (err) {
          report(err, queue.name);
        }
        await queue.delete(m.handle).catch((err: unknown) => report(err, queue.name));
      }
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

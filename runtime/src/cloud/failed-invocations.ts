/**
 * The port of an on-failure queue: where the platform leaves the event of an asynchronous
 * invocation that failed after its retries (on AWS, a Lambda on-failure destination on SQS, see
 * `sqs-failed-invocations.ts`). The DLQ replay drains it through this port only.
 */

/** One queued failed invocation, invisible to other receivers until deleted or released. */
export interface FailedInvocation {
  /** The queue's id of the message (for logs). */
  readonly id: string;
  /** The message body as queued: a Lambda destination record (JSON) or a bare rule event. */
  readonly body: string;
  /** How many times the message has been received, this receive included. */
  readonly receiveCount: number;
  /** Token for `delete` / `release` of this receive. */
  readonly handle: string;
}

/** Options of one `receive` call. */
export interface ReceiveOptions {
  /** At most this many messages (an SQS receive returns at most 10). */
  readonly max: number;
  /** How long to wait for a first message when the queue is empty (long poll), in ms. */
  readonly waitMs: number;
  /** How long the received messages stay invisible to other receivers, in ms. */
  readonly visibilityMs: number;
}

/** An on-failure queue of one function. */
export interface FailedInvocationQueue {
  /** The function whose failed invocations it holds. */
  readonly name: string;
  /** Receives up to `max` messages; an empty array when none arrived within `waitMs`. */
  receive(options: ReceiveOptions): Promise<FailedInvocation[]>;
  /** Removes a received message for good (after its event was handled or filed). */
  delete(handle: string): Promise<void>;
  /** Makes a received message visible again at once (kept for a later drain). */
  release(handle: string): Promise<void>;
}

interface Slot {
  readonly id: string;
  readonly body: string;
  receiveCount: number;
  invisibleUntil: number;
  handle?: string;
}

/**
 * An on-failure queue inside the process with SQS's semantics (at-least-once, visibility
 * timeout, receive count, delete by the handle of the latest receive): the local pipeline's
 * queue, and what the drain loop is tested on besides SQS itself.
 */
export class InProcessFailedInvocationQueue implements FailedInvocationQueue {
  private readonly slots: Slot[] = [];
  private seq = 0;

  constructor(
    readonly name: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Queues one message body (what the platform does after the last retry). */
  send(body: string): string {
    const id = `${this.name}-${++this.seq}`;
    this.slots.push({ id, body, receiveCount: 0, invisibleUntil: 0 });
    return id;
  }

  /** Messages not deleted, visible or not. */
  get size(): number {
    return this.slots.length;
  }

  async receive(options: ReceiveOptions): Promise<FailedInvocation[]> {
    const out: FailedInvocation[] = [];
    const t = this.now();
    for (const slot of this.slots) {
      if (out.length >= options.max) break;
      if (slot.invisibleUntil > t) continue;
      slot.receiveCount++;
      slot.invisibleUntil = t + options.visibilityMs;
      slot.handle = `${slot.id}#${slot.receiveCount}`;
      out.push({
        id: slot.id,
        body: slot.body,
        receiveCount: slot.receiveCount,
        handle: slot.handle,
      });
    }
    return out;
  }

  async delete(handle: string): Promise<void> {
    const i = this.slots.findIndex((s) => s.handle === handle);
    if (i >= 0) this.slots.splice(i, 1);
  }

  async release(handle: string): Promise<void> {
    const slot = this.slots.find((s) => s.handle === handle);
    if (slot) slot.invisibleUntil = 0;
  }
}

import type { QueueEntryInput } from "./persistent-queue.js";

/** The part of the persistent queue the write-ahead batcher needs. */
export interface GroupCommitQueue {
  /** Durable (fsynced) append to the queue; returns the entries' queue `seq`s in order. */
  enqueueMany(inputs: readonly QueueEntryInput[]): ReadonlyArray<{ readonly seq: number }>;
  /** Appends to the in-flight journal (process-crash-safe); returns journal ids in order. */
  appendInflight(inputs: readonly QueueEntryInput[]): number[];
  /** Removes an in-flight entry (written with the next append or flush). */
  ackInflight(id: number): void;
  /** Writes pending in-flight acks. */
  flushInflight(): void;
  /** Moves in-flight entries into the queue, fsynced. */
  requeue(ids: readonly number[]): void;
}

interface Pending {
  readonly input: QueueEntryInput;
  readonly committed: (ref: number) => void;
  readonly failed: (err: unknown) => void;
}

interface Requeue {
  readonly id: number;
  readonly done: () => void;
}

/**
 * Group commit for the write-ahead. Everything of one event-loop turn — new publishes (a
 * burst, or the next window after a batch of PUBACKs), the acknowledgements of that turn and
 * the messages whose connection died — is written together, and none of those publishes is
 * sent before it was written.
 *
 * Where a publish goes is decided at commit time (`needsDurable()`): on a live connection
 * into the in-flight journal (one append, no fsync: it survives a crash or SIGKILL of the
 * process; until its PUBACK nobody has been told anything about it), otherwise into the queue
 * with an fsync, because it will be answered "queued". A message whose connection dies in
 * flight is moved from the journal into the queue, fsynced, before its "queued" answer
 * (`requeue`). So a message the application was told is queued survives a power cut.
 *
 * `committed` runs synchronously inside the commit's turn (not as a promise continuation) with
 * the journal id (live) or queue seq (queued): the session decides "send now" or "leave it to
 * the queue flush" in the same turn and from the same state as `needsDurable`, so an entry is
 * never sent twice nor left behind.
 */
export class WriteAheadBatcher {
  private pending: Pending[] = [];
  private requeues: Requeue[] = [];
  private acks = 0;
  private scheduled = false;

  constructor(
    private readonly queue: GroupCommitQueue,
    private readonly needsDurable: () => boolean,
  ) {}

  /** Queues `input` for the next group commit; `committed` gets its journal id or queue seq. */
  enqueue(
    input: QueueEntryInput,
    committed: (ref: number) => void,
    failed: (err: unknown) => void,
  ): void {
    this.pending.push({ input, committed, failed });
    this.schedule();
  }

  /** The broker has in-flight message `id` (or refused it for good). */
  ack(id: number): void {
    this.queue.ackInflight(id);
    this.acks++;
    this.schedule();
  }

  /** Moves in-flight message `id` into the queue (fsynced) with the next commit, then `done`. */
  requeue(id: number, done: () => void): void {
    this.requeues.push({ id, done });
    this.schedule();
  }

  /** Commits whatever is pending now (e.g. before the queue is closed). */
  commit(): void {
    this.scheduled = false;
    const batch = this.pending;
    const requeues = this.requeues;
    const acks = this.acks;
    this.pending = [];
    this.requeues = [];
    this.acks = 0;
    if (requeues.length > 0) {
      try {
        this.queue.requeue(requeues.map((r) => r.id));
      } catch {
        // Still in the journal: the next open of the queue takes them over.
      }
      for (const r of requeues) r.done();
    }
    if (batch.length === 0) {
      if (acks > 0) this.flushAcks();
      return;
    }
    let refs: number[];
    try {
      const inputs = batch.map((p) => p.input);
      refs = this.needsDurable()
        ? this.queue.enqueueMany(inputs).map((e) => e.seq)
        : this.queue.appendInflight(inputs);
    } catch (err) {
      for (const p of batch) p.failed(err);
      return;
    }
    for (let i = 0; i < batch.length; i++) (batch[i] as Pending).committed(refs[i] as number);
  }

  private flushAcks(): void {
    try {
      this.queue.flushInflight();
    } catch {
      // A lost ack record only means a resend after a restart (QoS 1 + dedup allow it).
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      if (this.scheduled) this.commit();
    });
  }
}

import type { QueueEntry, QueueEntryInput } from "./persistent-queue.js";

/** The part of the persistent queue the write-ahead batcher needs. */
export interface GroupCommitQueue {
  /**
   * One transaction: the acks deferred so far (`ackLater`) and `inputs`, in order. `durable`:
   * fsynced before it returns (power-safe); otherwise written to the OS (process-crash-safe).
   */
  writeAhead(inputs: readonly QueueEntryInput[], durable: boolean): QueueEntry[];
  /** Marks an entry delivered; deleted by the next `writeAhead` (or before any read). */
  ackLater(seq: number): void;
}

interface Pending {
  readonly input: QueueEntryInput;
  readonly committed: (entry: QueueEntry) => void;
  readonly failed: (err: unknown) => void;
}

/**
 * Group commit for the write-ahead queue. Everything of one event-loop turn — new publishes
 * (a burst, or the next window after a batch of PUBACKs) and the acks of that turn — is written
 * in one transaction, and none of those publishes is sent before it committed.
 *
 * Two durability levels. A commit whose publishes go on the wire at once is written to the
 * OS without fsync: it survives a crash or SIGKILL of the process (the file is in the kernel),
 * not a power cut — and until its PUBACK nobody has been told anything about such a message.
 * A commit whose publishes will be answered "queued" (`needsDurable()` at commit time), and
 * every later "queued" answer (`whenDurable`: connection lost, PUBACK timeout), is fsynced
 * first: a message the application was told is queued survives a power cut.
 *
 * `committed` runs synchronously inside the commit's turn (not as a promise continuation): the
 * session decides "send now" or "leave it to the queue flush" in the same turn the entry
 * became visible to the flush, so an entry is never sent twice nor left behind.
 */
export class WriteAheadBatcher {
  private pending: Pending[] = [];
  private durableWaiters: Array<() => void> = [];
  private scheduled = false;

  constructor(
    private readonly queue: GroupCommitQueue,
    private readonly needsDurable: () => boolean,
  ) {}

  /** Queues `input` for the next group commit; `committed` gets its stored entry. */
  enqueue(
    input: QueueEntryInput,
    committed: (entry: QueueEntry) => void,
    failed: (err: unknown) => void,
  ): void {
    this.pending.push({ input, committed, failed });
    this.schedule();
  }

  /** Takes a delivered entry out of the queue with the next commit. */
  ack(seq: number): void {
    this.queue.ackLater(seq);
    this.schedule();
  }

  /** Runs `done` once everything written so far is fsynced (with the next commit). */
  whenDurable(done: () => void): void {
    this.durableWaiters.push(done);
    this.schedule();
  }

  /** Commits whatever is pending now (e.g. before the queue is closed). */
  commit(): void {
    this.scheduled = false;
    const batch = this.pending;
    const waiters = this.durableWaiters;
    this.pending = [];
    this.durableWaiters = [];
    const durable = waiters.length > 0 || (batch.length > 0 && this.needsDurable());
    let entries: QueueEntry[];
    try {
      entries = this.queue.writeAhead(
        batch.map((p) => p.input),
        durable,
      );
    } catch (err) {
      for (const p of batch) p.failed(err);
      // The entries behind these answers were committed earlier; closing the file syncs them.
      for (const w of waiters) w();
      return;
    }
    for (let i = 0; i < batch.length; i++)
      (batch[i] as Pending).committed(entries[i] as QueueEntry);
    for (const w of waiters) w();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      if (this.scheduled) this.commit();
    });
  }
}

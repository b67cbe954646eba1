import type { QueueEntry, QueueEntryInput } from "./persistent-queue.js";

/** The part of the persistent queue the write-ahead batcher needs. */
export interface GroupCommitQueue {
  enqueueMany(inputs: readonly QueueEntryInput[]): QueueEntry[];
}

interface Pending {
  readonly input: QueueEntryInput;
  readonly committed: (entry: QueueEntry) => void;
  readonly failed: (err: unknown) => void;
}

/**
 * Group commit for the write-ahead queue. Publishes issued in the same event-loop turn (a burst,
 * or a window of PUBACKs answered together) are written in one transaction, so they share one
 * fsync instead of paying one each; none is sent before its transaction committed.
 *
 * `committed` runs synchronously inside the commit's turn (not as a promise continuation): the
 * session decides "send now" or "leave it to the queue flush" in the same turn the entry
 * became visible to the flush, so an entry is never sent twice nor left behind.
 */
export class WriteAheadBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(private readonly queue: GroupCommitQueue) {}

  /** Queues `input` for the next group commit; `committed` gets its stored entry. */
  enqueue(
    input: QueueEntryInput,
    committed: (entry: QueueEntry) => void,
    failed: (err: unknown) => void,
  ): void {
    this.pending.push({ input, committed, failed });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.commit());
    }
  }

  /** Commits whatever is pending now (e.g. before the queue is closed). */
  commit(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let entries: QueueEntry[];
    try {
      entries = this.queue.enqueueMany(batch.map((p) => p.input));
    } catch (err) {
      for (const p of batch) p.failed(err);
      return;
    }
    batch.forEach((p, i) => p.committed(entries[i] as QueueEntry));
  }
}

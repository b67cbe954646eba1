import type { ClaimOptions, ClaimResult, DedupStore, MessageKey } from "../cloud/ports.js";
import { messageKeyId } from "../cloud/ports.js";

interface Entry {
  state: "in-progress" | "done" | "failed";
  until: number;
  done: readonly string[];
}

/**
 * An in-process dedup ledger with the adapters' semantics: for benchmarks and tests of the
 * pipeline's own cost, not for production (claims are per process).
 */
export class MemoryDedupStore implements DedupStore {
  private readonly entries = new Map<string, Entry>();

  /** @inheritdoc */
  async claim(key: MessageKey, nowMs: number, options: ClaimOptions): Promise<ClaimResult> {
    const id = messageKeyId(key);
    const e = this.entries.get(id);
    if (e?.state === "done" && e.until >= nowMs) return { status: "duplicate" };
    if (e?.state === "in-progress" && e.until >= nowMs) return { status: "in-progress" };
    const done = e?.state === "failed" ? e.done : [];
    this.entries.set(id, { state: "in-progress", until: nowMs + options.leaseMs, done });
    return { status: "claimed", done };
  }

  /** @inheritdoc */
  async complete(key: MessageKey, nowMs: number, windowMs: number): Promise<void> {
    this.entries.set(messageKeyId(key), { state: "done", until: nowMs + windowMs, done: [] });
  }

  /** @inheritdoc */
  async release(key: MessageKey, done: readonly string[]): Promise<void> {
    const id = messageKeyId(key);
    if (done.length === 0) this.entries.delete(id);
    else this.entries.set(id, { state: "failed", until: 0, done: [...done] });
  }

  /** Number of ledger entries held. */
  get size(): number {
    return this.entries.size;
  }
}

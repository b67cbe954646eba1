import type { ClaimResult, DedupStore } from "../cloud/ports.js";

/**
 * An in-process DedupStore (a Map of expiry times) with the adapters' semantics: for
 * benchmarks and tests of the pipeline's own cost, not for production (claims are per process).
 */
export class MemoryDedupStore implements DedupStore {
  private readonly expiries = new Map<string, number>();

  /** @inheritdoc */
  async claim(messageId: string, nowMs: number, windowMs: number): Promise<ClaimResult> {
    const expires = this.expiries.get(messageId);
    if (expires !== undefined && expires >= nowMs) return "duplicate";
    this.expiries.set(messageId, nowMs + windowMs);
    return "new";
  }

  /** @inheritdoc */
  async release(messageId: string): Promise<void> {
    this.expiries.delete(messageId);
  }

  /** Number of claims held. */
  get size(): number {
    return this.expiries.size;
  }
}

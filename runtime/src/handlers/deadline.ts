import type { InvocationContext } from "./event.js";

/**
 * The deadline of one invocation: the Lambda's remaining time minus the spec's safety
 * margin. Work checks `expired()` between steps, so unfinished records go to the DLQ before
 * the platform kills the function (a killed invocation would lose them silently).
 */
export class Deadline {
  constructor(
    private readonly context: InvocationContext | undefined,
    private readonly safetyMarginMs: number,
  ) {}

  /** Milliseconds left before the handler must stop (Infinity without a context). */
  remainingMs(): number {
    if (!this.context) return Number.POSITIVE_INFINITY;
    return this.context.getRemainingTimeInMillis() - this.safetyMarginMs;
  }

  /** True when no time is left. */
  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /**
   * Waits for `work` but gives up at the deadline: resolves `{ expired: true }` then (the work
   * keeps running; writes are idempotent so a late completion does no harm).
   */
  race<T>(work: Promise<T>): Promise<{ expired: false; value: T } | { expired: true }> {
    const remaining = this.remainingMs();
    if (!Number.isFinite(remaining)) return work.then((value) => ({ expired: false, value }));
    if (remaining <= 0) {
      work.catch(() => undefined);
      return Promise.resolve({ expired: true });
    }
    // One promise settled by whichever comes first (a late rejection of `work` is handled).
    return new Promise((resolve, reject) => {
      const entry = expiries.add(Date.now() + remaining, () => resolve({ expired: true }));
      work.then(
        (value) => {
          expiries.remove(entry);
          resolve({ expired: false, value });
        },
        (error: unknown) => {
          expiries.remove(entry);
          reject(error as Error);
        },
      );
    });
  }
}

interface Expiry {
  readonly at: number;
  readonly fire: () => void;
  prev: Expiry | undefined;
  next: Expiry | undefined;
}

/**
 * Every pending `race` of the process under one timer, armed for the earliest expiry: a race
 * that settles only leaves the list (no timer set and cleared per call — a warm function or
 * the local engine races once per message). A doubly linked list: O(1) in and out without a
 * hash table's churn.
 */
class Expiries {
  private head: Expiry | undefined;
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Number.POSITIVE_INFINITY;

  add(at: number, fire: () => void): Expiry {
    const e: Expiry = { at, fire, prev: undefined, next: this.head };
    if (this.head) this.head.prev = e;
    this.head = e;
    const now = Date.now();
    if (at < this.armedAt) this.arm(at);
    // A timer that should have fired long ago (e.g. armed under a test's fake clock): re-arm
    // now, the check re-arms for whatever is pending.
    else if (now - this.armedAt > 1000) this.arm(now);
    return e;
  }

  remove(e: Expiry): void {
    if (e.prev) e.prev.next = e.next;
    else if (this.head === e) this.head = e.next;
    else return; // already out
    if (e.next) e.next.prev = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  private arm(at: number): void {
    clearTimeout(this.timer);
    this.armedAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (let e = this.head; e !== undefined;) {
      const following = e.next;
      if (e.at <= now) {
        this.remove(e);
        e.fire();
      } else if (e.at < next) next = e.at;
      e = following;
    }
    if (next < Number.POSITIVE_INFINITY) this.arm(next);
  }
}

const expiries = new Expiries();

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
  async race<T>(work: Promise<T>): Promise<{ expired: false; value: T } | { expired: true }> {
    const remaining = this.remainingMs();
    if (!Number.isFinite(remaining)) return { expired: false, value: await work };
    if (remaining <= 0) {
      work.catch(() => undefined);
      return { expired: true };
    }
    let timer: NodeJS.Timeout | undefined;
    const expiry = new Promise<{ expired: true }>((resolve) => {
      timer = setTimeout(() => resolve({ expired: true }), remaining);
    });
    try {
      return await Promise.race([
        work.then((value) => ({ expired: false as const, value })),
        expiry,
      ]);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
    }
  }
}

import { CircuitState, type IBreaker } from "cockatiel";

/** Options of a SlidingWindowBreaker. */
export interface SlidingWindowBreakerOptions {
  /** Failures inside the window that open the circuit. */
  readonly threshold: number;
  readonly windowMs: number;
  /** Clock for the window; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A cockatiel breaker that opens after `threshold` failures inside a sliding time window
 * ("10 failures per minute"). None of cockatiel's built-in breakers says this: the
 * ConsecutiveBreaker forgets failures on one success, the Count/SamplingBreakers work on
 * failure *ratios*. Successes while closed do not erase failures: the rule counts failures.
 */
export class SlidingWindowBreaker implements IBreaker {
  private failures: number[] = [];
  private readonly now: () => number;

  constructor(private readonly options: SlidingWindowBreakerOptions) {
    if (!(options.threshold >= 1)) throw new RangeError("threshold must be >= 1");
    if (!(options.windowMs > 0)) throw new RangeError("windowMs must be > 0");
    this.now = options.now ?? Date.now;
  }

  /** Serialisable state (failure timestamps), used by cockatiel's toJSON. */
  get state(): unknown {
    return { failures: [...this.failures] };
  }

  set state(value: unknown) {
    const failures = (value as { failures?: unknown } | undefined)?.failures;
    this.failures = Array.isArray(failures) ? failures.filter((x) => typeof x === "number") : [];
  }

  /** Failures currently inside the window. */
  get failuresInWindow(): number {
    this.prune(this.now());
    return this.failures.length;
  }

  /** A successful half-open probe closes the circuit: start from a clean window. */
  success(state: CircuitState): void {
    if (state === CircuitState.HalfOpen) this.failures = [];
  }

  /** Records a failure; true when the circuit should open. */
  failure(state: CircuitState): boolean {
    const now = this.now();
    this.prune(now);
    this.failures.push(now);
    // A failed probe re-opens regardless of the count.
    if (state === CircuitState.HalfOpen) return true;
    return this.failures.length >= this.options.threshold;
  }

  /** Forgets all failures (manual reset). */
  clear(): void {
    this.failures = [];
  }

  private prune(now: number): void {
    const oldest = now - this.options.windowMs;
    while (this.failures.length > 0 && (this.failures[0] as number) <= oldest)
      this.failures.shift();
  }
}

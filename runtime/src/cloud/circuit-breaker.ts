import {
  BrokenCircuitError,
  CircuitBreakerPolicy as CockatielCircuitBreaker,
  CircuitState,
  IsolatedCircuitError,
  circuitBreaker,
  handleWhen,
} from "cockatiel";
import type { CircuitBreakerPolicy } from "../policy.js";
import { DownstreamError } from "./errors.js";
import type { RandomSource } from "./retry.js";
import { SlidingWindowBreaker } from "./sliding-window-breaker.js";

/** Circuit state names, as reported to metrics and operators. */
export type CircuitStateName = "closed" | "open" | "half-open" | "isolated";

/** Options of a DownstreamCircuitBreaker. */
export interface DownstreamCircuitBreakerOptions {
  /** Downstream name (its participant id), used in errors and metrics. */
  readonly name: string;
  readonly policy: CircuitBreakerPolicy;
  /**
   * Which errors count as failures; default: every error the call raises (an adapter's error
   * of any shape — AWS SDK, SQLite, plain — is a failure of the downstream).
   */
  readonly isFailure?: (error: unknown) => boolean;
  /** Decides which calls pass while half-open; default `Math.random`. */
  readonly random?: RandomSource;
  /** Clock for the failure window; default `Date.now`. (cockatiel times the open period with Date.now.) */
  readonly now?: () => number;
}

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "isolated",
};

/**
 * A circuit breaker for one downstream, built on cockatiel:
 * opens after `openAfterFailures` failures within `windowMs`; after `halfOpenAfterMs` lets a
 * share (`halfOpenTraffic`) of calls through — the first admitted call is the probe, whose
 * success closes the circuit and whose failure re-opens it; `reset()` and `isolate()` are the
 * operator's manual handles. Rejected calls throw `DownstreamError` of kind "circuit-open"
 * (retryable: the handler dead-letters and replays later).
 */
export class DownstreamCircuitBreaker {
  readonly name: string;
  private readonly breaker: SlidingWindowBreaker;
  private readonly cockatiel: CockatielCircuitBreaker;
  private readonly random: RandomSource;
  private readonly halfOpenAfterMs: number;
  private readonly halfOpenTraffic: number;
  private openedAt = 0;

  constructor(options: DownstreamCircuitBreakerOptions) {
    const { policy } = options;
    if (!(policy.halfOpenTraffic > 0 && policy.halfOpenTraffic <= 1)) {
      throw new RangeError("halfOpenTraffic must be in (0, 1]");
    }
    this.name = options.name;
    this.random = options.random ?? Math.random;
    this.halfOpenAfterMs = policy.halfOpenAfterMs;
    this.halfOpenTraffic = policy.halfOpenTraffic;
    this.breaker = new SlidingWindowBreaker({
      threshold: policy.openAfterFailures,
      windowMs: policy.windowMs,
      ...(options.now ? { now: options.now } : {}),
    });
    this.cockatiel = circuitBreaker(handleWhen(options.isFailure ?? (() => true)), {
      breaker: this.breaker,
      halfOpenAfter: policy.halfOpenAfterMs,
    });
    this.cockatiel.onBreak(() => {
      this.openedAt = Date.now();
    });
  }

  /** Current state. */
  get state(): CircuitStateName {
    return STATE_NAMES[this.cockatiel.state];
  }

  /** Failures counted inside the current window (for metrics). */
  get failuresInWindow(): number {
    return this.breaker.failuresInWindow;
  }

  /** Subscribes to state changes (e.g. to emit a metric); returns a disposable. */
  onStateChange(listener: (state: CircuitStateName) => void): { dispose(): void } {
    return this.cockatiel.onStateChange((s) => listener(STATE_NAMES[s]));
  }

  /**
   * Runs `fn` through the circuit. While closed, `fn` is called directly and only a failure
   * goes through cockatiel (counted, maybe opening the circuit) — what cockatiel's own closed
   * path does (a success while closed changes nothing), without its executor's promises on
   * every call (three calls a message in the local pipeline).
   */
  execute<T>(fn: () => Promise<T>): Promise<T> {
    if (this.cockatiel.state !== CircuitState.Closed) return this.guarded(fn);
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (error) {
      return this.failed(error);
    }
    return pending.catch((error: unknown) => this.failed(error));
  }

  // A failure of a direct call: counted by the circuit as its execute would, then rethrown.
  private async failed(error: unknown): Promise<never> {
    await this.cockatiel.execute(() => Promise.reject(error)).catch(() => undefined);
    throw error;
  }

  private async guarded<T>(fn: () => Promise<T>): Promise<T> {
    if (this.wouldProbe() && this.random() >= this.halfOpenTraffic) {
      // Not in the half-open share: fail fast without touching the downstream.
      throw this.openError();
    }
    try {
      return await this.cockatiel.execute(() => fn());
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw this.openError(error);
      }
      throw error;
    }
  }

  /**
   * Manual reset (after the downstream is fixed): closes the circuit and forgets
   * counted failures. An operator isolation still held elsewhere keeps it isolated.
   */
  reset(): void {
    this.breaker.clear();
    if (this.cockatiel.state !== CircuitState.Closed) {
      // cockatiel has no reset(); isolating and releasing is its documented path back to Closed.
      this.cockatiel.isolate().dispose();
    }
  }

  /** Holds the circuit open (stop traffic to a downstream under repair) until disposed. */
  isolate(): { dispose(): void } {
    return this.cockatiel.isolate();
  }

  // True when the next call would be (or wait on) a half-open probe.
  private wouldProbe(): boolean {
    const state = this.cockatiel.state;
    if (state === CircuitState.HalfOpen) return true;
    return state === CircuitState.Open && Date.now() - this.openedAt >= this.halfOpenAfterMs;
  }

  private openError(cause?: unknown): DownstreamError {
    return new DownstreamError(
      this.name,
      "circuit-open",
      true,
      `${this.name}: circuit ${this.state}, call not attempted`,
      cause === undefined ? undefined : { cause },
    );
  }
}

import { DownstreamCircuitBreaker, type CircuitStateName } from "../cloud/circuit-breaker.js";
import type { MetricsSink } from "../cloud/ports.js";
import type { RandomSource } from "../cloud/retry.js";
import { HANDLER_METRIC_DIMENSIONS } from "./metric-roles.js";
import type { DownstreamPolicy } from "./policy.js";
import { VALIDATION_SIGNALS } from "./signals.js";
import { PipelineFailure } from "./failure.js";

/**
 * Counts every failure a downstream port raises except declared validation errors (a
 * PipelineFailure with a validation signal). Errors of any shape — AWS SDK, SQLite, a plain
 * Error — are failures of the downstream.
 */
export function isDownstreamFailure(error: unknown): boolean {
  return !(error instanceof PipelineFailure && VALIDATION_SIGNALS.has(error.signal));
}

/**
 * One circuit breaker per declared downstream (figures from the FMEA row on that participant),
 * shared by every invocation of a warm function. `reset()` is the operator's manual reset.
 */
export class CircuitBreakers {
  private readonly byId = new Map<string, DownstreamCircuitBreaker>();

  constructor(
    policy: DownstreamPolicy,
    options: { random?: RandomSource; now?: () => number } = {},
  ) {
    for (const [id, spec] of Object.entries(policy.downstreams)) {
      this.byId.set(
        id,
        new DownstreamCircuitBreaker({
          name: id,
          policy: spec.breaker,
          isFailure: isDownstreamFailure,
          ...(options.random ? { random: options.random } : {}),
          ...(options.now ? { now: options.now } : {}),
        }),
      );
    }
  }

  /** The declared downstream ids. */
  get ids(): string[] {
    return [...this.byId.keys()];
  }

  /** The breaker of a declared downstream (throws for an undeclared id: a wiring bug). */
  get(downstream: string): DownstreamCircuitBreaker {
    const breaker = this.byId.get(downstream);
    if (!breaker)
      throw new RangeError(`no circuit breaker for undeclared downstream ${downstream}`);
    return breaker;
  }

  /** True when the downstream is declared and its circuit is closed (false for an undeclared id). */
  isClosed(downstream: string): boolean {
    return this.byId.get(downstream)?.state === "closed";
  }

  /** Runs `fn` through the downstream's circuit. */
  run<T>(downstream: string, fn: () => Promise<T>): Promise<T> {
    return this.get(downstream).execute(fn);
  }

  /**
   * Counts a failure of `downstream` that happened outside a guarded call (e.g. the local
   * unit of work could not get its lock): it goes through the circuit like any failed call.
   */
  async recordFailure(downstream: string, error: unknown): Promise<void> {
    await this.run(downstream, () => Promise.reject(error)).catch(() => undefined);
  }

  /** Manual reset: closes the named circuit (or all) and forgets counted failures. */
  reset(downstream?: string): void {
    if (downstream !== undefined) this.get(downstream).reset();
    else for (const breaker of this.byId.values()) breaker.reset();
  }

  /** Current states by downstream id, for logs and the reset API's answer. */
  states(): Record<string, CircuitStateName> {
    return Object.fromEntries([...this.byId].map(([id, b]) => [id, b.state]));
  }

  /**
   * Reports state changes as a 0/1 gauge per downstream (1 = not closed) on the metric with
   * the `circuit-open` role (dimension: downstream). No metric name: nothing is reported.
   */
  reportTo(metrics: MetricsSink, metricName: string | undefined): void {
    if (metricName === undefined) return;
    const [dimension] = HANDLER_METRIC_DIMENSIONS["circuit-open"];
    for (const [id, breaker] of this.byId) {
      breaker.onStateChange((state) =>
        metrics.observe(metricName, state === "closed" ? 0 : 1, "Count", { [dimension]: id }),
      );
    }
  }
}

import { DownstreamCircuitBreaker, type CircuitStateName } from "../cloud/circuit-breaker.js";
import type { MetricsSink } from "../cloud/ports.js";
import type { RandomSource } from "../cloud/retry.js";
import type { DownstreamPolicy } from "./policy.js";

/** The downstreams guarded by a circuit breaker. */
export type GuardedDownstream = "dynamodb" | "timestream";

/**
 * One circuit breaker per downstream (thresholds from the FMEA), shared by every invocation
 * of a warm Lambda. `reset()` is Procedure 2's manual reset.
 */
export class CircuitBreakers {
  readonly dynamodb: DownstreamCircuitBreaker;
  readonly timestream: DownstreamCircuitBreaker;

  constructor(
    policy: DownstreamPolicy,
    options: { random?: RandomSource; now?: () => number } = {},
  ) {
    const common = {
      ...(options.random ? { random: options.random } : {}),
      ...(options.now ? { now: options.now } : {}),
    };
    this.dynamodb = new DownstreamCircuitBreaker({
      name: "dynamodb",
      policy: policy.circuitBreaker.dynamodb,
      ...common,
    });
    this.timestream = new DownstreamCircuitBreaker({
      name: "timestream",
      policy: policy.circuitBreaker.timestream,
      ...common,
    });
  }

  /** Runs `fn` through the named downstream's circuit. */
  run<T>(downstream: GuardedDownstream, fn: () => Promise<T>): Promise<T> {
    return this[downstream].execute(fn);
  }

  /** Procedure 2: closes the named circuit (or all) and forgets counted failures. */
  reset(downstream?: GuardedDownstream): void {
    if (downstream) this[downstream].reset();
    else for (const d of ["dynamodb", "timestream"] as const) this[d].reset();
  }

  /** Current states, for logs and the reset API's answer. */
  states(): Record<GuardedDownstream, CircuitStateName> {
    return { dynamodb: this.dynamodb.state, timestream: this.timestream.state };
  }

  /** Reports state changes as a 0/1 gauge per downstream (1 = not closed). */
  reportTo(metrics: MetricsSink, metricName: string): void {
    for (const d of ["dynamodb", "timestream"] as const) {
      this[d].onStateChange((state) =>
        metrics.observe(metricName, state === "closed" ? 0 : 1, "Count", { downstream: d }),
      );
    }
  }
}

/**
 * Policy shapes shared by the runtime and the generated packages.
 *
 * The numbers never live here: generated code builds these objects from the FMEA rows and
 * asyncapi.yaml extensions (durations already converted to milliseconds) and passes them in.
 */

/** How a wait between attempts is randomised. `none`: exact delays; `full`: uniform in [0, delay]. */
export type Jitter = "none" | "full" | "equal";

/** A retry schedule: `delaysMs[i]` is the wait before attempt i + 2 (attempt 1 is immediate). */
export interface RetryPolicy {
  /** Total number of retries after the first try. Equals `delaysMs.length`. */
  readonly attempts: number;
  readonly delaysMs: readonly number[];
  readonly jitter: Jitter;
}

/** A circuit breaker per downstream dependency (Procedure 2 of the seed). */
export interface CircuitBreakerPolicy {
  /** Failures inside `windowMs` that open the circuit. */
  readonly openAfterFailures: number;
  readonly windowMs: number;
  /** How long the circuit stays open before half-open probing starts. */
  readonly halfOpenAfterMs: number;
  /** Share of traffic let through while half-open (0..1). */
  readonly halfOpenTraffic: number;
}

/** The vehicle's persistent local queue (flash). */
export interface LocalQueuePolicy {
  readonly maxMessages: number;
  readonly overflow: "drop-oldest";
}

/** Batch building on the vehicle (Phase 2B). */
export interface BatchPolicy {
  readonly minMessages: number;
  readonly maxMessages: number;
  readonly maxCompressedBytes: number;
  readonly intervalMs: number;
  readonly zstdLevel: number;
}

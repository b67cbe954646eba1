import type { CircuitBreakerPolicy, RetryPolicy } from "../policy.js";
import type { HandlerMetricNames } from "./metric-roles.js";
import type { ReasonTable } from "./reasons.js";
import type { DownstreamKind } from "./signals.js";
import type { FreshnessPolicy } from "./validate.js";

/**
 * One declared downstream (a participant named in some `x-handler.writes` or `dedup`), with
 * the figures of the FMEA rows on that participant.
 */
export interface DownstreamSpec {
  readonly kind: DownstreamKind;
  /** The circuit breaker (row with `circuit-breaker` on this component, or the default). */
  readonly breaker: CircuitBreakerPolicy;
  /** Retry schedule of this downstream's calls (default: `DownstreamPolicy.retry`). */
  readonly retry?: RetryPolicy;
  /** Client connect/request timeouts (a row's `timeouts` policy). */
  readonly timeouts?: { readonly connectMs: number; readonly requestMs: number };
}

/** Every declared downstream by participant id, plus the default retry schedule. */
export interface DownstreamPolicy {
  readonly retry: RetryPolicy;
  readonly downstreams: Readonly<Record<string, DownstreamSpec>>;
}

/** The dedup declaration of a handler (`x-handler.dedup`). */
export interface DedupPolicy {
  /** The key-value-store participant holding the claims (its breaker guards them). */
  readonly downstream: string;
  /** The dedup window (FMEA `dedup` policy of the row, or the operation's). */
  readonly windowMs: number;
}

/** Everything one handler knows from the spec (no figure and no name lives in the runtime). */
export interface HandlerPolicy extends FreshnessPolicy {
  /** AsyncAPI operation id: the `operation` metric dimension and the DLQ entry's route. */
  readonly operation: string;
  /** `x-handler.name`. */
  readonly handlerName: string;
  /** `x-handler.writes`: downstream participant ids, each a key of `DownstreamPolicy.downstreams`. */
  readonly writes: readonly string[];
  /** `x-handler.dedup`; absent: no claims (writes alone are idempotent by key). */
  readonly dedup?: DedupPolicy;
  /** `x-handler.timeout`: an in-progress claim older than this is taken over. */
  readonly timeoutMs: number;
  /** `deadline` policy: stop this long before the function timeout. */
  readonly deadlineSafetyMarginMs: number;
  /**
   * The spec's packet limit (`x-v2c.platform.max-packet-bytes`): a payload above it is refused
   * before base64 decoding.
   */
  readonly maxPayloadBytes: number;
  readonly reasons: ReasonTable;
  readonly metrics: HandlerMetricNames;
}

/** A batch handler's extra limits (operation `x-batch`). */
export interface BatchHandlerPolicy extends HandlerPolicy {
  readonly maxCompressedBytes: number;
  /** Hard cap on the decompressed size. */
  readonly maxDecompressedBytes: number;
}

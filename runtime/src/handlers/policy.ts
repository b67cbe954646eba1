import type { CircuitBreakerPolicy, RetryPolicy } from "../policy.js";
import type { FailureClass, ReasonSpec } from "./failure.js";
import type { FreshnessPolicy } from "./validate.js";

/** Metric names the handlers emit (generated from fmea/metrics.yaml; dimensions in comments). */
export interface HandlerMetricNames {
  /** {operation} */ readonly received: string;
  /** {operation} */ readonly processed: string;
  /** {operation} */ readonly failed: string;
  /** {reason} */ readonly rejected: string;
  /** {operation} */ readonly duplicates: string;
  /** {operation}, raw values for percentiles */ readonly latency: string;
  /** {operation} */ readonly dataVolume: string;
  /** {reason} */ readonly dlqCount: string;
  readonly recordsIngested: string;
  readonly throttled: string;
  readonly unprocessed: string;
  /** {error} */ readonly connectionErrors: string;
  readonly timeSeriesRejected: string;
  /** {status} */ readonly timeSeriesErrors: string;
  /** {downstream} */ readonly circuitOpen: string;
  readonly replayProgress: string;
}

/** Everything one telemetry handler needs to know from the spec (no figure lives in the runtime). */
export interface TelemetryPolicy extends FreshnessPolicy {
  /** AsyncAPI operation id, the `operation` metric dimension. */
  readonly operation: string;
  readonly handlerName: string;
  readonly dedupWindowMs: number;
  /** FM-14: stop this long before the Lambda timeout. */
  readonly deadlineSafetyMarginMs: number;
  readonly reasons: Readonly<Record<FailureClass, ReasonSpec>>;
  readonly metrics: HandlerMetricNames;
}

/** The batch handler's extra limits (operation x-batch). */
export interface BatchTelemetryPolicy extends TelemetryPolicy {
  readonly maxCompressedBytes: number;
  /** FM-11/FM-17: hard cap on the decompressed size. */
  readonly maxDecompressedBytes: number;
}

/** Downstream resilience: retry (FM-08, FM-12 via `uses`) and circuit breakers (FM-08/18/19). */
export interface DownstreamPolicy {
  readonly retry: RetryPolicy;
  readonly circuitBreaker: {
    readonly dynamodb: CircuitBreakerPolicy;
    readonly timestream: CircuitBreakerPolicy;
  };
  /** FM-18 client timeouts. */
  readonly timeouts?: { readonly connectMs: number; readonly requestMs: number };
}

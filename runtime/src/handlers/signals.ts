/**
 * The closed vocabulary of failure signals (VOCABULARY.md §5) and the component kinds a
 * handler writes to. FMEA rows bind to the runtime through these names, never through ids.
 */

/** Every failure signal of the vocabulary. */
export const SIGNALS = [
  "certificate-expired",
  "certificate-revoked",
  "connect-timeout",
  "quota-exceeded",
  "too-large",
  "not-authorized",
  "ack-timeout",
  "unavailable",
  "timeout",
  "throttled",
  "pool-exhausted",
  "partial-write",
  "rejected",
  "decode-error",
  "range-violation",
  "decompression-error",
  "decompressed-too-large",
  "checksum-mismatch",
  "clock-skew",
  "duplicate",
  "deadline-exceeded",
  "out-of-memory",
  "region-unavailable",
] as const;

/** A vocabulary signal. */
export type Signal = (typeof SIGNALS)[number];

/**
 * Reasons the handler runtime raises that no FMEA row needs to own (plain validation and the
 * catch-all). They get the default reason codes unless the reason table names them.
 */
export const RUNTIME_SIGNALS = ["schema-version", "vehicle-mismatch", "internal"] as const;

/** A runtime-only failure reason. */
export type RuntimeSignal = (typeof RUNTIME_SIGNALS)[number];

/** What a PipelineFailure carries: a vocabulary signal or a runtime-only one. */
export type FailureSignal = Signal | RuntimeSignal;

/** Component kinds a handler can write to (`x-handler.writes`). */
export type DownstreamKind = "key-value-store" | "time-series-store";

/** Signals raised by validating a message: never counted by a circuit breaker. */
export const VALIDATION_SIGNALS: ReadonlySet<FailureSignal> = new Set<FailureSignal>([
  "too-large",
  "decode-error",
  "range-violation",
  "decompression-error",
  "decompressed-too-large",
  "checksum-mismatch",
  "clock-skew",
  "schema-version",
  "vehicle-mismatch",
]);

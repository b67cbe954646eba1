import type { PipelineFailure } from "./failure.js";
import type { FailureSignal } from "./signals.js";

/** A DLQ reason code and the FMEA row it comes from (none for a runtime default). */
export interface ReasonSpec {
  readonly code: string;
  /** The FMEA row id, for logs only (never used to decide anything). */
  readonly failureMode?: string;
  /** Accepted for the generator's convenience; the runtime's dimensions are fixed per role. */
  readonly alarmDimensions?: Readonly<Record<string, string>>;
}

/**
 * The generated reason table of a handler, keyed by `"<downstream>:<signal>"` (a row whose
 * component is a declared downstream) or `"<signal>"` (a row on a function component, or any
 * row that applies whatever the downstream). Built by the generator from the FMEA rows'
 * `(component, detection.signal) → mitigation.policy.dlq.reason`.
 */
export type ReasonTable = Readonly<Record<string, ReasonSpec>>;

/** `"partial-write"` → `"PARTIAL_WRITE"`; a participant id the same way. */
function toCode(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, "_").toUpperCase();
}

/**
 * The reason code used when the table has no entry: the signal in upper snake case, prefixed
 * by the downstream id when there is one (`(store-a, throttled)` → `STORE_A_THROTTLED`).
 */
export function defaultReasonCode(signal: FailureSignal, downstream?: string): string {
  return downstream ? `${toCode(downstream)}_${toCode(signal)}` : toCode(signal);
}

/**
 * The DLQ reason of a failure: `table["<downstream>:<signal>"]`, else `table["<signal>"]`,
 * else the default code.
 */
export function reasonFor(table: ReasonTable, failure: PipelineFailure): ReasonSpec {
  const { signal, downstream } = failure;
  if (downstream !== undefined) {
    const exact = table[`${downstream}:${signal}`];
    if (exact) return exact;
  }
  return table[signal] ?? { code: defaultReasonCode(signal, downstream) };
}

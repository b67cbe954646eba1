/**
 * The fault-injection scenario registry: which (component kind, signal) pairs the kit can
 * inject, what a handler must offer for it, and which policy keys the FMEA row must carry.
 * Pure data (no imports), so the generator reads the same table the kit implements: a row
 * whose pair has a scenario gets a real generated test, any other row an `it.todo` that says
 * why (and `--strict` reports the gap).
 */

/** What the scenario drives: a record handler, a batch handler (zstd), or either. */
export type ScenarioTarget = "record" | "batch" | "any";

/** One scenario of `scenarios.ts`. */
export interface ScenarioEntry {
  /** The scenario's id (the generated test template's block). */
  readonly id: string;
  /** Component kinds of the FMEA row's component this scenario injects into. */
  readonly kinds: readonly string[];
  readonly signal: string;
  /** Policy keys (model names) the row must carry. */
  readonly requires: readonly string[];
  readonly target: ScenarioTarget;
  /** The handler must write the row's component (a downstream fault). */
  readonly downstream: boolean;
  /** The handler must keep dedup claims. */
  readonly dedup?: boolean;
  /** The handled message must be zstd-compressed (batch scenarios). */
  readonly zstd?: boolean;
  /** The record message must declare a range the harness can break. */
  readonly invalid?: boolean;
}

const FUNCTION = ["function"];
const STORES = ["key-value-store", "time-series-store"];

/** Every scenario the kit implements. */
export const SCENARIO_REGISTRY: readonly ScenarioEntry[] = [
  {
    id: "corrupt-payload",
    kinds: FUNCTION,
    signal: "decode-error",
    requires: ["dlqReason"],
    target: "record",
    downstream: false,
  },
  {
    id: "not-zstd",
    kinds: FUNCTION,
    signal: "decompression-error",
    requires: ["dlqReason"],
    target: "batch",
    downstream: false,
    zstd: true,
  },
  {
    id: "zstd-bomb",
    kinds: FUNCTION,
    signal: "decompressed-too-large",
    requires: ["dlqReason"],
    target: "batch",
    downstream: false,
    zstd: true,
  },
  {
    id: "checksum-mismatch",
    kinds: FUNCTION,
    signal: "checksum-mismatch",
    requires: ["dlqReason"],
    target: "batch",
    downstream: false,
  },
  {
    id: "clock-skew",
    kinds: FUNCTION,
    signal: "clock-skew",
    requires: ["dlqReason"],
    target: "record",
    downstream: false,
  },
  {
    id: "range-violation",
    kinds: FUNCTION,
    signal: "range-violation",
    requires: ["dlqReason"],
    target: "record",
    downstream: false,
    invalid: true,
  },
  {
    id: "duplicate-delivery",
    kinds: [...FUNCTION, "key-value-store"],
    signal: "duplicate",
    requires: [],
    target: "record",
    downstream: false,
    dedup: true,
  },
  {
    id: "near-deadline",
    kinds: FUNCTION,
    signal: "deadline-exceeded",
    requires: ["deadlineSafetyMarginMs", "dlqReason"],
    target: "record",
    downstream: false,
  },
  {
    id: "pool-exhausted",
    kinds: [...FUNCTION, ...STORES],
    signal: "pool-exhausted",
    requires: ["dlqReason"],
    target: "record",
    downstream: true,
  },
  {
    id: "downstream-fault",
    kinds: STORES,
    signal: "throttled",
    requires: ["dlqReason"],
    target: "record",
    downstream: true,
  },
  {
    id: "downstream-fault",
    kinds: STORES,
    signal: "unavailable",
    requires: ["dlqReason"],
    target: "record",
    downstream: true,
  },
  {
    id: "downstream-fault",
    kinds: STORES,
    signal: "timeout",
    requires: ["dlqReason"],
    target: "record",
    downstream: true,
  },
  {
    id: "partial-write",
    kinds: ["key-value-store"],
    signal: "partial-write",
    requires: ["retry", "dlqReason"],
    target: "batch",
    downstream: true,
  },
  {
    id: "crashed-invocation",
    kinds: FUNCTION,
    signal: "out-of-memory",
    requires: [],
    target: "any",
    downstream: true,
    dedup: true,
  },
  {
    id: "series-rejects",
    kinds: ["time-series-store"],
    signal: "rejected",
    requires: ["dlqReason"],
    target: "any",
    downstream: true,
  },
];

/** The scenario of a (component kind, signal) pair, if the kit has one. */
export function scenarioOf(kind: string, signal: string): ScenarioEntry | undefined {
  return SCENARIO_REGISTRY.find((s) => s.signal === signal && s.kinds.includes(kind));
}

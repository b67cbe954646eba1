import { DownstreamError } from "../cloud/errors.js";

/**
 * Why a message (or a whole batch) was not stored. Each class maps to a DLQ reason code; the
 * generated policy takes the codes of the FMEA-backed classes from the FMEA rows.
 */
export type FailureClass =
  | "protobuf-parse"
  | "schema-version"
  | "range-violation"
  | "vehicle-mismatch"
  | "clock-skew"
  | "batch-too-large"
  | "decompression"
  | "decompressed-too-large"
  | "checksum-mismatch"
  | "dynamodb-throttled"
  | "dynamodb-unavailable"
  | "pool-exhausted"
  | "unprocessed-items"
  | "timestream-rejected"
  | "timestream-unavailable"
  | "deadline"
  | "internal";

/** Every failure class (for tables that must cover them all). */
export const FAILURE_CLASSES: readonly FailureClass[] = [
  "protobuf-parse",
  "schema-version",
  "range-violation",
  "vehicle-mismatch",
  "clock-skew",
  "batch-too-large",
  "decompression",
  "decompressed-too-large",
  "checksum-mismatch",
  "dynamodb-throttled",
  "dynamodb-unavailable",
  "pool-exhausted",
  "unprocessed-items",
  "timestream-rejected",
  "timestream-unavailable",
  "deadline",
  "internal",
];

/** A DLQ reason code and the FMEA row it comes from (none for plain validation reasons). */
export interface ReasonSpec {
  readonly code: string;
  readonly failureMode?: string;
  /**
   * The dimensions the failure mode's alarm filters on (from its FMEA row). A handler counting
   * the failure on the alarm's metric uses exactly these, so the alarm can fire.
   */
  readonly alarmDimensions?: Readonly<Record<string, string>>;
}

/**
 * Reason codes of the validation failures the FMEA has no row of its own for (they are
 * variants of FM-07's "schema version mismatch / corrupted payload" causes).
 */
export const VALIDATION_REASONS = {
  "schema-version": { code: "SCHEMA_VERSION" },
  "range-violation": { code: "RANGE_VIOLATION" },
  "vehicle-mismatch": { code: "VEHICLE_MISMATCH" },
  "batch-too-large": { code: "BATCH_TOO_LARGE" },
  internal: { code: "INTERNAL" },
} as const satisfies Partial<Record<FailureClass, ReasonSpec>>;

/** A classified failure: the class decides the DLQ reason, `detail` is for people. */
export class PipelineFailure extends Error {
  override readonly name = "PipelineFailure";
  constructor(
    readonly failureClass: FailureClass,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${failureClass}: ${detail}`, options);
  }
}

// "Cannot acquire connection" style errors from a saturated client pool (FM-09).
const POOL_EXHAUSTED = /acquire (a )?(connection|socket)/i;

function mentionsPoolExhaustion(error: unknown, depth = 0): boolean {
  if (typeof error !== "object" || error === null || depth > 4) return false;
  const e = error as { message?: unknown; cause?: unknown };
  if (typeof e.message === "string" && POOL_EXHAUSTED.test(e.message)) return true;
  return mentionsPoolExhaustion(e.cause, depth + 1);
}

/** Classifies an error of a DynamoDB call (dedup claim or record write). */
export function dynamoDbFailure(error: unknown): PipelineFailure {
  if (error instanceof PipelineFailure) return error;
  const kind = error instanceof DownstreamError ? error.kind : "other";
  const detail = error instanceof Error ? error.message : String(error);
  if (mentionsPoolExhaustion(error))
    return new PipelineFailure("pool-exhausted", detail, { cause: error });
  if (kind === "throttled")
    return new PipelineFailure("dynamodb-throttled", detail, { cause: error });
  return new PipelineFailure("dynamodb-unavailable", detail, { cause: error });
}

/** Classifies an error of a time-series write (the sink throws only when unavailable). */
export function timeSeriesFailure(error: unknown): PipelineFailure {
  if (error instanceof PipelineFailure) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new PipelineFailure("timestream-unavailable", detail, { cause: error });
}

import type { PipelineFailure } from "./failure.js";

/** What happened to one telemetry record. */
export type RecordOutcome =
  | { readonly status: "stored"; readonly messageId: string }
  | { readonly status: "duplicate"; readonly messageId: string }
  | {
      readonly status: "failed";
      readonly failure: PipelineFailure;
      /** Decoded id, or `<batchId>#<index>` / `unparsed-<sha256>` when it could not be read. */
      readonly messageId: string;
      /** The record's bytes as received (what a replay re-runs). */
      readonly bytes: Uint8Array;
    };

/** What happened to a batch: a batch-level failure, or one outcome per record. */
export interface BatchOutcome {
  readonly batchId: string;
  readonly failure?: PipelineFailure;
  readonly records: readonly RecordOutcome[];
}

/** Counts of one invocation, returned by every handler (and logged). */
export interface InvocationSummary {
  readonly received: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** DLQ keys written by this invocation. */
  readonly dlqKeys: readonly string[];
}

/** Tallies record outcomes into a summary (DLQ keys added by the caller). */
export function summarize(
  outcomes: readonly RecordOutcome[],
  dlqKeys: readonly string[],
): InvocationSummary {
  let stored = 0;
  let duplicates = 0;
  for (const o of outcomes) {
    if (o.status === "stored") stored++;
    else if (o.status === "duplicate") duplicates++;
  }
  return { received: outcomes.length, stored, duplicates, deadLettered: dlqKeys.length, dlqKeys };
}

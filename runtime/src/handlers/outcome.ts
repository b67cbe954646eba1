import type { PipelineFailure } from "./failure.js";

/** What happened to one record. */
export type RecordOutcome =
  | { readonly status: "stored"; readonly messageId: string }
  | { readonly status: "duplicate"; readonly messageId: string }
  | {
      /** Another invocation holds a live claim: the invocation fails so it is redelivered. */
      readonly status: "in-progress";
      readonly messageId: string;
    }
  | {
      readonly status: "failed";
      readonly failure: PipelineFailure;
      /** Decoded id, or `<batchId>#<index>` / `unparsed-<sha256>` when it could not be read. */
      readonly messageId: string;
      /** The record's bytes as received (what a replay re-runs). */
      readonly bytes: Uint8Array;
      /** Sinks that do not hold it (absent: all declared sinks). */
      readonly pendingSinks?: readonly string[];
      /** Sinks that do hold it (a partial success, tracked per message). */
      readonly heldBy?: readonly string[];
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
  /** Records held by some sinks but not all (each also dead-lettered, for the rest). */
  readonly partial: number;
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
  let partial = 0;
  for (const o of outcomes) {
    if (o.status === "stored") stored++;
    else if (o.status === "duplicate") duplicates++;
    else if (o.status === "failed" && o.heldBy && o.heldBy.length > 0) partial++;
  }
  return {
    received: outcomes.length,
    stored,
    duplicates,
    partial,
    deadLettered: dlqKeys.length,
    dlqKeys,
  };
}

/**
 * Thrown by a handler after it finished everything else when some message is claimed by a
 * live invocation: failing the invocation makes the platform redeliver it (IoT async retry,
 * the local rules engine's retries), by which time the claim is done or its lease expired.
 */
export class RedeliveryRequired extends Error {
  override readonly name = "RedeliveryRequired";
  constructor(
    readonly messageIds: readonly string[],
    readonly summary: InvocationSummary,
  ) {
    super(`claimed by another invocation, redeliver: ${messageIds.join(", ")}`);
  }
}

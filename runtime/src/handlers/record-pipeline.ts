import { createHash } from "node:crypto";
import type { RecordCodec } from "./codec.js";
import { asFailure, type StepContext } from "./context.js";
import { claimMessage, releaseClaim } from "./dedup.js";
import { PipelineFailure } from "./failure.js";
import type { RecordOutcome } from "./outcome.js";
import { writeAccepted } from "./store.js";
import { validateRecord } from "./validate.js";

/** A stable id for bytes that could not be decoded (the DLQ key needs one). */
export function unparsedId(bytes: Uint8Array): string {
  return `unparsed-${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}`;
}

/**
 * Phase 2A for one record: validate, claim, write to both stores, count. Never throws: a
 * failure comes back as an outcome (the caller dead-letters it, or replay keeps the entry),
 * and a claim taken for a failed record is released first.
 */
export async function processRecord<T>(
  ctx: StepContext,
  codec: RecordCodec<T>,
  bytes: Uint8Array,
  topicVehicleId: string | undefined,
  topic: string,
): Promise<RecordOutcome> {
  let messageId: string | undefined;
  let claimed = false;
  try {
    if (topicVehicleId === undefined) {
      throw new PipelineFailure(
        "vehicle-mismatch",
        `topic ${topic} is not a ${ctx.policy.operation} topic`,
      );
    }
    const record = validateRecord(codec, bytes, topicVehicleId, ctx.nowMs, ctx.policy);
    messageId = codec.messageId(record);
    if (!(await claimMessage(ctx, messageId))) return { status: "duplicate", messageId };
    claimed = true;
    if (ctx.deadline.expired()) {
      throw new PipelineFailure("deadline", "no time left before the handler deadline");
    }
    const failure = (await writeAccepted(ctx, codec, [{ record, messageId }], "single")).get(0);
    if (failure) throw failure;
    recordStored(ctx, codec.timestampMs(record));
    return { status: "stored", messageId };
  } catch (error) {
    if (claimed && messageId !== undefined) await releaseClaim(ctx, messageId);
    return {
      status: "failed",
      failure: asFailure(error),
      messageId: messageId ?? unparsedId(bytes),
      bytes,
    };
  }
}

/** Counts a stored record and observes its end-to-end latency (vehicle time to commit, raw value). */
export function recordStored(ctx: StepContext, timestampMs: number): void {
  const { metrics } = ctx.ports;
  const op = { operation: ctx.policy.operation };
  metrics.count(ctx.policy.metrics.processed, 1, op);
  metrics.timing(
    ctx.policy.metrics.latency,
    Math.max(0, (ctx.ports.now ?? Date.now)() - timestampMs),
    op,
  );
}

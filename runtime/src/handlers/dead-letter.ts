import { createDeadLetterEntry } from "../cloud/dlq-entry.js";
import type { DeadLetterType } from "../cloud/ports.js";
import type { StepContext } from "./context.js";
import type { PipelineFailure } from "./failure.js";
import { reasonFor } from "./reasons.js";

/** One thing to dead-letter: a record or a whole batch, with the bytes a replay needs. */
export interface DeadLetterItem {
  readonly type: DeadLetterType;
  readonly failure: PipelineFailure;
  readonly topic: string;
  readonly vehicleId: string;
  readonly receivedAt: number;
  readonly payload: Uint8Array;
  readonly messageId?: string;
  readonly batchId?: string;
  readonly attempt?: number;
  /** Sinks that do not hold the message (a replay writes only these). */
  readonly pendingSinks?: readonly string[];
}

/**
 * Writes a DLQ entry (typed, with its reason from the reason table, its signal and
 * downstream, its operation for replay) and counts it: `rejected` and `dlq-count` by reason,
 * `messages-failed` by operation. A DLQ write failure is thrown: the invocation must fail so
 * the platform redelivers the message.
 */
export async function deadLetter(ctx: StepContext, item: DeadLetterItem): Promise<string> {
  const reason = reasonFor(ctx.policy.reasons, item.failure);
  const entry = createDeadLetterEntry({
    type: item.type,
    operation: ctx.policy.operation,
    reasonCode: reason.code,
    errorType: reason.code,
    detail: item.failure.detail,
    signal: item.failure.signal,
    ...(item.failure.downstream !== undefined ? { downstream: item.failure.downstream } : {}),
    ...(item.pendingSinks !== undefined ? { pendingSinks: item.pendingSinks } : {}),
    vehicleId: item.vehicleId,
    topic: item.topic,
    receivedAt: item.receivedAt,
    payload: item.payload,
    ...(item.messageId !== undefined ? { messageId: item.messageId } : {}),
    ...(item.batchId !== undefined ? { batchId: item.batchId } : {}),
    attempt: item.attempt ?? 1,
  });
  const key = await ctx.ports.dlq.put(entry);
  ctx.metrics.count("rejected", 1, { reason: reason.code });
  ctx.metrics.count("dlq-count", 1, { reason: reason.code });
  ctx.metrics.count("messages-failed", 1, { operation: ctx.policy.operation });
  ctx.logger.warn("dead-lettered", {
    key,
    reason: reason.code,
    failureMode: reason.failureMode,
    signal: item.failure.signal,
    downstream: item.failure.downstream,
    detail: item.failure.detail,
    messageId: item.messageId,
    batchId: item.batchId,
    vehicleId: item.vehicleId,
  });
  return key;
}

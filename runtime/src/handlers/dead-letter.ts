import { createDeadLetterEntry } from "../cloud/dlq-entry.js";
import type { StepContext } from "./context.js";
import type { PipelineFailure } from "./failure.js";

/** One thing to dead-letter: a record or a whole batch, with the bytes a replay needs. */
export interface DeadLetterItem {
  readonly failure: PipelineFailure;
  readonly topic: string;
  readonly vehicleId: string;
  readonly receivedAt: number;
  readonly payload: Uint8Array;
  readonly messageId?: string;
  readonly batchId?: string;
  readonly attempt?: number;
  /** Records lost with a whole-batch failure (counted per message). */
  readonly messages?: number;
}

/**
 * Writes a DLQ entry (key by reason code, date, vehicle) and counts it: `telemetry.rejected`
 * and `dlq.message_count` by reason, `telemetry.messages.failed` by operation. A DLQ write
 * failure is thrown: the invocation must fail so Lambda's async retry redelivers the message.
 */
export async function deadLetter(ctx: StepContext, item: DeadLetterItem): Promise<string> {
  const reason = ctx.policy.reasons[item.failure.failureClass];
  const entry = createDeadLetterEntry({
    reasonCode: reason.code,
    errorType: reason.code,
    detail: item.failure.detail,
    vehicleId: item.vehicleId,
    topic: item.topic,
    receivedAt: item.receivedAt,
    payload: item.payload,
    ...(item.messageId !== undefined ? { messageId: item.messageId } : {}),
    ...(item.batchId !== undefined ? { batchId: item.batchId } : {}),
    attempt: item.attempt ?? 1,
  });
  const key = await ctx.ports.dlq.put(entry);
  const { policy } = ctx;
  const m = ctx.ports.metrics;
  const n = item.messages ?? 1;
  m.count(policy.metrics.rejected, n, { reason: reason.code });
  m.count(policy.metrics.dlqCount, 1, { reason: reason.code });
  m.count(policy.metrics.failed, n, { operation: policy.operation });
  ctx.logger.warn("dead-lettered", {
    key,
    reason: reason.code,
    failureMode: reason.failureMode,
    detail: item.failure.detail,
    messageId: item.messageId,
    batchId: item.batchId,
    vehicleId: item.vehicleId,
  });
  return key;
}

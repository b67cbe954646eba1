import type { StepContext } from "./context.js";
import { dynamoDbFailure } from "./failure.js";

/**
 * Claims a message id in the dedup store inside the spec's window (FM-10), through the
 * DynamoDB circuit. True when new; a duplicate is counted. Store errors become failures.
 */
export async function claimMessage(ctx: StepContext, messageId: string): Promise<boolean> {
  const { dedup, metrics } = ctx.ports;
  let result;
  try {
    result = await ctx.breakers.run("dynamodb", () =>
      dedup.claim(messageId, ctx.nowMs, ctx.policy.dedupWindowMs),
    );
  } catch (error) {
    throw dynamoDbFailure(error);
  }
  if (result === "duplicate") {
    metrics.count(ctx.policy.metrics.duplicates, 1, { operation: ctx.policy.operation });
    return false;
  }
  return true;
}

/**
 * Drops the claim of a message whose processing failed, so its redelivery or DLQ replay is not
 * discarded as a duplicate. A failed release is logged, not thrown: the message is already on
 * its way to the DLQ, and replay checks the record store before trusting a "duplicate".
 */
export async function releaseClaim(ctx: StepContext, messageId: string): Promise<void> {
  try {
    await ctx.ports.dedup.release(messageId);
  } catch (error) {
    ctx.logger.error("dedup claim release failed", {
      messageId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

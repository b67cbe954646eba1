import { createHash } from "node:crypto";
import type { MessageKey } from "../cloud/ports.js";
import type { RecordCodec } from "./codec.js";
import type { StepContext } from "./context.js";
import { claimMessage, completeMessage, releaseMessage, unitFailure } from "./dedup.js";
import { asFailure, PipelineFailure } from "./failure.js";
import type { RecordOutcome } from "./outcome.js";
import { writeAccepted } from "./store.js";
import { validateRecord } from "./validate.js";

/** A stable id for bytes that could not be decoded (the DLQ entry needs one). */
export function unparsedId(bytes: Uint8Array): string {
  return `unparsed-${createHash("sha256").update(bytes).digest("hex").slice(0, 32)}`;
}

/**
 * The id to file a rejected record under: its own message id when it decodes at all (an
 * operator finds it by the id the vehicle used), else a digest of its bytes.
 */
export function rejectedId<T>(codec: RecordCodec<T>, bytes: Uint8Array): string {
  try {
    const id = bytes.byteLength > 0 ? codec.messageId(codec.decode(bytes)) : "";
    if (typeof id === "string" && id !== "") return id;
  } catch {
    // not decodable: digest below
  }
  return unparsedId(bytes);
}

/** Options of `processRecord`. */
export interface ProcessRecordOptions {
  /** Write only these sinks (a DLQ entry's pending sinks); default: every declared write. */
  readonly onlySinks?: readonly string[];
}

/** The declared writes still to do: minus those done, restricted to `only`. */
export function pendingSinks(
  writes: readonly string[],
  done: readonly string[],
  only?: readonly string[],
): string[] {
  return writes.filter((id) => !done.includes(id) && (only === undefined || only.includes(id)));
}

/**
 * One record: validate, then — as one unit of work where the adapters offer it — claim,
 * write to every pending sink, and mark the claim done only when all writes succeeded (else
 * release it with the sinks that hold the message). Never throws: a failure comes back as an
 * outcome (the caller dead-letters it, or replay keeps the entry).
 */
export async function processRecord<T>(
  ctx: StepContext,
  codec: RecordCodec<T>,
  bytes: Uint8Array,
  topicVehicleId: string | undefined,
  topic: string,
  options: ProcessRecordOptions = {},
): Promise<RecordOutcome> {
  let messageId: string | undefined;
  try {
    if (topicVehicleId === undefined) {
      throw new PipelineFailure(
        "vehicle-mismatch",
        `topic ${topic} is not a ${ctx.policy.operation} topic`,
      );
    }
    const valid = validateRecord(codec, bytes, topicVehicleId, ctx.nowMs, ctx.policy);
    messageId = codec.messageId(valid.record);
    const key: MessageKey = { vehicleId: topicVehicleId, messageId };
    const id = messageId;
    return await runUnit(ctx, async (): Promise<RecordOutcome> => {
      const claim = await claimMessage(ctx, key);
      if (claim.status === "duplicate") return { status: "duplicate", messageId: id };
      if (claim.status === "in-progress") return { status: "in-progress", messageId: id };
      const pending = pendingSinks(ctx.policy.writes, claim.done, options.onlySinks);
      if (ctx.deadline.expired()) {
        await releaseMessage(ctx, key, claim.done);
        return failed(
          new PipelineFailure("deadline-exceeded", "no time left before the handler deadline"),
          id,
          bytes,
          pending,
          claim.done,
        );
      }
      const written = await writeAccepted(
        ctx,
        [
          {
            key,
            document: valid.document,
            point: codec.toTimeSeries(valid.record, valid.document),
            pending,
          },
        ],
        "single",
      );
      const failure = written.failures.get(0);
      const held = written.done[0] ?? [];
      if (failure) {
        await releaseMessage(ctx, key, held);
        return failed(failure, id, bytes, written.pending.get(0) ?? pending, held);
      }
      await completeMessage(ctx, key);
      recordStored(ctx, codec.timestampMs(valid.record));
      return { status: "stored", messageId: id };
    });
  } catch (error) {
    return failed(asFailure(error), messageId ?? rejectedId(codec, bytes), bytes);
  }
}

/** Runs `work` in the ports' unit of work; a failure of the unit itself is classified. */
export async function runUnit<R>(ctx: StepContext, work: () => Promise<R>): Promise<R> {
  try {
    return await ctx.atomic(work);
  } catch (error) {
    throw await unitFailure(ctx, error);
  }
}

function failed(
  failure: PipelineFailure,
  messageId: string,
  bytes: Uint8Array,
  pending?: readonly string[],
  heldBy?: readonly string[],
): RecordOutcome {
  return {
    status: "failed",
    failure,
    messageId,
    bytes,
    ...(pending ? { pendingSinks: pending } : {}),
    ...(heldBy && heldBy.length > 0 ? { heldBy } : {}),
  };
}

/** Counts a stored record and observes its end-to-end latency (event time to commit, raw). */
export function recordStored(ctx: StepContext, timestampMs: number): void {
  const op = { operation: ctx.policy.operation };
  ctx.metrics.count("messages-processed", 1, op);
  ctx.metrics.timing(
    "processing-latency",
    Math.max(0, (ctx.ports.now ?? Date.now)() - timestampMs),
    op,
  );
}

export { failed as failedOutcome };

import type { MessageKey } from "../cloud/ports.js";
import { DecompressionError, decompressBounded } from "../cloud/zstd-bounded.js";
import { recordsCrc32 } from "./checksum.js";
import type { BatchCodec, RecordCodec } from "./codec.js";
import type { StepContext } from "./context.js";
import { claimMessage, completeMessage, releaseMessage } from "./dedup.js";
import { asFailure, PipelineFailure } from "./failure.js";
import type { BatchOutcome, RecordOutcome } from "./outcome.js";
import type { BatchHandlerPolicy } from "./policy.js";
import {
  failedOutcome,
  pendingSinks,
  recordStored,
  rejectedId,
  runUnit,
  unparsedId,
} from "./record-pipeline.js";
import { writeAccepted, type AcceptedRecord } from "./store.js";
import {
  checkConstraints,
  checkSchemaVersion,
  checkVehicle,
  decodeOrFail,
  validateRecord,
} from "./validate.js";

/** Decompresses (zstd, hard cap) and decodes a batch envelope, then checks it as a whole. */
async function openBatch<B>(
  policy: BatchHandlerPolicy,
  codec: BatchCodec<B>,
  payload: Uint8Array,
  topicVehicleId: string,
): Promise<B> {
  if (payload.byteLength > policy.maxCompressedBytes) {
    throw new PipelineFailure(
      "too-large",
      `compressed batch is ${payload.byteLength} bytes, more than ${policy.maxCompressedBytes}`,
    );
  }
  let raw: Buffer;
  try {
    // The client's encoder writes no Frame_Content_Size: bound the output by block structure.
    raw = await decompressBounded(payload, {
      maxDecompressedBytes: policy.maxDecompressedBytes,
      whenContentSizeAbsent: "bound-by-blocks",
    });
  } catch (error) {
    if (!(error instanceof DecompressionError)) throw error;
    const tooLarge =
      error.failure === "content-size-exceeds-cap" ||
      error.failure === "block-structure-exceeds-cap";
    throw new PipelineFailure(
      tooLarge ? "decompressed-too-large" : "decompression-error",
      error.message,
      { cause: error },
    );
  }
  const batch = decodeOrFail((b) => codec.decode(b), raw, codec.message);
  checkSchemaVersion(codec.checker, codec.schemaVersion(batch));
  checkConstraints(codec.checker, batch as object);
  checkVehicle(topicVehicleId, codec.vehicleId(batch));
  const expected = codec.checksum(batch) >>> 0;
  const actual = recordsCrc32(codec.records(batch));
  if (expected !== actual) {
    throw new PipelineFailure(
      "checksum-mismatch",
      `records CRC-32 is ${actual.toString(16)}, batch says ${expected.toString(16)}`,
    );
  }
  return batch;
}

type Accepted = AcceptedRecord & {
  readonly index: number;
  readonly timestampMs: number;
  readonly done: readonly string[];
};

/**
 * A batch: decompress with a hard cap, decode, check the batch (schema, ranges, vehicle,
 * checksum), validate each record; then as one unit of work (where the adapters offer it)
 * claim each record, write the claimed ones to every declared sink in one call per sink, and
 * mark each claim done or release it with the sinks that hold it. Records not finished by the
 * deadline fail with `deadline-exceeded`. Never throws.
 */
export async function processBatch<T, B>(
  ctx: StepContext<BatchHandlerPolicy>,
  batchCodec: BatchCodec<B>,
  recordCodec: RecordCodec<T>,
  payload: Uint8Array,
  topicVehicleId: string | undefined,
  topic: string,
): Promise<BatchOutcome> {
  let batch: B;
  try {
    if (topicVehicleId === undefined) {
      throw new PipelineFailure(
        "vehicle-mismatch",
        `topic ${topic} is not a ${ctx.policy.operation} topic`,
      );
    }
    batch = await openBatch(ctx.policy, batchCodec, payload, topicVehicleId);
  } catch (error) {
    return { batchId: unparsedId(payload), failure: asFailure(error), records: [] };
  }
  const vehicleId = topicVehicleId;
  const batchId = batchCodec.batchId(batch) || unparsedId(payload);
  const bytes = batchCodec.records(batch);
  const outcomes: (RecordOutcome | undefined)[] = new Array(bytes.length);
  const valid: { index: number; key: MessageKey; document: Record<string, unknown>; record: T }[] =
    [];
  const seen = new Set<string>();
  for (let i = 0; i < bytes.length; i++) {
    let messageId: string | undefined;
    try {
      const v = validateRecord(recordCodec, bytes[i]!, vehicleId, ctx.nowMs, ctx.policy);
      messageId = recordCodec.messageId(v.record);
      if (seen.has(messageId)) {
        // The same message twice in one batch: one write, the other a duplicate.
        ctx.metrics.count("duplicates", 1, { operation: ctx.policy.operation });
        outcomes[i] = { status: "duplicate", messageId };
        continue;
      }
      seen.add(messageId);
      valid.push({
        index: i,
        key: { vehicleId, messageId },
        document: v.document as Record<string, unknown>,
        record: v.record,
      });
    } catch (error) {
      const id = messageId ?? rejectedId(recordCodec, bytes[i]!);
      outcomes[i] = failedOutcome(
        asFailure(error),
        id.startsWith("unparsed-") ? `${batchId}#${i}` : id,
        bytes[i]!,
      );
    }
  }

  try {
    await runUnit(ctx, () => claimAndWrite(ctx, recordCodec, valid, bytes, outcomes));
  } catch (error) {
    // The unit of work failed as a whole (nothing of it was kept): every valid record failed.
    const failure = asFailure(error);
    for (const v of valid)
      outcomes[v.index] = failedOutcome(failure, v.key.messageId, bytes[v.index]!);
  }
  return { batchId, records: outcomes as RecordOutcome[] };
}

async function claimAndWrite<T>(
  ctx: StepContext<BatchHandlerPolicy>,
  codec: RecordCodec<T>,
  valid: readonly {
    index: number;
    key: MessageKey;
    document: Record<string, unknown>;
    record: T;
  }[],
  bytes: readonly Uint8Array[],
  outcomes: (RecordOutcome | undefined)[],
): Promise<void> {
  const deadline = new PipelineFailure(
    "deadline-exceeded",
    "not processed before the handler deadline",
  );
  const accepted: Accepted[] = [];
  for (const v of valid) {
    const id = v.key.messageId;
    if (ctx.deadline.expired()) {
      outcomes[v.index] = failedOutcome(deadline, id, bytes[v.index]!);
      continue;
    }
    try {
      const claim = await claimMessage(ctx, v.key);
      if (claim.status === "duplicate") outcomes[v.index] = { status: "duplicate", messageId: id };
      else if (claim.status === "in-progress") {
        outcomes[v.index] = { status: "in-progress", messageId: id };
      } else {
        accepted.push({
          key: v.key,
          document: v.document,
          point: codec.toTimeSeries(v.record, v.document),
          pending: pendingSinks(ctx.policy.writes, claim.done),
          index: v.index,
          timestampMs: codec.timestampMs(v.record),
          done: claim.done,
        });
      }
    } catch (error) {
      outcomes[v.index] = failedOutcome(asFailure(error), id, bytes[v.index]!);
    }
  }
  if (accepted.length === 0) return;
  if (ctx.deadline.expired()) {
    for (const a of accepted) {
      await releaseMessage(ctx, a.key, a.done);
      outcomes[a.index] = failedOutcome(
        deadline,
        a.key.messageId,
        bytes[a.index]!,
        a.pending,
        a.done,
      );
    }
    return;
  }
  const written = await writeAccepted(ctx, accepted, "batch");
  for (let j = 0; j < accepted.length; j++) {
    const a = accepted[j]!;
    const failure = written.failures.get(j);
    const held = written.done[j] ?? [];
    if (failure) {
      await releaseMessage(ctx, a.key, held);
      outcomes[a.index] = failedOutcome(
        failure,
        a.key.messageId,
        bytes[a.index]!,
        written.pending.get(j) ?? a.pending,
        held,
      );
    } else {
      await completeMessage(ctx, a.key);
      recordStored(ctx, a.timestampMs);
      outcomes[a.index] = { status: "stored", messageId: a.key.messageId };
    }
  }
}

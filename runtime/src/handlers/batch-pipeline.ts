import { DecompressionError, decompressBounded } from "../cloud/zstd-bounded.js";
import { recordsCrc32 } from "./checksum.js";
import type { BatchCodec, RecordCodec } from "./codec.js";
import { asFailure, type StepContext } from "./context.js";
import { claimMessage, releaseClaim } from "./dedup.js";
import { PipelineFailure } from "./failure.js";
import type { BatchOutcome, RecordOutcome } from "./outcome.js";
import type { BatchTelemetryPolicy } from "./policy.js";
import { recordStored, unparsedId } from "./record-pipeline.js";
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
  policy: BatchTelemetryPolicy,
  codec: BatchCodec<B>,
  payload: Uint8Array,
  topicVehicleId: string,
): Promise<B> {
  if (payload.byteLength > policy.maxCompressedBytes) {
    throw new PipelineFailure(
      "batch-too-large",
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
      tooLarge ? "decompressed-too-large" : "decompression",
      error.message,
      {
        cause: error,
      },
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

/**
 * Phase 2B: decompress with a hard cap, decode, check the batch (schema, ranges, vehicle,
 * CRC-32), then per record validate and claim (duplicates counted, never stored twice), then
 * one BatchWriteItem + one WriteRecords in parallel. Stops at the FM-14 deadline: records not
 * finished by then fail with "deadline". Never throws; failed claims are released.
 */
export async function processBatch<T, B>(
  ctx: StepContext & { readonly policy: BatchTelemetryPolicy },
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
  const batchId = batchCodec.batchId(batch);
  const bytes = batchCodec.records(batch);
  const outcomes: (RecordOutcome | undefined)[] = new Array(bytes.length);
  const accepted: (AcceptedRecord<T> & { index: number; timestampMs: number })[] = [];
  const deadline = new PipelineFailure("deadline", "not processed before the handler deadline");

  for (let i = 0; i < bytes.length; i++) {
    const recordBytes = bytes[i]!;
    if (ctx.deadline.expired()) {
      outcomes[i] = {
        status: "failed",
        failure: deadline,
        messageId: `${batchId}#${i}`,
        bytes: recordBytes,
      };
      continue;
    }
    let messageId: string | undefined;
    try {
      const record = validateRecord(
        recordCodec,
        recordBytes,
        topicVehicleId!,
        ctx.nowMs,
        ctx.policy,
      );
      messageId = recordCodec.messageId(record);
      if (!(await claimMessage(ctx, messageId))) {
        outcomes[i] = { status: "duplicate", messageId };
        continue;
      }
      accepted.push({ record, messageId, index: i, timestampMs: recordCodec.timestampMs(record) });
    } catch (error) {
      outcomes[i] = {
        status: "failed",
        failure: asFailure(error),
        messageId: messageId ?? `${batchId}#${i}`,
        bytes: recordBytes,
      };
    }
  }

  const failures = ctx.deadline.expired()
    ? new Map(accepted.map((_, j) => [j, deadline]))
    : await writeAccepted(ctx, recordCodec, accepted, "batch");
  for (let j = 0; j < accepted.length; j++) {
    const a = accepted[j]!;
    const failure = failures.get(j);
    if (failure) {
      await releaseClaim(ctx, a.messageId);
      outcomes[a.index] = {
        status: "failed",
        failure,
        messageId: a.messageId,
        bytes: bytes[a.index]!,
      };
    } else {
      recordStored(ctx, a.timestampMs);
      outcomes[a.index] = { status: "stored", messageId: a.messageId };
    }
  }
  return { batchId, records: outcomes as RecordOutcome[] };
}

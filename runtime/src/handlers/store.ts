import { DownstreamError } from "../cloud/errors.js";
import type { BatchPutResult, StoredRecord, TimeSeriesWriteResult } from "../cloud/ports.js";
import type { RecordCodec } from "./codec.js";
import type { StepContext } from "./context.js";
import { dynamoDbFailure, PipelineFailure, timeSeriesFailure } from "./failure.js";

/** A validated, claimed record waiting to be written. */
export interface AcceptedRecord<T> {
  readonly record: T;
  readonly messageId: string;
}

// batchPut reports exhausted retries of a throttled/unavailable call as "kind: message".
const DOWNSTREAM_REASON = /^(throttled|unavailable|timeout|connection)\b/;

/**
 * Writes accepted records to the record store and the time-series sink in parallel, each
 * through its circuit, racing the FM-14 deadline. Single records use `put`, batches
 * `batchPut` (BatchWriteItem, UnprocessedItems retried by the adapter on FM-12's schedule).
 * Returns the failure of each record that is not in both stores, by index.
 */
export async function writeAccepted<T>(
  ctx: StepContext,
  codec: RecordCodec<T>,
  accepted: readonly AcceptedRecord<T>[],
  mode: "single" | "batch",
): Promise<Map<number, PipelineFailure>> {
  const failures = new Map<number, PipelineFailure>();
  if (accepted.length === 0) return failures;
  const { records, timeSeries, metrics } = ctx.ports;
  const names = ctx.policy.metrics;
  const stored: StoredRecord[] = accepted.map((a) => ({
    id: a.messageId,
    data: codec.toStored(a.record),
  }));
  const points = accepted.map((a) => codec.toTimeSeries(a.record));

  const dynamo = ctx.breakers.run("dynamodb", async (): Promise<BatchPutResult> => {
    if (mode === "single") {
      await records.put(stored[0]!);
      return { written: 1, unprocessed: [] };
    }
    const result = await records.batchPut(stored);
    const first = result.unprocessed[0];
    // Nothing written because the table is down: a breaker failure, not a partial write.
    if (result.written === 0 && first && DOWNSTREAM_REASON.test(first.reason)) {
      const kind = first.reason.split(":")[0] as
        "throttled" | "unavailable" | "timeout" | "connection";
      throw new DownstreamError("dynamodb", kind, true, `dynamodb: ${first.reason}`);
    }
    return result;
  });
  const series = ctx.breakers.run("timestream", (): Promise<TimeSeriesWriteResult> =>
    timeSeries.write(points),
  );
  const raced = await ctx.deadline.race(Promise.allSettled([dynamo, series]));
  if (raced.expired) {
    const failure = new PipelineFailure(
      "deadline",
      "writes did not finish before the handler deadline",
    );
    accepted.forEach((_, i) => failures.set(i, failure));
    return failures;
  }
  const [dynamoResult, seriesResult] = raced.value;

  if (dynamoResult.status === "rejected") {
    const failure = dynamoDbFailure(dynamoResult.reason);
    countDynamoFailure(ctx, failure, dynamoResult.reason);
    accepted.forEach((_, i) => failures.set(i, failure));
  } else if (dynamoResult.value.unprocessed.length > 0) {
    const index = new Map(accepted.map((a, i) => [a.messageId, i]));
    metrics.count(names.unprocessed, dynamoResult.value.unprocessed.length);
    for (const u of dynamoResult.value.unprocessed) {
      const i = index.get(u.record.id);
      if (i !== undefined) failures.set(i, new PipelineFailure("unprocessed-items", u.reason));
    }
  }

  if (seriesResult.status === "rejected") {
    const failure = timeSeriesFailure(seriesResult.reason);
    const status =
      seriesResult.reason instanceof DownstreamError ? seriesResult.reason.kind : "other";
    metrics.count(names.timeSeriesErrors, 1, alarmDimensions(ctx, failure) ?? { status });
    accepted.forEach((_, i) => failures.has(i) || failures.set(i, failure));
  } else {
    const rejected = seriesResult.value.rejected;
    if (rejected.length > 0) metrics.count(names.timeSeriesRejected, rejected.length);
    for (const r of rejected) {
      if (!failures.has(r.index)) {
        failures.set(r.index, new PipelineFailure("timestream-rejected", `${r.code}: ${r.reason}`));
      }
    }
    const ingested = accepted.length - rejected.length;
    if (ingested > 0) metrics.count(names.recordsIngested, ingested);
  }
  return failures;
}

function countDynamoFailure(ctx: StepContext, failure: PipelineFailure, error: unknown): void {
  const names = ctx.policy.metrics;
  if (failure.failureClass === "dynamodb-throttled") ctx.ports.metrics.count(names.throttled);
  else {
    const kind = error instanceof DownstreamError ? error.kind : "other";
    ctx.ports.metrics.count(
      names.connectionErrors,
      1,
      alarmDimensions(ctx, failure) ?? { error: kind },
    );
  }
}

/** The dimensions of the failure mode's alarm, when its FMEA row names some. */
function alarmDimensions(
  ctx: StepContext,
  failure: PipelineFailure,
): Readonly<Record<string, string>> | undefined {
  const dims = ctx.policy.reasons[failure.failureClass]?.alarmDimensions;
  return dims && Object.keys(dims).length > 0 ? dims : undefined;
}

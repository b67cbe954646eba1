import { DownstreamError } from "../cloud/errors.js";
import {
  messageKeyId,
  type BatchPutResult,
  type MessageKey,
  type RecordStore,
  type StoredRecord,
  type TimeSeriesRecord,
  type TimeSeriesSink,
} from "../cloud/ports.js";
import type { StepContext } from "./context.js";
import { downstreamFailure, PipelineFailure } from "./failure.js";

/** A validated, claimed record waiting to be written to the sinks in `pending`. */
export interface AcceptedRecord {
  readonly key: MessageKey;
  /** The document for key-value stores (from the codec). */
  readonly document: Readonly<Record<string, unknown>>;
  /** The point for time-series stores (from the codec). */
  readonly point: TimeSeriesRecord;
  /** Downstream ids still to write (the declared writes minus those already holding it). */
  readonly pending: readonly string[];
}

/** The outcome per sink of each accepted record, by index. */
export interface WriteOutcome {
  /** Sinks that hold the record after this write (including ones it did not need). */
  readonly done: readonly (readonly string[])[];
  /** The first failure of each record not in every pending sink. */
  readonly failures: ReadonlyMap<number, PipelineFailure>;
  /** For a failed record: the sinks that still do not hold it. */
  readonly pending: ReadonlyMap<number, readonly string[]>;
}

// batchPut reports exhausted retries of a throttled/unavailable call as "kind: message".
const DOWNSTREAM_REASON = /^(throttled|unavailable|timeout|connection)\b/;

type SinkResult = ReadonlyMap<number, PipelineFailure>;

async function writeKeyValue(
  ctx: StepContext,
  id: string,
  store: RecordStore,
  items: readonly { index: number; record: AcceptedRecord }[],
  mode: "single" | "batch",
): Promise<SinkResult> {
  const stored: StoredRecord[] = items.map((i) => ({
    id: messageKeyId(i.record.key),
    data: i.record.document,
  }));
  const result = await ctx.breakers.run(id, async (): Promise<BatchPutResult> => {
    if (mode === "single" && stored.length === 1) {
      await store.put(stored[0]!);
      return { written: 1, unprocessed: [] };
    }
    const out = await store.batchPut(stored);
    const first = out.unprocessed[0];
    // Nothing written because the store is down: a breaker failure, not a partial write.
    if (out.written === 0 && first && DOWNSTREAM_REASON.test(first.reason)) {
      const kind = first.reason.split(":")[0] as "throttled" | "unavailable" | "timeout";
      throw new DownstreamError(id, kind, true, `${id}: ${first.reason}`);
    }
    return out;
  });
  const failures = new Map<number, PipelineFailure>();
  if (result.unprocessed.length > 0) {
    ctx.metrics.count("partial-writes", result.unprocessed.length, { downstream: id });
    const byKey = new Map(items.map((i) => [messageKeyId(i.record.key), i.index]));
    for (const u of result.unprocessed) {
      const index = byKey.get(u.record.id);
      if (index !== undefined) {
        failures.set(index, new PipelineFailure("partial-write", u.reason, { downstream: id }));
      }
    }
  }
  return failures;
}

async function writeTimeSeries(
  ctx: StepContext,
  id: string,
  sink: TimeSeriesSink,
  items: readonly { index: number; record: AcceptedRecord }[],
): Promise<SinkResult> {
  const result = await ctx.breakers.run(id, () => sink.write(items.map((i) => i.record.point)));
  const failures = new Map<number, PipelineFailure>();
  for (const r of result.rejected) {
    const item = items[r.index];
    if (item) {
      failures.set(
        item.index,
        new PipelineFailure("rejected", `${r.code}: ${r.reason}`, { downstream: id }),
      );
    }
  }
  return failures;
}

/**
 * Writes accepted records to each declared downstream they are pending on, in parallel, each
 * through its own circuit, racing the handler deadline. Single records use `put`, batches
 * `batchPut` (partial writes retried by the adapter). Returns the outcome per record and sink:
 * a record failed on one sink still counts as held by the others (replay writes only the rest).
 */
export async function writeAccepted(
  ctx: StepContext,
  accepted: readonly AcceptedRecord[],
  mode: "single" | "batch",
): Promise<WriteOutcome> {
  const sinks = ctx.policy.writes;
  const calls = sinks.map(async (id): Promise<SinkResult> => {
    const items = accepted.flatMap((record, index) =>
      record.pending.includes(id) ? [{ index, record }] : [],
    );
    if (items.length === 0) return new Map();
    const port = ctx.ports.downstreams[id];
    if (!port) throw new PipelineFailure("internal", `no adapter for downstream ${id}`);
    const result =
      port.kind === "key-value-store"
        ? await writeKeyValue(ctx, id, port.store, items, mode)
        : await writeTimeSeries(ctx, id, port.sink, items);
    const written = items.length - result.size;
    if (written > 0) ctx.metrics.count("records-written", written, { downstream: id });
    return result;
  });
  const raced = await ctx.deadline.race(Promise.allSettled(calls));
  const perSink: SinkResult[] = raced.expired
    ? sinks.map(() => {
        const failure = new PipelineFailure(
          "deadline-exceeded",
          "writes did not finish before the handler deadline",
        );
        return new Map(accepted.map((_, i) => [i, failure]));
      })
    : raced.value.map((settled, s) => {
        if (settled.status === "fulfilled") return settled.value;
        const id = sinks[s]!;
        const failure = downstreamFailure(id, settled.reason);
        ctx.metrics.count("downstream-errors", 1, { downstream: id, signal: failure.signal });
        return new Map(accepted.map((_, i) => [i, failure]));
      });

  const done: string[][] = [];
  const failures = new Map<number, PipelineFailure>();
  const pending = new Map<number, string[]>();
  accepted.forEach((record, i) => {
    const held = sinks.filter((id) => !record.pending.includes(id));
    const left: string[] = [];
    sinks.forEach((id, s) => {
      if (!record.pending.includes(id)) return;
      const failure = perSink[s]!.get(i);
      if (failure) {
        left.push(id);
        if (!failures.has(i)) failures.set(i, failure);
      } else held.push(id);
    });
    done.push(held);
    if (left.length > 0) pending.set(i, left);
  });
  return { done, failures, pending };
}

/**
 * Fault-injection scenarios, one per entry of `registry.ts` (a component kind and signal).
 * Each builds its own rig on the kit's peers, injects the fault the way it happens in
 * production (SDK middleware on a real DynamoDB-API client, a mocked time-series answer,
 * corrupt bytes, a zstd bomb, a bad checksum, a short deadline), runs the generated handler of
 * the given operation and returns what it saw. Downstreams are participant ids. The figures to
 * assert (retry schedule, thresholds, DLQ reasons) are NOT here: the generated tests read them
 * from the FMEA rows of the spec package and compare.
 */
import { compress } from "@mongodb-js/zstd";
import { RejectedRecordsException, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { deadLetterPayload } from "../../cloud/dlq-entry.js";
import type { CircuitStateName } from "../../cloud/circuit-breaker.js";
import { messageKeyId } from "../../cloud/ports.js";
import { RedeliveryRequired, type InvocationSummary } from "../outcome.js";
import type { ReplaySummary } from "../replay.js";
import { awsError, failFirstCalls, withholdBatchItems } from "../../../test/cloud/faults.js";
import type { Rig, ScenarioKit } from "./kit.js";

/** The bytes of the first DLQ entry of `summary`, as stored (undefined when none). */
async function firstDeadLetter(rig: Rig, summary: InvocationSummary) {
  const key = summary.dlqKeys[0];
  if (!key) return undefined;
  const entry = await rig.ports.dlq.get(key);
  return entry
    ? { payload: Uint8Array.from(deadLetterPayload(entry)), detail: entry.detail }
    : undefined;
}

/** Observation of a scenario that sends one fault and reads back the DLQ entry. */
export interface DeadLetterRun {
  readonly rig: Rig;
  readonly summary: InvocationSummary;
  /** What was sent to the handler. */
  readonly sent: Uint8Array;
  /** The first DLQ entry's payload and detail. */
  readonly deadLetter?: { readonly payload: Uint8Array; readonly detail: string };
}

async function sendOnce(kit: ScenarioKit, operation: string, sent: Uint8Array) {
  const rig = kit.rig();
  const summary = await rig.invoke(operation, sent);
  return { rig, summary, sent, deadLetter: await firstDeadLetter(rig, summary) };
}

/** decode-error: bytes that are not a valid protobuf message. */
export function corruptPayload(kit: ScenarioKit, operation: string): Promise<DeadLetterRun> {
  // Field 1 (length-delimited) claims 5 bytes but only 1 follows.
  return sendOnce(kit, operation, Uint8Array.from([0x0a, 0x05, 0x01]));
}

/** decompression-error: a zstd magic number followed by an invalid frame. */
export function notZstd(kit: ScenarioKit, operation: string): Promise<DeadLetterRun> {
  return sendOnce(
    kit,
    operation,
    Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x01, 0x02, 0x03]),
  );
}

/** decompressed-too-large: a small zstd frame that inflates to 4x the operation's cap. */
export async function zstdBomb(kit: ScenarioKit, operation: string): Promise<DeadLetterRun> {
  const cap = kit.operation(operation).maxDecompressedBytes ?? 1 << 20;
  return sendOnce(kit, operation, Uint8Array.from(await compress(Buffer.alloc(cap * 4), 3)));
}

/** range-violation: a record whose declared ranges are broken (the harness's `invalid`). */
export async function rangeViolation(kit: ScenarioKit, operation: string): Promise<DeadLetterRun> {
  const op = kit.operation(operation);
  if (!op.invalid) throw new RangeError(`operation ${operation} has no invalid sample`);
  const rig = kit.rig();
  const sent = op.invalid(rig.clock - 60_000).bytes;
  const summary = await rig.invoke(operation, sent);
  return { rig, summary, sent, deadLetter: await firstDeadLetter(rig, summary) };
}

/** checksum-mismatch: a valid batch of `records` records whose checksum is off by `crcDelta`. */
export async function corruptChecksum(
  kit: ScenarioKit,
  operation: string,
  options: { records: number; crcDelta: number },
): Promise<DeadLetterRun & { readonly messageIds: readonly string[] }> {
  const rig = kit.rig();
  const records = Array.from({ length: options.records }, () => kit.freshRecord(rig, operation));
  const sent = await kit.batchPayload(
    rig,
    operation,
    records.map((r) => r.bytes),
    options.crcDelta,
  );
  const summary = await rig.invoke(operation, sent);
  return {
    rig,
    summary,
    sent,
    deadLetter: await firstDeadLetter(rig, summary),
    messageIds: records.map((r) => r.messageId),
  };
}

/** Whether `operation`'s message is stored in the key-value-store `downstream` (false for other kinds). */
export async function isStored(
  kit: ScenarioKit,
  rig: Rig,
  operation: string,
  downstream: string,
  messageId: string,
): Promise<boolean> {
  const port = rig.ports.downstreams[downstream];
  if (port?.kind !== "key-value-store") return false;
  const vehicleId = kit.operation(operation).vehicleId;
  return (await port.store.get(messageKeyId({ vehicleId, messageId }))) !== undefined;
}

/** duplicate: one record delivered `copies` times at once, then once more after the window. */
export async function duplicateDelivery(
  kit: ScenarioKit,
  operation: string,
  options: { copies: number },
): Promise<{
  readonly rig: Rig;
  readonly messageId: string;
  readonly storm: readonly InvocationSummary[];
  readonly afterWindow: InvocationSummary;
}> {
  const rig = kit.rig();
  const { messageId, bytes } = kit.freshRecord(rig, operation);
  // A copy that finds the message claimed by a live invocation asks to be redelivered
  // (RedeliveryRequired); the platform redelivers it, as here, until it settles.
  const deliver = async (): Promise<InvocationSummary> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await rig.invoke(operation, bytes);
      } catch (error) {
        if (!(error instanceof RedeliveryRequired) || attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  const storm = await Promise.all(Array.from({ length: options.copies }, deliver));
  rig.clock += (kit.operation(operation).dedupWindowMs ?? 0) + 1;
  const afterWindow = await rig.invoke(operation, bytes);
  return { rig, messageId, storm, afterWindow };
}

/** Observation of a downstream fault over several messages. */
export interface DownstreamRun {
  readonly rig: Rig;
  readonly summaries: readonly InvocationSummary[];
  /** Retry waits recorded per message. */
  readonly delaysPerMessage: readonly (readonly number[])[];
  /** Calls that reached the faulty downstream's client, per message. */
  readonly callsPerMessage: readonly number[];
  /** Breaker state of the faulty downstream after each message. */
  readonly statesAfter: readonly CircuitStateName[];
  /** Message ids sent, in order. */
  readonly messageIds: readonly string[];
}

/** The error a downstream's client raises for `signal`, as the AWS SDK raises it. */
export function downstreamError(signal: string): Error {
  switch (signal) {
    case "throttled":
      return awsError("ThrottlingException", 400);
    case "timeout": {
      const e = new Error("Request timed out");
      e.name = "TimeoutError";
      return e;
    }
    case "pool-exhausted":
      return new Error("Cannot acquire connection from the pool");
    default:
      return awsError("ServiceUnavailableException", 503);
  }
}

/**
 * A downstream fault (throttled, unavailable, timeout, pool-exhausted): the `downstream`
 * participant's client raises `signal`'s error on its first `failures` calls, for `messages`
 * records sent to `operation`'s handler one by one.
 */
export async function downstreamFault(
  kit: ScenarioKit,
  operation: string,
  downstream: string,
  options: { signal: string; failures: number; messages: number },
): Promise<DownstreamRun> {
  const kind = kit.handlers.downstreamPolicy.downstreams[downstream]?.kind;
  let calls: () => number;
  let rig: Rig;
  if (kind === "key-value-store") {
    const client = kit.dynalite.newClient();
    const counter = failFirstCalls(client, options.failures, () => downstreamError(options.signal));
    rig = kit.rig({ clients: { [downstream]: client } });
    calls = () => counter.calls;
  } else {
    rig = kit.rig();
    let n = 0;
    rig.series[downstream]!.on(WriteRecordsCommand).callsFake(() => {
      n++;
      if (n <= options.failures) throw downstreamError(options.signal);
      return {};
    });
    calls = () => n;
  }
  const summaries: InvocationSummary[] = [];
  const delaysPerMessage: number[][] = [];
  const callsPerMessage: number[] = [];
  const statesAfter: CircuitStateName[] = [];
  const messageIds: string[] = [];
  for (let i = 0; i < options.messages; i++) {
    const before = { delays: rig.delays.length, calls: calls() };
    const { messageId, bytes } = kit.freshRecord(rig, operation);
    messageIds.push(messageId);
    summaries.push(await rig.invoke(operation, bytes));
    delaysPerMessage.push(rig.delays.slice(before.delays));
    callsPerMessage.push(calls() - before.calls);
    statesAfter.push(rig.breakers.get(downstream).state);
  }
  return { rig, summaries, delaysPerMessage, callsPerMessage, statesAfter, messageIds };
}

/**
 * partial-write: a key-value batch write withholds `withhold` items as unprocessed on its first
 * `times` calls (the rest is really written by dynalite), for a batch of `records`.
 */
export async function partialWrite(
  kit: ScenarioKit,
  operation: string,
  downstream: string,
  options: { records: number; withhold: number; times: number },
): Promise<{
  readonly rig: Rig;
  readonly summary: InvocationSummary;
  readonly batchWrites: number;
}> {
  const client = kit.dynalite.newClient();
  const counter = withholdBatchItems(client, options.withhold, options.times);
  const rig = kit.rig({ clients: { [downstream]: client } });
  const records = Array.from(
    { length: options.records },
    () => kit.freshRecord(rig, operation).bytes,
  );
  const summary = await rig.invoke(operation, await kit.batchPayload(rig, operation, records));
  return { rig, summary, batchWrites: counter.calls };
}

/**
 * rejected: the time-series store rejects record `rejectIndex` of a batch of `records` (a
 * record operation sends one record, and `rejectIndex` must be 0).
 */
export async function seriesRejects(
  kit: ScenarioKit,
  operation: string,
  downstream: string,
  options: { records: number; rejectIndex: number },
): Promise<{
  readonly rig: Rig;
  readonly summary: InvocationSummary;
  readonly messageIds: string[];
}> {
  const rig = kit.rig();
  rig.series[downstream]!.on(WriteRecordsCommand).rejects(
    new RejectedRecordsException({
      message: "One or more records have been rejected.",
      $metadata: {},
      RejectedRecords: [
        {
          RecordIndex: options.rejectIndex,
          Reason: "The record timestamp is outside the time range of the memory store.",
        },
      ],
    }),
  );
  const batch = kit.operation(operation).kind === "batch";
  const count = batch ? options.records : 1;
  const records = Array.from({ length: count }, () => kit.freshRecord(rig, operation));
  const payload = batch
    ? await kit.batchPayload(
        rig,
        operation,
        records.map((r) => r.bytes),
      )
    : records[0]!.bytes;
  const summary = await rig.invoke(operation, payload);
  return { rig, summary, messageIds: records.map((r) => r.messageId) };
}

/** deadline-exceeded: the function context reports `remainingMs` left for the invocation. */
export async function nearDeadline(
  kit: ScenarioKit,
  operation: string,
  options: { remainingMs: number },
): Promise<{ readonly rig: Rig; readonly summary: InvocationSummary }> {
  const rig = kit.rig();
  const context = { getRemainingTimeInMillis: () => options.remainingMs };
  const summary = await rig.invoke(operation, kit.freshRecord(rig, operation).bytes, context);
  return { rig, summary };
}

/**
 * clock-skew: records stamped `offsetsMs` away from the cloud clock (positive = from the
 * future), one invocation each; then, with the clock moved to `replayAtOffsetMs`, a replay of
 * `reason` (entries of that reason left by earlier tests are deleted first).
 */
export async function skewedClock(
  kit: ScenarioKit,
  operation: string,
  options: { offsetsMs: readonly number[]; reason: string; replayAtOffsetMs: number },
): Promise<{
  readonly rig: Rig;
  readonly summaries: readonly InvocationSummary[];
  readonly replay: ReplaySummary;
}> {
  const rig = kit.rig();
  // The kit's DLQ bucket is shared by a file's tests: start the replayed reason from empty.
  for (const key of await rig.ports.dlq.list(`dlq/${options.reason}/`))
    await rig.ports.dlq.delete(key);
  const t0 = rig.clock;
  const summaries: InvocationSummary[] = [];
  for (const offset of options.offsetsMs)
    summaries.push(await rig.invoke(operation, kit.operation(operation).record(t0 + offset).bytes));
  rig.clock = t0 + options.replayAtOffsetMs;
  const keys = summaries.flatMap((s) => s.dlqKeys);
  const replay = await rig.replay({ errorType: options.reason, limit: keys.length });
  rig.clock = t0;
  return { rig, summaries, replay };
}

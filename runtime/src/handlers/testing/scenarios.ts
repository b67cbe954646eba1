/**
 * Fault-injection scenarios, one per kind of failure the handlers mitigate. Each builds its own
 * rig on the kit's peers, injects the fault the way it happens in production (SDK middleware on
 * a real DynamoDB-API client, a closed port, a mocked Timestream answer, corrupt bytes, a zstd
 * bomb, a bad checksum, a short deadline), runs the generated handlers and returns what it saw.
 * The figures to assert (retry schedule, thresholds, DLQ reasons) are NOT here: the generated
 * tests read them from the FMEA rows of `@v2c/spec` and compare.
 */
import { compress } from "@mongodb-js/zstd";
import { RejectedRecordsException, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { deadLetterPayload } from "../../cloud/dlq-entry.js";
import type { CircuitStateName } from "../../cloud/circuit-breaker.js";
import type { InvocationSummary } from "../outcome.js";
import type { ReplaySummary } from "../replay.js";
import {
  awsError,
  closedPort,
  failFirstCalls,
  withholdBatchItems,
} from "../../../test/cloud/faults.js";
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

/** FM-07 style: bytes that are not a valid protobuf message, on the record topic. */
export async function corruptProtobuf(kit: ScenarioKit): Promise<DeadLetterRun> {
  const rig = kit.rig();
  // Field 1 (length-delimited) claims 5 bytes but only 1 follows.
  const sent = Uint8Array.from([0x0a, 0x05, 0x01]);
  const summary = await rig.record(sent);
  return { rig, summary, sent, deadLetter: await firstDeadLetter(rig, summary) };
}

/** FM-11 style: a payload with a zstd magic number but an invalid frame, on the batch topic. */
export async function notZstd(kit: ScenarioKit): Promise<DeadLetterRun> {
  const rig = kit.rig();
  const sent = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x01, 0x02, 0x03]);
  const summary = await rig.batch(sent);
  return { rig, summary, sent, deadLetter: await firstDeadLetter(rig, summary) };
}

/** FM-17 style: a small zstd frame that inflates to `decompressedBytes` of zeros. */
export async function zstdBomb(
  kit: ScenarioKit,
  decompressedBytes: number,
): Promise<DeadLetterRun> {
  const rig = kit.rig();
  const sent = Uint8Array.from(await compress(Buffer.alloc(decompressedBytes), 3));
  const summary = await rig.batch(sent);
  return { rig, summary, sent, deadLetter: await firstDeadLetter(rig, summary) };
}

/** FM-22 style: a valid batch of `records` records whose checksum is off by `crcDelta`. */
export async function corruptChecksum(
  kit: ScenarioKit,
  options: { records: number; crcDelta: number },
): Promise<DeadLetterRun & { readonly messageIds: readonly string[] }> {
  const rig = kit.rig();
  const records = Array.from({ length: options.records }, () => kit.freshRecord(rig));
  const sent = await kit.zstdBatch(
    rig,
    records.map((r) => r.bytes),
    options.crcDelta,
  );
  const summary = await rig.batch(sent);
  return {
    rig,
    summary,
    sent,
    deadLetter: await firstDeadLetter(rig, summary),
    messageIds: records.map((r) => r.messageId),
  };
}

/** Whether a record id was written to the records table. */
export async function isStored(rig: Rig, messageId: string): Promise<boolean> {
  return (await rig.ports.records.get(messageId)) !== undefined;
}

/** FM-10 style: one record delivered `copies` times at once, then once more after `windowMs`. */
export async function duplicateDelivery(
  kit: ScenarioKit,
  options: { copies: number; windowMs: number },
): Promise<{
  readonly rig: Rig;
  readonly messageId: string;
  readonly storm: readonly InvocationSummary[];
  readonly afterWindow: InvocationSummary;
  readonly stored: boolean;
}> {
  const rig = kit.rig();
  const { messageId, bytes } = kit.freshRecord(rig);
  const storm = await Promise.all(Array.from({ length: options.copies }, () => rig.record(bytes)));
  const stored = await isStored(rig, messageId);
  rig.clock += options.windowMs + 1;
  const afterWindow = await rig.record(bytes);
  return { rig, messageId, storm, afterWindow, stored };
}

/** Observation of a retried DynamoDB fault. */
export interface DownstreamRun {
  readonly rig: Rig;
  readonly summaries: readonly InvocationSummary[];
  /** Retry waits recorded per message. */
  readonly delaysPerMessage: readonly (readonly number[])[];
  /** Calls that reached the faulty client (or the mocked Timestream), per message. */
  readonly callsPerMessage: readonly number[];
  /** Breaker state of the faulty downstream after each message. */
  readonly statesAfter: readonly CircuitStateName[];
  /** Message ids sent, in order. */
  readonly messageIds: readonly string[];
}

async function sendRecords(
  kit: ScenarioKit,
  rig: Rig,
  messages: number,
  downstream: "dynamodb" | "timestream",
  calls: () => number,
): Promise<DownstreamRun> {
  const summaries: InvocationSummary[] = [];
  const delaysPerMessage: number[][] = [];
  const callsPerMessage: number[] = [];
  const statesAfter: CircuitStateName[] = [];
  const messageIds: string[] = [];
  for (let i = 0; i < messages; i++) {
    const before = { delays: rig.delays.length, calls: calls() };
    const { messageId, bytes } = kit.freshRecord(rig);
    messageIds.push(messageId);
    summaries.push(await rig.record(bytes));
    delaysPerMessage.push(rig.delays.slice(before.delays));
    callsPerMessage.push(calls() - before.calls);
    statesAfter.push(rig.breakers[downstream].state);
  }
  return { rig, summaries, delaysPerMessage, callsPerMessage, statesAfter, messageIds };
}

/**
 * FM-08 style: the records table answers ProvisionedThroughputExceededException to its first
 * `failures` calls (SDK middleware on a real dynalite client), then to `messages` records.
 */
export async function throttledDynamo(
  kit: ScenarioKit,
  options: { failures: number; messages: number },
): Promise<DownstreamRun> {
  const recordsClient = kit.dynalite.newClient();
  const counter = failFirstCalls(recordsClient, options.failures, () =>
    awsError("ProvisionedThroughputExceededException", 400),
  );
  const rig = kit.rig({ recordsClient });
  return sendRecords(kit, rig, options.messages, "dynamodb", () => counter.calls);
}

/** FM-09 style: every records-table call fails with "Cannot acquire connection from the pool". */
export async function poolExhausted(kit: ScenarioKit): Promise<DownstreamRun> {
  const recordsClient = kit.dynalite.newClient();
  const counter = failFirstCalls(
    recordsClient,
    Number.MAX_SAFE_INTEGER,
    () => new Error("Cannot acquire connection from the pool"),
  );
  const rig = kit.rig({ recordsClient });
  return sendRecords(kit, rig, 1, "dynamodb", () => counter.calls);
}

/**
 * FM-18 style: the records table's endpoint is a closed port (connection refused), for
 * `messages` records; the client's timeouts are the generated policy's.
 */
export async function dynamoUnreachable(
  kit: ScenarioKit,
  options: { messages: number },
): Promise<DownstreamRun> {
  const port = await closedPort();
  const timeouts = kit.handlers.downstreamPolicy.timeouts;
  const recordsClient = kit.dynalite.newClient({
    endpoint: `http://127.0.0.1:${port}`,
    ...(timeouts
      ? {
          requestHandler: {
            connectionTimeout: timeouts.connectMs,
            requestTimeout: timeouts.requestMs,
            throwOnRequestTimeout: true,
          },
        }
      : {}),
  });
  let calls = 0;
  recordsClient.middlewareStack.add((next) => (args) => (calls++, next(args)), {
    step: "initialize",
    name: "count-calls",
  });
  const rig = kit.rig({ recordsClient });
  return sendRecords(kit, rig, options.messages, "dynamodb", () => calls);
}

/** FM-19 style: Timestream answers HTTP 503 (ServiceUnavailableException) to every write. */
export async function timestream503(
  kit: ScenarioKit,
  options: { messages: number },
): Promise<DownstreamRun> {
  const rig = kit.rig();
  rig.timestream.on(WriteRecordsCommand).rejects(awsError("ServiceUnavailableException", 503));
  return sendRecords(
    kit,
    rig,
    options.messages,
    "timestream",
    () => rig.timestream.commandCalls(WriteRecordsCommand).length,
  );
}

/**
 * FM-15 style: Timestream rejects record `rejectIndex` of a batch of `records` as outside the
 * memory store's time range (RejectedRecordsException); the others are written.
 */
export async function timestreamRejects(
  kit: ScenarioKit,
  options: { records: number; rejectIndex: number },
): Promise<{
  readonly rig: Rig;
  readonly summary: InvocationSummary;
  readonly messageIds: string[];
}> {
  const rig = kit.rig();
  rig.timestream.on(WriteRecordsCommand).rejects(
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
  const records = Array.from({ length: options.records }, () => kit.freshRecord(rig));
  const summary = await rig.batch(
    await kit.zstdBatch(
      rig,
      records.map((r) => r.bytes),
    ),
  );
  return { rig, summary, messageIds: records.map((r) => r.messageId) };
}

/**
 * FM-12 style: BatchWriteItem withholds `withhold` items as UnprocessedItems on its first
 * `times` calls (the rest is really written by dynalite), for a batch of `records`.
 */
export async function unprocessedItems(
  kit: ScenarioKit,
  options: { records: number; withhold: number; times: number },
): Promise<{
  readonly rig: Rig;
  readonly summary: InvocationSummary;
  readonly batchWrites: number;
}> {
  const recordsClient = kit.dynalite.newClient();
  const counter = withholdBatchItems(recordsClient, options.withhold, options.times);
  const rig = kit.rig({ recordsClient });
  const records = Array.from({ length: options.records }, () => kit.freshRecord(rig).bytes);
  const summary = await rig.batch(await kit.zstdBatch(rig, records));
  return { rig, summary, batchWrites: counter.calls };
}

/**
 * FM-14 style: the Lambda context reports `remainingMs` left for the whole invocation (a
 * fixed figure: the handler's deadline is that minus the row's safety margin).
 */
export async function nearDeadline(
  kit: ScenarioKit,
  options: { remainingMs: number; records: number },
): Promise<{
  readonly rig: Rig;
  readonly record: InvocationSummary;
  readonly batch: InvocationSummary;
  readonly messageIds: readonly string[];
}> {
  const rig = kit.rig();
  const context = { getRemainingTimeInMillis: () => options.remainingMs };
  const single = kit.freshRecord(rig);
  const record = await rig.record(single.bytes, context);
  const records = Array.from({ length: options.records }, () => kit.freshRecord(rig));
  const batch = await rig.batch(
    await kit.zstdBatch(
      rig,
      records.map((r) => r.bytes),
    ),
    context,
  );
  return { rig, record, batch, messageIds: [single.messageId, ...records.map((r) => r.messageId)] };
}

/**
 * FM-21 style: records stamped `offsetsMs` away from the cloud clock (positive = from the
 * future), one invocation each; then, with the clock moved to `replayAtOffsetMs`, a replay of
 * `reason` (entries of that reason left by earlier tests are deleted first).
 */
export async function skewedClock(
  kit: ScenarioKit,
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
  for (const offset of options.offsetsMs) {
    summaries.push(await rig.record(kit.handlers.payloads.record(t0 + offset).bytes));
  }
  rig.clock = t0 + options.replayAtOffsetMs;
  const keys = summaries.flatMap((s) => s.dlqKeys);
  const replay = await rig.replay({ errorType: options.reason, limit: keys.length });
  rig.clock = t0;
  return { rig, summaries, replay };
}

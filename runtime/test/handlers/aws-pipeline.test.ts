/**
 * The handler runtime on the AWS adapters: DynamoDB is dynalite (a DynamoDB-API server), the
 * DLQ is s3rver (an S3-API server); Timestream is mocked with aws-sdk-client-mock because no
 * implementation of its API runs locally (its local twin, the SQLite sink, runs in the local
 * tests). Issue 10 regressions that must hold on the AWS adapters too.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ProvisionedThroughputExceededException } from "@aws-sdk/client-dynamodb";
import { RejectedRecordsException, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { messageKeyId } from "../../src/cloud/ports.js";
import { RedeliveryRequired, type InvocationSummary } from "../../src/handlers/outcome.js";
import { startDynalite, type DynaliteHandle } from "../support/dynalite.js";
import { startS3rver, type S3rverHandle } from "../support/s3rver.js";
import { awsError, failFirstCalls, withholdBatchItems } from "../cloud/faults.js";
import { AWS_TABLES, awsRig, type AwsRig } from "./aws-rig.js";
import { invoke, storedIn } from "./rigs.js";
import {
  CAR_A,
  KV,
  SERIES,
  T0,
  batchTopic,
  encodeReading,
  reading,
  recordTopic,
  ruleEvent,
  zstdBatch,
} from "./test-spec.js";

let dyn: DynaliteHandle;
let s3: S3rverHandle;
beforeAll(async () => {
  [dyn, s3] = await Promise.all([
    startDynalite([
      { name: AWS_TABLES.records, partitionKey: "pk" },
      { name: AWS_TABLES.dedup, partitionKey: "pk" },
    ]),
    startS3rver("dlq"),
  ]);
});
afterAll(async () => {
  await Promise.all([dyn?.close(), s3?.close()]);
});
let rig: AwsRig;
afterEach(async () => {
  rig?.timestream.restore();
  // Each test reads only what it wrote; the DLQ is emptied so listings stay per test.
  if (rig) for (const key of await rig.ports.dlq.list("dlq/")) await rig.ports.dlq.delete(key);
});

const keyOf = (messageId: string) => messageKeyId({ vehicleId: CAR_A, messageId });

async function entries(r: AwsRig) {
  const keys = await r.ports.dlq.list("dlq/");
  return Promise.all(keys.map(async (k) => (await r.ports.dlq.get(k))!));
}

describe("AWS adapters: effectively once", () => {
  it("a storm of 20 redeliveries stores once and counts 19 duplicates", async () => {
    rig = awsRig(dyn, s3);
    const m = reading();
    const event = ruleEvent(recordTopic(CAR_A), encodeReading(m));
    const results = [];
    for (let i = 0; i < 20; i++) results.push((await rig.record(event)) as InvocationSummary);
    expect(results.reduce((n, r) => n + r.stored, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(19);
    expect(rig.timestream.commandCalls(WriteRecordsCommand)).toHaveLength(1);
  });

  it("defect 1: a claim left in progress by a killed invocation is not a duplicate; the redelivery after the lease stores it", async () => {
    rig = awsRig(dyn, s3);
    const m = reading();
    // The killed invocation: it claimed, then died before its writes (no complete, no release).
    await rig.ports.dedup!.claim({ vehicleId: CAR_A, messageId: m.messageId }, rig.clock, {
      windowMs: 300_000,
      leaseMs: 10_000,
    });
    const event = ruleEvent(recordTopic(CAR_A), encodeReading(m));
    // Inside the lease: the invocation fails so the platform redelivers (not dropped as a dup).
    const early = await invoke(rig.record, event);
    expect(early).toBeInstanceOf(RedeliveryRequired);
    expect(await storedIn(rig.ports, KV, [keyOf(m.messageId)])).toEqual([]);
    // The platform's retry comes after the function timeout: the claim is taken over.
    rig.clock += 10_001;
    const late = (await rig.record(event)) as InvocationSummary;
    expect(late).toMatchObject({ stored: 1, duplicates: 0 });
    expect(await storedIn(rig.ports, KV, [keyOf(m.messageId)])).toEqual([keyOf(m.messageId)]);
    expect(((await rig.record(event)) as InvocationSummary).duplicates).toBe(1);
  });

  it("defect 2: a time-series reject after the record write: partial success per sink; replay re-drives only the series", async () => {
    rig = awsRig(dyn, s3);
    const m = reading();
    rig.timestream.on(WriteRecordsCommand).rejectsOnce(
      new RejectedRecordsException({
        message: "rejected",
        $metadata: {},
        RejectedRecords: [
          {
            RecordIndex: 0,
            Reason: "The record timestamp is outside the time range of the memory store.",
          },
        ],
      }),
    );
    const s = (await rig.record(
      ruleEvent(recordTopic(CAR_A), encodeReading(m)),
    )) as InvocationSummary;
    expect(s).toMatchObject({ stored: 0, partial: 1, deadLettered: 1 });
    expect(await storedIn(rig.ports, KV, [keyOf(m.messageId)])).toEqual([keyOf(m.messageId)]);
    const [entry] = await entries(rig);
    expect(entry).toMatchObject({
      reasonCode: "SERIES_REFUSED",
      pendingSinks: [SERIES],
      type: "record",
    });
    const replay = await rig.replay();
    expect(replay).toMatchObject({ replayed: 1, failed: 0 });
    expect(rig.timestream.commandCalls(WriteRecordsCommand)).toHaveLength(2);
    expect(rig.metrics.counter("written", { downstream: KV })).toBe(1);
    expect(rig.metrics.counter("written", { downstream: SERIES })).toBe(1);
    // Stored completely now: a late redelivery is a duplicate.
    const again = (await rig.record(
      ruleEvent(recordTopic(CAR_A), encodeReading(m)),
    )) as InvocationSummary;
    expect(again.duplicates).toBe(1);
  });

  it("the time-series store down (503): record held by kv, dead-lettered with its reason, breaker counts it", async () => {
    rig = awsRig(dyn, s3);
    rig.timestream.on(WriteRecordsCommand).rejects(awsError("ServiceUnavailable", 503));
    const m = reading();
    await rig.record(ruleEvent(recordTopic(CAR_A), encodeReading(m)));
    const [entry] = await entries(rig);
    expect(entry).toMatchObject({
      reasonCode: "SERIES_DOWN",
      signal: "unavailable",
      downstream: SERIES,
      pendingSinks: [SERIES],
    });
    expect(rig.metrics.counter("downErrors", { downstream: SERIES, signal: "unavailable" })).toBe(
      1,
    );
    expect(rig.breakers.get(SERIES).failuresInWindow).toBe(1);
  });

  it("kv throttling: retried on the schedule then stored; persistent throttling is dead-lettered as KV_BUSY", async () => {
    const throttled = () =>
      new ProvisionedThroughputExceededException({
        message: "throttled (injected)",
        $metadata: {},
      });
    const recordsClient = dyn.newClient();
    failFirstCalls(recordsClient, 2, throttled);
    rig = awsRig(dyn, s3, { recordsClient });
    const ok = (await rig.record(
      ruleEvent(recordTopic(CAR_A), encodeReading(reading())),
    )) as InvocationSummary;
    expect(ok.stored).toBe(1);
    expect(rig.delays).toEqual([100, 200]);
    const stuck = dyn.newClient();
    failFirstCalls(stuck, 100, throttled);
    rig = awsRig(dyn, s3, { recordsClient: stuck });
    await rig.record(ruleEvent(recordTopic(CAR_A), encodeReading(reading())));
    const [entry] = await entries(rig);
    expect(entry).toMatchObject({ reasonCode: "KV_BUSY", signal: "throttled", downstream: KV });
  });

  it("partial batch write: withheld items retried, the rest dead-lettered per record as partial-write (default reason)", async () => {
    const recordsClient = dyn.newClient();
    withholdBatchItems(recordsClient, 2, 10);
    rig = awsRig(dyn, s3, { recordsClient });
    const records = [reading(), reading(), reading(), reading()];
    const s = (await rig.batch(
      ruleEvent(batchTopic(CAR_A), await zstdBatch(records.map(encodeReading))),
    )) as InvocationSummary;
    expect(s).toMatchObject({ received: 4, stored: 2, deadLettered: 2, partial: 2 });
    const dead = await entries(rig);
    expect(dead.map((e) => e.reasonCode)).toEqual(["KV_PARTIAL_WRITE", "KV_PARTIAL_WRITE"]);
    expect(dead.every((e) => e.pendingSinks?.join() === KV)).toBe(true);
    expect(rig.metrics.counter("partial", { downstream: KV })).toBe(2);
    // Replay (the table is healthy again): only kv is written.
    const seriesCalls = rig.timestream.commandCalls(WriteRecordsCommand).length;
    rig = awsRig(dyn, s3);
    expect(await rig.replay()).toMatchObject({ replayed: 2, failed: 0 });
    expect(rig.timestream.commandCalls(WriteRecordsCommand)).toHaveLength(0);
    expect(seriesCalls).toBe(1);
    const keys = records.map((r) => keyOf(r.messageId));
    expect(await storedIn(rig.ports, KV, keys)).toEqual(keys);
  });

  it("a bad checksum dead-letters the batch whole as a batch entry; replay re-drives it as a batch", async () => {
    rig = awsRig(dyn, s3);
    const records = [reading(), reading()];
    const payload = await zstdBatch(records.map(encodeReading), { crcDelta: 1 });
    await rig.batch(ruleEvent(batchTopic(CAR_A), payload));
    const [entry] = await entries(rig);
    expect(entry).toMatchObject({ type: "batch", operation: "sendBatch", reasonCode: "BAD_CRC" });
    expect(await rig.replay()).toMatchObject({ replayed: 0, failed: 1 });
  });

  it("the deadline: nothing written when no time is left, every record dead-lettered", async () => {
    rig = awsRig(dyn, s3);
    const records = [reading(), reading()];
    const s = (await rig.batch(
      ruleEvent(batchTopic(CAR_A), await zstdBatch(records.map(encodeReading))),
      { getRemainingTimeInMillis: () => 100 },
    )) as InvocationSummary;
    expect(s).toMatchObject({ stored: 0, deadLettered: 2 });
    expect((await entries(rig)).every((e) => e.signal === "deadline-exceeded")).toBe(true);
    expect(T0).toBe(rig.clock);
  });
});

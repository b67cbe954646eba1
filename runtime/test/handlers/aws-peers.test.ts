/**
 * The generated handlers on the AWS adapters, failure mode by failure mode. DynamoDB is a real
 * DynamoDB-API server (dynalite) and the DLQ a real S3-API server (s3rver); Timestream is
 * mocked with aws-sdk-client-mock because no implementation of its API runs locally (its
 * local twin, the SQLite sink, runs in the generated package's end-to-end test).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import {
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from "@aws-sdk/client-timestream-write";
import { compress } from "@mongodb-js/zstd";
import { batchProcessorPolicy, handlerMetrics, reasons } from "@v2c/handlers";
import { deadLetterPayload } from "../../src/cloud/dlq-entry.js";
import { startDynalite, type DynaliteHandle } from "../support/dynalite.js";
import { startS3rver, type S3rverHandle } from "../support/s3rver.js";
import { awsError, closedPort, failFirstCalls, withholdBatchItems } from "../cloud/faults.js";
import {
  BATCH_TOPIC,
  DEDUP_TABLE,
  OTHER_VIN,
  RECORDS_TABLE,
  RECORD_TOPIC,
  T0,
  VIN,
  awsHandlers,
  batchBytes,
  encode,
  ruleEvent,
  telemetry,
  zstdBatch,
} from "./fixtures.js";

const timestream = mockClient(TimestreamWriteClient);
let dyn: DynaliteHandle;
let s3: S3rverHandle;

beforeAll(async () => {
  [dyn, s3] = await Promise.all([
    startDynalite([
      { name: RECORDS_TABLE, partitionKey: "message_id" },
      { name: DEDUP_TABLE, partitionKey: "pk" },
    ]),
    startS3rver("v2c-dlq"),
  ]);
});
afterAll(async () => {
  await Promise.all([dyn?.close(), s3?.close()]);
});
beforeEach(() => {
  timestream.reset();
  timestream.on(WriteRecordsCommand).resolves({});
});
afterEach(async () => {
  // Each test reads only what it wrote; the DLQ is emptied so listings stay per test.
  const h = setup();
  for (const key of await h.ports.dlq.list("dlq/")) await h.ports.dlq.delete(key);
});

function setup(overrides: { recordsClient?: ReturnType<DynaliteHandle["newClient"]> } = {}) {
  return awsHandlers({
    dedupClient: dyn.newClient(),
    recordsClient: overrides.recordsClient ?? dyn.newClient(),
    s3: s3.client,
    bucket: s3.bucket,
  });
}

const code = (c: keyof typeof reasons) => reasons[c].code;

describe("validation rejections go to the S3 DLQ with a reason and are counted", () => {
  it("FM-07 protobuf parsing failure: corrupt bytes are dead-lettered as received", async () => {
    const h = setup();
    const corrupt = Uint8Array.from([0x0a, 0x05, 0x01]);
    const out = await h.record(ruleEvent(RECORD_TOPIC, corrupt));
    expect(out).toMatchObject({ stored: 0, deadLettered: 1 });
    expect(out.dlqKeys[0]).toMatch(
      new RegExp(`^dlq/${code("protobuf-parse")}/2026/01/15/${VIN}/unparsed-`),
    );
    const entry = await h.ports.dlq.get(out.dlqKeys[0]!);
    expect([...deadLetterPayload(entry!)]).toEqual([...corrupt]);
    expect(h.metrics.counter(handlerMetrics.rejected, { reason: code("protobuf-parse") })).toBe(1);
    expect(h.metrics.counter(handlerMetrics.dlqCount, { reason: code("protobuf-parse") })).toBe(1);
    expect(h.metrics.counter(handlerMetrics.failed, { operation: "publishTelemetry" })).toBe(1);
  });

  it("range violation, schema version and topic/VIN mismatch each get their own reason", async () => {
    const h = setup();
    const range = await h.record(
      ruleEvent(RECORD_TOPIC, encode(telemetry({ powertrain: { speedKph: 999 } as never }))),
    );
    const schema = await h.record(ruleEvent(RECORD_TOPIC, encode(telemetry({ schemaVersion: 7 }))));
    const vin = await h.record(
      ruleEvent(RECORD_TOPIC, encode(telemetry({ vehicleId: OTHER_VIN }))),
    );
    const topic = await h.record(
      ruleEvent("v2c/v1/us-east-1/not-a-vin/telemetry/vehicle", encode(telemetry())),
    );
    expect(range.dlqKeys[0]).toContain(`dlq/${code("range-violation")}/`);
    expect(schema.dlqKeys[0]).toContain(`dlq/${code("schema-version")}/`);
    expect(vin.dlqKeys[0]).toContain(`dlq/${code("vehicle-mismatch")}/`);
    expect(topic.dlqKeys[0]).toContain(`dlq/${code("vehicle-mismatch")}/`);
    const entry = await h.ports.dlq.get(range.dlqKeys[0]!);
    expect(entry?.detail).toContain("powertrain.speed_kph 999 is above 300");
    expect(timestream.commandCalls(WriteRecordsCommand)).toHaveLength(0);
  });

  it("FM-21 clock skew: too far ahead or older than the max age is rejected", async () => {
    const h = setup();
    const ahead = await h.record(
      ruleEvent(RECORD_TOPIC, encode(telemetry({ timestampMs: T0 + 61_000 }))),
    );
    const old = await h.record(
      ruleEvent(RECORD_TOPIC, encode(telemetry({ timestampMs: T0 - 86_400_001 }))),
    );
    const within = await h.record(
      ruleEvent(RECORD_TOPIC, encode(telemetry({ timestampMs: T0 + 59_000 }))),
    );
    expect(ahead.dlqKeys[0]).toContain(`dlq/${code("clock-skew")}/`);
    expect(old.dlqKeys[0]).toContain(`dlq/${code("clock-skew")}/`);
    expect(within.stored).toBe(1);
  });
});

describe("dedup (FM-10)", () => {
  it("FM-10 duplicate message: a storm of 20 redeliveries stores once and counts 19 duplicates", async () => {
    const h = setup();
    const t = telemetry();
    const payload = encode(t);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => h.record(ruleEvent(RECORD_TOPIC, payload))),
    );
    expect(results.filter((r) => r.stored === 1)).toHaveLength(1);
    expect(h.metrics.counter(handlerMetrics.duplicates, { operation: "publishTelemetry" })).toBe(
      19,
    );
    expect((await h.ports.records.get(t.messageId))?.data).toMatchObject({ vehicleId: VIN });
    expect(timestream.commandCalls(WriteRecordsCommand)).toHaveLength(1);
  });

  it("FM-10 duplicate message on the batch path: per record, also inside one batch and across resends", async () => {
    const h = setup();
    const records = Array.from({ length: 10 }, () => encode(telemetry()));
    const payload = await zstdBatch([...records, records[0]!]);
    const first = await h.batch(ruleEvent(BATCH_TOPIC, payload));
    const resend = await h.batch(ruleEvent(BATCH_TOPIC, payload));
    expect(first).toMatchObject({ received: 11, stored: 10, duplicates: 1, deadLettered: 0 });
    expect(resend).toMatchObject({ received: 11, stored: 0, duplicates: 11 });
  });
});

describe("DynamoDB failures (FM-08, FM-09, FM-12, FM-18) and the circuit breaker", () => {
  it("FM-08 DynamoDB throttling: retried on FM-08's schedule, then stored; persistent throttling is dead-lettered", async () => {
    const recordsClient = dyn.newClient();
    failFirstCalls(recordsClient, 2, () => awsError("ProvisionedThroughputExceededException", 400));
    const h = setup({ recordsClient });
    const ok = await h.record(ruleEvent(RECORD_TOPIC, encode(telemetry())));
    expect(ok.stored).toBe(1);
    expect(h.delays).toEqual([100, 200]);
    expect(h.metrics.counterTotal(handlerMetrics.throttled)).toBe(2);

    const stuck = dyn.newClient();
    failFirstCalls(stuck, 1000, () => awsError("ProvisionedThroughputExceededException", 400));
    const h2 = setup({ recordsClient: stuck });
    const t = telemetry();
    const failed = await h2.record(ruleEvent(RECORD_TOPIC, encode(t)));
    expect(failed.dlqKeys[0]).toContain(`dlq/${code("dynamodb-throttled")}/`);
    expect(h2.delays).toEqual([100, 200, 400]);
    // The claim was released: the redelivery is not a duplicate.
    expect(await h2.ports.dedup.claim(t.messageId, T0, 1000)).toBe("new");
  });

  it("FM-09 connection pool exhausted: 'cannot acquire connection' goes to the DLQ as POOL_EXHAUSTED", async () => {
    const recordsClient = dyn.newClient();
    failFirstCalls(recordsClient, 1000, () => new Error("Cannot acquire connection from the pool"));
    const h = setup({ recordsClient });
    const out = await h.record(ruleEvent(RECORD_TOPIC, encode(telemetry())));
    expect(out.dlqKeys[0]).toContain(`dlq/${code("pool-exhausted")}/`);
  });

  it("FM-18 DynamoDB connection failure: dead-lettered, circuit opens after FM-08's threshold, manual reset closes it", async () => {
    const port = await closedPort();
    const recordsClient = dyn.newClient({ endpoint: `http://127.0.0.1:${port}` });
    const h = setup({ recordsClient });
    const threshold = 10;
    for (let i = 0; i < threshold; i++) {
      const out = await h.record(ruleEvent(RECORD_TOPIC, encode(telemetry())));
      expect(out.dlqKeys[0]).toContain(`dlq/${code("dynamodb-unavailable")}/`);
    }
    expect(h.breakers.dynamodb.state).toBe("open");
    const before = h.delays.length;
    const fast = await h.record(ruleEvent(RECORD_TOPIC, encode(telemetry())));
    expect(fast.dlqKeys[0]).toContain(`dlq/${code("dynamodb-unavailable")}/`);
    expect((await h.ports.dlq.get(fast.dlqKeys[0]!))?.detail).toContain("circuit open");
    expect(h.delays.length).toBe(before); // not attempted: no retries
    h.breakers.reset("dynamodb");
    expect(h.breakers.states()).toEqual({ dynamodb: "closed", timestream: "closed" });
  });

  it("FM-12 partial batch failure: UnprocessedItems retried 3x at 100/200/400 ms, the rest dead-lettered", async () => {
    const recordsClient = dyn.newClient();
    withholdBatchItems(recordsClient, 5, 100);
    const h = setup({ recordsClient });
    const records = Array.from({ length: 25 }, () => encode(telemetry()));
    const out = await h.batch(ruleEvent(BATCH_TOPIC, await zstdBatch(records)));
    expect(out).toMatchObject({ received: 25, stored: 20, deadLettered: 5 });
    expect(h.delays).toEqual([100, 200, 400]);
    expect(out.dlqKeys.every((k) => k.startsWith(`dlq/${code("unprocessed-items")}/`))).toBe(true);
    expect(h.metrics.counterTotal(handlerMetrics.unprocessed)).toBe(5);

    const recovering = dyn.newClient();
    withholdBatchItems(recovering, 5, 2);
    const h2 = setup({ recordsClient: recovering });
    const out2 = await h2.batch(
      ruleEvent(
        BATCH_TOPIC,
        await zstdBatch(Array.from({ length: 25 }, () => encode(telemetry()))),
      ),
    );
    expect(out2).toMatchObject({ stored: 25, deadLettered: 0 });
  });
});

describe("Timestream failures (mocked Timestream)", () => {
  it("FM-19 Timestream service unavailable: 503 retried, then dead-lettered with the claim released", async () => {
    timestream.on(WriteRecordsCommand).rejects(awsError("ServiceUnavailableException", 503));
    const h = setup();
    const t = telemetry();
    const out = await h.record(ruleEvent(RECORD_TOPIC, encode(t)));
    expect(out.dlqKeys[0]).toContain(`dlq/${code("timestream-unavailable")}/`);
    expect(timestream.commandCalls(WriteRecordsCommand)).toHaveLength(4);
    // Counted with the dimensions FM-19's alarm filters on, so the alarm can fire.
    expect(
      h.metrics.counter(
        handlerMetrics.timeSeriesErrors,
        reasons["timestream-unavailable"].alarmDimensions,
      ),
    ).toBe(1);
    expect(await h.ports.dedup.claim(t.messageId, T0, 1000)).toBe("new");
  });

  it("FM-15 Timestream out-of-order: RejectedRecords go to the DLQ, the other records are stored", async () => {
    timestream.on(WriteRecordsCommand).rejects(
      new RejectedRecordsException({
        message: "rejected",
        $metadata: {},
        RejectedRecords: [
          {
            RecordIndex: 1,
            Reason: "The record timestamp is outside the time range of the memory store.",
          },
        ],
      }),
    );
    const h = setup();
    const records = Array.from({ length: 3 }, () => encode(telemetry()));
    const out = await h.batch(ruleEvent(BATCH_TOPIC, await zstdBatch(records)));
    expect(out).toMatchObject({ stored: 2, deadLettered: 1 });
    expect(out.dlqKeys[0]).toContain(`dlq/${code("timestream-rejected")}/`);
    expect(h.metrics.counterTotal(handlerMetrics.timeSeriesRejected)).toBe(1);
  });
});

describe("batch envelope failures", () => {
  it("FM-11 decompression failure: a payload that is not zstd is dead-lettered whole, raw", async () => {
    const h = setup();
    const garbage = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x01, 0x02, 0x03]);
    const out = await h.batch(ruleEvent(BATCH_TOPIC, garbage));
    expect(out.dlqKeys[0]).toContain(`dlq/${code("decompression")}/`);
    expect([...deadLetterPayload((await h.ports.dlq.get(out.dlqKeys[0]!))!)]).toEqual([...garbage]);
  });

  it("FM-17 Lambda memory exhausted: a zstd bomb over the decompressed cap is refused before inflating", async () => {
    const h = setup();
    const bomb = await compress(Buffer.alloc(batchProcessorPolicy.maxDecompressedBytes * 4), 3);
    expect(bomb.byteLength).toBeLessThan(batchProcessorPolicy.maxCompressedBytes);
    const out = await h.batch(ruleEvent(BATCH_TOPIC, bomb));
    expect(out.dlqKeys[0]).toContain(`dlq/${code("decompressed-too-large")}/`);
  });

  it("oversize batches: over the compressed limit, or more records than max_items", async () => {
    const h = setup();
    const big = await h.batch(
      ruleEvent(BATCH_TOPIC, new Uint8Array(batchProcessorPolicy.maxCompressedBytes + 1)),
    );
    expect(big.dlqKeys[0]).toContain(`dlq/${code("batch-too-large")}/`);
    const many = Array.from({ length: 51 }, () => encode(telemetry()));
    const out = await h.batch(ruleEvent(BATCH_TOPIC, await zstdBatch(many)));
    expect(out.dlqKeys[0]).toContain(`dlq/${code("range-violation")}/`);
    expect((await h.ports.dlq.get(out.dlqKeys[0]!))?.detail).toContain("more than 50");
  });

  it("FM-22 payload corruption: a CRC-32 mismatch dead-letters the batch whole, nothing stored", async () => {
    const h = setup();
    const records = Array.from({ length: 3 }, () => encode(telemetry()));
    const payload = await compress(Buffer.from(batchBytes(records, 0x10)), 3);
    const out = await h.batch(ruleEvent(BATCH_TOPIC, payload));
    expect(out).toMatchObject({ stored: 0, deadLettered: 1 });
    expect(out.dlqKeys[0]).toContain(`dlq/${code("checksum-mismatch")}/`);
    expect(timestream.commandCalls(WriteRecordsCommand)).toHaveLength(0);
  });

  it("FM-14 Lambda timeout: records left at the deadline are dead-lettered, the finished ones stored", async () => {
    const h = setup();
    const records = Array.from({ length: 10 }, () => encode(telemetry()));
    // Each look at the clock costs 1 s of a 6.5 s budget: the margin is hit after a few records.
    let remaining = 6_500;
    const context = { getRemainingTimeInMillis: () => (remaining -= 1000) };
    const out = await h.batch(ruleEvent(BATCH_TOPIC, await zstdBatch(records)), context);
    expect(out.stored + out.deadLettered).toBe(10);
    expect(out.deadLettered).toBeGreaterThan(0);
    expect(out.dlqKeys.every((k) => k.startsWith(`dlq/${code("deadline")}/`))).toBe(true);
  });
});

describe("DLQ replay (Procedure 1)", () => {
  it("after a DynamoDB outage is fixed, replay restores exactly the failed messages, once", async () => {
    const broken = dyn.newClient();
    failFirstCalls(broken, 1000, () => awsError("ServiceUnavailableException", 503));
    const outage = setup({ recordsClient: broken });
    const sent = Array.from({ length: 5 }, () => telemetry());
    for (const t of sent) await outage.record(ruleEvent(RECORD_TOPIC, encode(t)));
    const batch = Array.from({ length: 4 }, () => telemetry());
    await outage.batch(ruleEvent(BATCH_TOPIC, await zstdBatch(batch.map(encode))));
    expect(await outage.ports.dlq.list(`dlq/${code("dynamodb-unavailable")}/`)).toHaveLength(9);

    const fixed = setup();
    const summary = await fixed.replay({ errorType: code("dynamodb-unavailable") });
    expect(summary).toEqual({
      listed: 9,
      replayed: 9,
      duplicates: 0,
      failed: 0,
      deadLettered: 0,
      remaining: 0,
    });
    expect(fixed.metrics.counterTotal(handlerMetrics.replayProgress)).toBe(9);
    for (const t of [...sent, ...batch])
      expect(await fixed.ports.records.get(t.messageId)).toBeDefined();
    expect(await fixed.ports.dlq.list("dlq/")).toEqual([]);
    // The vehicle's late resend of a replayed message is now a duplicate, not a second row.
    const resend = await fixed.record(ruleEvent(RECORD_TOPIC, encode(sent[0]!)));
    expect(resend.duplicates).toBe(1);
    expect(await fixed.replay({})).toMatchObject({ listed: 0, replayed: 0 });
  });

  it("entries that fail again stay in the DLQ unchanged", async () => {
    const h = setup();
    const bad = await h.record(
      ruleEvent(RECORD_TOPIC, encode(telemetry({ vehicleId: OTHER_VIN }))),
    );
    const summary = await h.replay({ prefix: "dlq/" });
    expect(summary).toMatchObject({ listed: 1, replayed: 0, failed: 1 });
    expect(await h.ports.dlq.list("dlq/")).toEqual(bad.dlqKeys);
  });
});

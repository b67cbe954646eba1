/**
 * Issue 10 regressions on the local adapters (SQLite + filesystem DLQ): each test reproduces
 * a defect of the old pipeline, then shows the fix.
 */
import { afterEach, describe, expect, it } from "vitest";
import { messageKeyId } from "../../src/cloud/ports.js";
import type { InvocationSummary } from "../../src/handlers/outcome.js";
import { ruleActionDeadLetterEntry } from "../../src/cloud/dlq-entry.js";
import { localRig, storedIn, type LocalRig } from "./rigs.js";
import {
  CAR_A,
  CAR_B,
  KV,
  MAX_PACKET,
  SERIES,
  T0,
  batchTopic,
  encodeReading,
  reading,
  recordTopic,
  ruleEvent,
  zstdBatch,
} from "./test-spec.js";

let rig: LocalRig;
afterEach(() => rig?.close());

function seriesRows(r: LocalRig): number {
  return (r.ports.db.prepare(`SELECT count(*) AS n FROM series_${SERIES}`).get() as { n: number })
    .n;
}

async function dlqEntries(r: LocalRig) {
  const keys = await r.ports.dlq.list("dlq/");
  return Promise.all(keys.map(async (k) => ({ key: k, entry: (await r.ports.dlq.get(k))! })));
}

describe("local pipeline: stored once, every reject in the DLQ with a reason", () => {
  it("stores a valid record in both sinks; a redelivery is a duplicate", async () => {
    rig = localRig();
    const m = reading();
    const event = ruleEvent(recordTopic(CAR_A), encodeReading(m));
    const first = (await rig.record(event)) as InvocationSummary;
    const second = (await rig.record(event)) as InvocationSummary;
    expect(first).toMatchObject({ stored: 1, deadLettered: 0 });
    expect(second).toMatchObject({ stored: 0, duplicates: 1, deadLettered: 0 });
    const key = messageKeyId({ vehicleId: CAR_A, messageId: m.messageId });
    expect(await storedIn(rig.ports, KV, [key])).toEqual([key]);
    expect(seriesRows(rig)).toBe(1);
    expect(rig.ports.metrics.counter("written", { downstream: KV })).toBe(1);
    expect(rig.ports.metrics.counter("written", { downstream: SERIES })).toBe(1);
  });

  it("defect 2: a time-series reject after the record write is tracked per sink; replay writes only the series and succeeds", async () => {
    rig = localRig();
    // Older than the series' memory retention (3 days) but inside the max age (7 days).
    const m = reading({ timeMs: T0 - 4 * 86_400_000 });
    const summary = (await rig.record(
      ruleEvent(recordTopic(CAR_A), encodeReading(m)),
    )) as InvocationSummary;
    expect(summary).toMatchObject({ stored: 0, partial: 1, deadLettered: 1 });
    const [dead] = await dlqEntries(rig);
    expect(dead!.entry).toMatchObject({
      type: "record",
      operation: "sendReading",
      reasonCode: "SERIES_REFUSED",
      signal: "rejected",
      downstream: SERIES,
      pendingSinks: [SERIES],
    });
    // The old pipeline's replay failed forever here; now: the retention moves on (the clock
    // goes back inside it, as after a retention change) and replay re-drives only the series.
    rig.clock = T0 - 3 * 86_400_000;
    const replay = await rig.replay();
    expect(replay).toMatchObject({ replayed: 1, failed: 0 });
    expect(seriesRows(rig)).toBe(1);
    expect(await rig.ports.dlq.list("dlq/")).toEqual([]);
    // The record write was not repeated.
    expect(rig.ports.metrics.counter("written", { downstream: KV })).toBe(1);
  });

  it("defect 5: another vehicle reusing a message id neither suppresses nor overwrites it", async () => {
    rig = localRig();
    const a = reading({ vehicleId: CAR_A, value: 1 });
    const b = { ...a, vehicleId: CAR_B, value: 2 };
    const ra = (await rig.record(
      ruleEvent(recordTopic(CAR_A), encodeReading(a)),
    )) as InvocationSummary;
    const rb = (await rig.record(
      ruleEvent(recordTopic(CAR_B), encodeReading(b)),
    )) as InvocationSummary;
    expect(ra.stored).toBe(1);
    expect(rb).toMatchObject({ stored: 1, duplicates: 0 });
    const store = rig.ports.downstreams[KV]!;
    if (store.kind !== "key-value-store") throw new Error("kv");
    const ka = await store.store.get(messageKeyId({ vehicleId: CAR_A, messageId: a.messageId }));
    const kb = await store.store.get(messageKeyId({ vehicleId: CAR_B, messageId: a.messageId }));
    expect(ka?.data.value).toBe(1);
    expect(kb?.data.value).toBe(2);
  });

  it("defect 5: a payload naming another vehicle than its topic is rejected, not stored", async () => {
    rig = localRig();
    const m = reading({ vehicleId: CAR_B });
    const s = (await rig.record(
      ruleEvent(recordTopic(CAR_A), encodeReading(m)),
    )) as InvocationSummary;
    expect(s).toMatchObject({ stored: 0, deadLettered: 1 });
    const [dead] = await dlqEntries(rig);
    expect(dead!.entry.reasonCode).toBe("VEHICLE_MISMATCH");
  });

  it("defect 6: two batches reusing a batch id keep both DLQ entries for their bad records", async () => {
    rig = localRig();
    const bad = encodeReading(reading({ value: 5000 })); // out of range
    const bad2 = encodeReading(reading({ value: -5000 }));
    await rig.batch(ruleEvent(batchTopic(CAR_A), await zstdBatch([bad], { batchId: "same" })));
    await rig.batch(ruleEvent(batchTopic(CAR_A), await zstdBatch([bad2], { batchId: "same" })));
    const entries = await dlqEntries(rig);
    expect(entries).toHaveLength(2);
    expect(new Set(entries.map((e) => e.entry.payloadBase64)).size).toBe(2);
    expect(entries.every((e) => e.entry.reasonCode === "RANGE_VIOLATION")).toBe(true);
  });

  it("defect 6: dead-lettering the same undecodable bytes twice keeps two entries", async () => {
    rig = localRig();
    const junk = Buffer.from([0xff, 0xff, 0xff]);
    await rig.record(ruleEvent(recordTopic(CAR_A), junk));
    await rig.record(ruleEvent(recordTopic(CAR_A), junk));
    expect(await rig.ports.dlq.list("dlq/BAD_PAYLOAD/")).toHaveLength(2);
  });

  it("defect 9: an enum value outside its enum is rejected with a reason (the number is not lost as UNRECOGNIZED)", async () => {
    rig = localRig();
    const m = reading({ mode: 7 });
    const s = (await rig.record(
      ruleEvent(recordTopic(CAR_A), encodeReading(m)),
    )) as InvocationSummary;
    expect(s).toMatchObject({ stored: 0, deadLettered: 1 });
    const [dead] = await dlqEntries(rig);
    expect(dead!.entry.reasonCode).toBe("RANGE_VIOLATION");
    expect(dead!.entry.detail).toContain("mode = 7");
  });

  it("defect 9: an empty payload is a parse failure, not a schema-version mismatch", async () => {
    rig = localRig();
    await rig.record(ruleEvent(recordTopic(CAR_A), new Uint8Array(0)));
    const [dead] = await dlqEntries(rig);
    expect(dead!.entry).toMatchObject({ reasonCode: "BAD_PAYLOAD", signal: "decode-error" });
  });

  it("defect 9: a payload above the packet limit is refused before base64 decoding; invalid base64 is a parse failure", async () => {
    rig = localRig();
    // ~18 MiB once decoded; a flat string, as JSON.parse gives a function its event.
    const huge = Buffer.alloc(24 * 1024 * 1024, "A").toString("latin1");
    await rig.record(ruleEvent(recordTopic(CAR_A), "AAAA")); // warm-up (first DLQ write)
    const heapBefore = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    const s = (await rig.record(ruleEvent(recordTopic(CAR_A), huge))) as InvocationSummary;
    const elapsed = performance.now() - started;
    expect(s).toMatchObject({ stored: 0, deadLettered: 1 });
    // Decoding it would allocate ~18 MiB; the gross time bound tolerates a loaded machine.
    expect(elapsed).toBeLessThan(1000);
    // No buffer of the payload's size was allocated.
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(1024 * 1024);
    await rig.record(ruleEvent(recordTopic(CAR_A), "not base64!!"));
    const entries = await dlqEntries(rig);
    const codes = entries.map((e) => e.entry.reasonCode).sort();
    expect(codes).toEqual(["BAD_PAYLOAD", "BAD_PAYLOAD", "TOO_LARGE"]);
    const tooLarge = entries.find((e) => e.entry.reasonCode === "TOO_LARGE")!.entry;
    expect(tooLarge.detail).toContain(`${MAX_PACKET}-byte limit`);
  });

  it("defect 3: a batch dead-lettered by the rules engine is typed and replays as a batch", async () => {
    rig = localRig();
    const records = [reading(), reading(), reading()];
    const payload = await zstdBatch(records.map(encodeReading));
    const entry = ruleActionDeadLetterEntry({
      operation: "sendBatch",
      type: "batch",
      reasonCode: "RULE_ACTION_FAILED",
      error: new Error("handler crashed"),
      vehicleId: CAR_A,
      topic: batchTopic(CAR_A),
      receivedAt: T0,
      payload,
      id: "rule-abc",
    });
    const key = await rig.ports.dlq.put(entry);
    expect(key.startsWith("dlq/RULE_ACTION_FAILED/")).toBe(true);
    const replay = await rig.replay({ errorType: "RULE_ACTION_FAILED" });
    expect(replay).toMatchObject({ replayed: 1, failed: 0, deadLettered: 0 });
    const keys = records.map((r) => messageKeyId({ vehicleId: CAR_A, messageId: r.messageId }));
    expect(await storedIn(rig.ports, KV, keys)).toEqual(keys);
    expect(seriesRows(rig)).toBe(3);
  });

  it("defect 4: the breaker counts SQLite failures and opens", async () => {
    rig = localRig();
    // Break the key-value table the way a corrupt/locked file would: statements now throw.
    rig.ports.db.exec(`DROP TABLE records_${KV}`);
    for (let i = 0; i < 6; i++) {
      await rig.record(ruleEvent(recordTopic(CAR_A), encodeReading(reading())));
    }
    expect(rig.breakers.states()[KV]).toBe("open");
    expect(rig.ports.metrics.counter("downErrors", { downstream: KV, signal: "unavailable" })).toBe(
      5,
    );
    const entries = await dlqEntries(rig);
    expect(entries).toHaveLength(6);
    // Nothing was written: the entries name no pending subset (all sinks are pending).
    expect(
      entries.every((e) => e.entry.pendingSinks === undefined || e.entry.pendingSinks.includes(KV)),
    ).toBe(true);
  });
});

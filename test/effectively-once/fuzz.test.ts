/**
 * Hostile-input fuzz of the handler runtime (issue 10): seeded fast-check sequences of rule
 * events over the record and batch paths — valid messages and redeliveries, random bytes,
 * truncations, bit flips, out-of-range values, unknown enum values, wrong vehicles, bad
 * checksums, zstd bombs, invalid base64, oversized payloads — run on the local adapters
 * (SQLite + filesystem DLQ). Asserted per run: no invocation throws; every reject is in the DLQ
 * with a reason; no reject is stored; the stored keys are exactly the distinct valid messages.
 */
import { compress } from "@mongodb-js/zstd";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { localRig, type LocalRig } from "../../runtime/test/handlers/rigs.js";
import {
  CAR_A,
  CAR_B,
  KV,
  MAX_PACKET,
  SERIES,
  T0,
  batchTopic,
  encodeBatch,
  encodeReading,
  recordTopic,
  recordsCrc,
  ruleEvent,
  type Reading,
} from "../../runtime/test/handlers/test-spec.js";
import type { RuleEvent } from "../../runtime/src/handlers/event.js";
import { expectFor } from "./oracle.js";

const SEED = 20261129;
const RUNS = 20;
const EVENTS_PER_RUN = 500; // 10,000 events in all

// One zstd bomb, built once: 32 MiB of zeros in a few KiB (the cap is 512 KiB).
const bomb = compress(
  Buffer.from(
    encodeBatch({
      batchId: "bomb",
      vehicleId: CAR_A,
      schemaVersion: 1,
      records: [Buffer.alloc(32 * 1024 * 1024)],
      crc: 0,
    }),
  ),
  19,
);

// Ids from a small pool, so redeliveries and id reuse across vehicles happen often; the sample
// time follows from the id, so time-series point collisions come only from damaged ids.
const idArb = fc.integer({ min: 0, max: 400 });

const readingArb: fc.Arbitrary<Reading> = fc
  .tuple(idArb, fc.double({ min: -1000, max: 1000, noNaN: true }), fc.integer({ min: 0, max: 2 }))
  .map(([n, value, mode]) => ({
    messageId: `msg-${n}`,
    vehicleId: CAR_A,
    timeMs: T0 - 60_000 - n * 1000,
    schemaVersion: 1,
    value,
    mode,
  }));

/** A record's bytes after one hostile change (or none). */
const hostileRecord: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: readingArb.map(encodeReading) },
  {
    weight: 2,
    arbitrary: fc.tuple(readingArb, fc.nat()).map(([r, at]) => {
      const b = encodeReading(r);
      return b.subarray(0, at % Math.max(1, b.length));
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(readingArb, fc.nat(), fc.integer({ min: 0, max: 7 }))
      .map(([r, at, bit]) => {
        const b = Buffer.from(encodeReading(r));
        if (b.length > 0) b[at % b.length]! ^= 1 << bit;
        return b;
      }),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        readingArb,
        fc.oneof(
          fc.record({
            value: fc.oneof(fc.double({ min: 1000.001, max: 1e9 }), fc.constant(Number.NaN)),
          }),
          fc.record({ mode: fc.integer({ min: 3, max: 1000 }) }),
          fc.record({ schemaVersion: fc.integer({ min: 2, max: 9 }) }),
          fc.record({ vehicleId: fc.constantFrom(CAR_B, "") }),
          fc.record({
            timeMs: fc.oneof(fc.constant(T0 + 3_600_000), fc.constant(T0 - 30 * 86_400_000)),
          }),
        ),
      )
      .map(([r, patch]) => encodeReading({ ...r, ...patch })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

const recordEvent: fc.Arbitrary<RuleEvent> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(hostileRecord, fc.constantFrom(CAR_A, CAR_A, CAR_B))
      .map(([b, v]) => ruleEvent(recordTopic(v), b)),
  },
  {
    weight: 1,
    arbitrary: fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((s) => !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
      .map((s) => ruleEvent(recordTopic(CAR_A), s)),
  },
  {
    weight: 1,
    arbitrary: fc
      .constant(null)
      .map(() => ruleEvent(recordTopic(CAR_A), Buffer.alloc(MAX_PACKET + 1, 8))),
  },
);

const batchEvent: fc.Arbitrary<Promise<RuleEvent>> = fc
  .tuple(
    fc.array(hostileRecord, { minLength: 0, maxLength: 8 }),
    fc.constantFrom("ok", "ok", "ok", "crc", "vehicle", "bitflip", "truncate", "random", "bomb"),
    fc.nat(),
    fc.string({ maxLength: 8 }),
  )
  .map(async ([records, damage, at, batchId]) => {
    if (damage === "bomb") return ruleEvent(batchTopic(CAR_A), await bomb);
    if (damage === "random") return ruleEvent(batchTopic(CAR_A), Buffer.from(batchId + at));
    const envelope = encodeBatch({
      batchId,
      vehicleId: damage === "vehicle" ? CAR_B : CAR_A,
      schemaVersion: 1,
      records,
      crc: (recordsCrc(records) ^ (damage === "crc" ? 1 : 0)) >>> 0,
    });
    const z = Buffer.from(await compress(Buffer.from(envelope), 3));
    if (damage === "bitflip" && z.length > 0) z[at % z.length]! ^= 1 << (at % 8);
    const sent = damage === "truncate" ? z.subarray(0, at % z.length) : z;
    return ruleEvent(batchTopic(CAR_A), sent);
  });

const eventsArb = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: recordEvent.map((e) => Promise.resolve(e)) },
    { weight: 1, arbitrary: batchEvent },
  ),
  { minLength: EVENTS_PER_RUN, maxLength: EVENTS_PER_RUN },
);

const rigs: LocalRig[] = [];
afterAll(() => rigs.forEach((r) => r.close()));

describe("hostile-input fuzz (seeded fast-check, record and batch paths)", () => {
  it(`${RUNS} runs x ${EVENTS_PER_RUN} events: 0 crashes, rejects all in the DLQ with a reason, stored = distinct valid messages`, async () => {
    let total = 0;
    let totalRejects = 0;
    let totalStored = 0;
    await fc.assert(
      fc.asyncProperty(eventsArb, async (pending) => {
        const events = await Promise.all(pending);
        // Retention covers the max age: no time-series reject, only validation rejects.
        const rig = localRig({ memoryRetentionMs: 8 * 86_400_000 });
        rigs.push(rig);
        // The model: keys held by the key-value store (complete or not), points held by the
        // time-series store; a second point at a held (vehicle, time) with other values is
        // refused by the time-series store (the record stays partial: re-driven each time).
        const expectedKeys = new Set<string>();
        const complete = new Set<string>();
        const points = new Map<string, string>();
        let expectedRejects = 0;
        let crashes = 0;
        for (const event of events) {
          const expected = await expectFor(event, T0);
          expectedRejects += expected.rejects;
          for (const v of expected.valid) {
            if (complete.has(v.key)) continue; // duplicate
            expectedKeys.add(v.key);
            const held = points.get(v.point);
            if (held === undefined || held === v.measures) {
              points.set(v.point, v.measures);
              complete.add(v.key);
            } else expectedRejects++;
          }
          const handler = event.topic === batchTopic(CAR_A) ? rig.batch : rig.record;
          try {
            const summary = await handler(event);
            if (process.env.FUZZ_DEBUG && summary.dlqKeys.length !== expected.rejects) {
              const got = await Promise.all(summary.dlqKeys.map((k) => rig.ports.dlq.get(k)));
              console.log(
                JSON.stringify({
                  topic: event.topic,
                  payload: event.payload.slice(0, 300),
                  expected,
                  got: got.map((e) => [e!.reasonCode, e!.detail]),
                }),
              );
            }
          } catch (error) {
            crashes++;
            if (process.env.FUZZ_DEBUG)
              console.log("CRASH", String(error), event.topic, event.payload.slice(0, 200));
          }
        }
        const keys = (
          rig.ports.db.prepare(`SELECT key FROM records_${KV}`).all() as { key: string }[]
        ).map((r) => r.key);
        const seriesRows = (
          rig.ports.db.prepare(`SELECT count(*) AS n FROM series_${SERIES}`).get() as { n: number }
        ).n;
        const dlqKeys = await rig.ports.dlq.list("dlq/");
        const entries = await Promise.all(dlqKeys.map((k) => rig.ports.dlq.get(k)));
        expect(crashes).toBe(0);
        expect(new Set(keys)).toEqual(expectedKeys);
        expect(seriesRows).toBe(points.size);
        expect(dlqKeys).toHaveLength(expectedRejects);
        for (const entry of entries) {
          expect(entry!.reasonCode).toMatch(/^[A-Z0-9_]+$/);
          expect(entry!.detail.length).toBeGreaterThan(0);
          expect(["record", "batch"]).toContain(entry!.type);
        }
        total += events.length;
        totalRejects += dlqKeys.length;
        totalStored += keys.length;
        rig.close();
        rigs.pop();
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(total).toBe(RUNS * EVENTS_PER_RUN);
    // The mix really exercises both outcomes.
    expect(totalRejects).toBeGreaterThan(total / 10);
    expect(totalStored).toBeGreaterThan(total / 10);
  }, 120_000);
});

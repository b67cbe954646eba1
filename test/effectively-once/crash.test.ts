/**
 * Crash test (issue 10): a handler process on the local adapters is SIGKILLed at random points
 * of a run, 20 times; after each kill the unacknowledged events are redelivered to a new
 * process (QoS 1: the broker redelivers what was not PUBACKed; the handler acks after it
 * returns). Then every valid message must be stored exactly once in each sink (and its claim
 * complete), every invalid one in the DLQ with a reason and stored nowhere.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startHandlerProcess } from "../../runtime/test/handlers/child.js";
import { localRig } from "../../runtime/test/handlers/rigs.js";
import {
  CAR_A,
  CAR_B,
  KV,
  SERIES,
  batchTopic,
  encodeReading,
  reading,
  recordTopic,
  ruleEvent,
  zstdBatch,
  type Reading,
} from "../../runtime/test/handlers/test-spec.js";
import type { RuleEvent } from "../../runtime/src/handlers/event.js";

const KILLS = 20;
const SEED = 0x5eed;

/** A small seeded PRNG (mulberry32), so the kill points are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dir = mkdtempSync(join(tmpdir(), "h4-crash-ci-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("crash test: SIGKILL the handler process at random points, redeliver", () => {
  it(`${KILLS} kills: every message stored exactly once or in the DLQ`, async () => {
    const valid: Reading[] = [];
    const invalid: Reading[] = [];
    const events: RuleEvent[] = [];
    for (let i = 0; i < 12; i++) {
      // Records: one out of range, one naming another vehicle.
      const m =
        i === 3 ? reading({ value: 9999 }) : i === 7 ? reading({ vehicleId: CAR_B }) : reading();
      (i === 3 || i === 7 ? invalid : valid).push(m);
      events.push(ruleEvent(recordTopic(CAR_A), encodeReading(m)));
      // Batches of 5; one with a bad record.
      const batch = Array.from({ length: 5 }, (_, j) =>
        i === 5 && j === 2 ? reading({ mode: 9 }) : reading(),
      );
      for (const [j, r] of batch.entries()) (i === 5 && j === 2 ? invalid : valid).push(r);
      events.push(ruleEvent(batchTopic(CAR_A), await zstdBatch(batch.map(encodeReading))));
    }
    const path = join(dir, "events.json");
    writeFileSync(path, JSON.stringify(events));
    const data = join(dir, "data");
    const random = prng(SEED);

    let next = 0;
    let midWrite = 0;
    for (let k = 0; k < KILLS; k++) {
      const proc = await startHandlerProcess([path, String(next), "local", data], {
        SLOW_SINK_MS: "4",
      });
      await proc.waitFor("ready");
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 80)));
      await proc.kill();
      if (proc.lines.at(-1) === "writing") midWrite++;
      if (proc.acked.length > 0) next = Math.max(...proc.acked) + 1;
      if (next >= events.length) next = 0; // a whole run done: the broker resends it all
    }
    // The last delivery runs to the end.
    const last = await startHandlerProcess([path, String(next), "local", data]);
    await last.waitFor("finished", 60_000);
    await last.exited();

    const rig = localRig({ directory: data });
    try {
      const db = rig.ports.db;
      const keyOf = (m: Reading) => `${CAR_A}/${m.messageId}`;
      const kv = new Set(
        (db.prepare(`SELECT key FROM records_${KV}`).all() as { key: string }[]).map((r) => r.key),
      );
      const series = (
        db.prepare(`SELECT count(*) AS n FROM series_${SERIES}`).get() as { n: number }
      ).n;
      const ledger = db.prepare("SELECT key, state FROM dedup_ledger").all() as {
        key: string;
        state: string;
      }[];
      const entries = await Promise.all(
        (await rig.ports.dlq.list("dlq/")).map((k) => rig.ports.dlq.get(k)),
      );
      // Exactly once: one row per valid message in each sink, its claim complete.
      expect([...kv].sort()).toEqual(valid.map(keyOf).sort());
      expect(series).toBe(valid.length);
      const states = new Map(ledger.map((l) => [l.key, l.state]));
      expect(valid.filter((m) => states.get(keyOf(m)) !== "done")).toEqual([]);
      // Rejects: in the DLQ with a reason (maybe more than once: redelivered after a kill),
      // never stored.
      const deadIds = new Set(entries.map((e) => e!.messageId));
      for (const m of invalid) {
        expect(deadIds.has(m.messageId), `${m.messageId} in the DLQ`).toBe(true);
        expect(kv.has(keyOf(m)), `${m.messageId} not stored`).toBe(false);
      }
      expect(entries.map((e) => e!.reasonCode).filter((c) => !/^[A-Z_]+$/.test(c))).toEqual([]);
      // No valid message was dead-lettered.
      expect(valid.filter((m) => deadIds.has(m.messageId))).toEqual([]);
      // The kills did land inside the unit of work.
      expect(midWrite).toBeGreaterThan(0);
      console.log(
        `crash test: ${KILLS} kills, ${midWrite} inside a write; ${valid.length} stored once, ${invalid.length} rejects in ${entries.length} DLQ entries`,
      );
    } finally {
      rig.close();
    }
  }, 300_000);
});

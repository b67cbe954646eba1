/**
 * Cost of the write-ahead per kept publish, both paths. Run: npx tsx runtime/test/client/write-ahead-cost.ts
 *  - queued (offline): one fsynced queue transaction per enqueue + one ack (no fsync);
 *  - live: one in-flight journal append per turn of 8 publishes, plus their acks (no fsync).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PersistentQueue } from "../../src/client/persistent-queue.js";

const q = PersistentQueue.open(join(mkdtempSync(join(tmpdir(), "wa-")), "q.db"), {
  policy: { maxMessages: 100000, overflow: "drop-oldest" },
});
const payload = new Uint8Array(180);
const input = (i: number) => ({
  messageId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  topic: "v2c/v1/us-east-1/VIN/telemetry/vehicle",
  payload,
  qos: 1 as const,
  alias: 1,
});
const us = (t0: bigint, n: number) => (Number(process.hrtime.bigint() - t0) / 1e3 / n).toFixed(2);

const N = 1000;
let t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) q.ack([q.enqueue(input(i)).seq]);
console.log(`queued path (enqueue fsynced + ack): ${us(t0, N)} µs per message`);

const M = 40_000;
let inFlight: number[] = [];
t0 = process.hrtime.bigint();
for (let i = 0; i < M; i += 8) {
  for (const id of inFlight) q.ackInflight(id);
  inFlight = q.appendInflight(Array.from({ length: 8 }, (_, k) => input(i + k)));
}
console.log(`live path (journal append per 8 + acks): ${us(t0, M)} µs per message`);
q.close();

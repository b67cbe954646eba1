/** Cost of the write-ahead queue per kept publish: one enqueue (fsync) + one ack (no fsync). Run: npx tsx runtime/test/client/write-ahead-cost.ts */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PersistentQueue } from "../../src/client/persistent-queue.js";
const q = PersistentQueue.open(join(mkdtempSync(join(tmpdir(), "wa-")), "q.db"), {
  policy: { maxMessages: 100000, overflow: "drop-oldest" },
});
const payload = new Uint8Array(300);
const N = 2000;
for (let i = 0; i < 100; i++)
  q.ack([q.enqueue({ messageId: `w${i}`, topic: "t/a/b", payload, qos: 1 }).seq]);
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) {
  const e = q.enqueue({
    messageId: `m${i}`,
    topic: "v2c/v1/us-east-1/VIN/telemetry/vehicle",
    payload,
    qos: 1,
  });
  q.ack([e.seq]);
}
const t1 = process.hrtime.bigint();
console.log(
  `write-ahead enqueue+ack: ${N} msgs, ${(Number(t1 - t0) / 1e6 / N).toFixed(3)} ms per message (300-byte payload, synchronous=FULL)`,
);
q.close();

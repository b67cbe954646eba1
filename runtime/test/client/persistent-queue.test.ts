import { afterEach, describe, expect, it } from "vitest";
import { ClientEvents, PersistentQueue, type QueueDroppedEvent } from "../../src/client/index.js";
import { QUEUE_POLICY, tempDir, telemetryTopic } from "./helpers.js";

const dirs: Array<{ cleanup: () => void }> = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));

function entry(i: number) {
  return {
    messageId: `m-${i}`,
    topic: telemetryTopic(),
    payload: Buffer.from(`payload-${i}`),
    qos: 1 as const,
    alias: 1,
  };
}

describe("PersistentQueue", () => {
  it("keeps FIFO order with the full topic across close and reopen (process restart)", () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const q1 = PersistentQueue.open(tmp.path("q.db"), { policy: QUEUE_POLICY, clock: () => 42 });
    for (let i = 0; i < 5; i++) q1.enqueue(entry(i));
    q1.close();

    const q2 = PersistentQueue.open(tmp.path("q.db"), { policy: QUEUE_POLICY });
    const all = q2.peek(10);
    expect(all.map((e) => e.messageId)).toEqual(["m-0", "m-1", "m-2", "m-3", "m-4"]);
    expect(all[0]).toMatchObject({ topic: telemetryTopic(), qos: 1, alias: 1, enqueuedAt: 42 });
    expect(Buffer.from(all[4]!.payload).toString()).toBe("payload-4");
    q2.close();
  });

  it("peek does not remove; ack removes only what was delivered (a failed flush loses nothing)", () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const q = PersistentQueue.open(tmp.path("q.db"), { policy: QUEUE_POLICY });
    for (let i = 0; i < 4; i++) q.enqueue(entry(i));
    const batch = q.peek(3);
    q.ack([batch[0]!.seq, batch[2]!.seq]); // m-1 was not acknowledged
    expect(q.peek(10).map((e) => e.messageId)).toEqual(["m-1", "m-3"]);
    expect(q.size()).toBe(2);
    q.close();
  });

  it("FM-06 overflow: drops the oldest beyond the cap, counts them (persisted) and emits queueDropped", () => {
    const tmp = tempDir();
    dirs.push(tmp);
    const events = new ClientEvents();
    const dropped: QueueDroppedEvent[] = [];
    events.on("queueDropped", (e) => dropped.push(e));
    const q = PersistentQueue.open(tmp.path("q.db"), { policy: QUEUE_POLICY, events });
    for (let i = 0; i < QUEUE_POLICY.maxMessages + 5; i++) q.enqueue(entry(i));
    expect(q.size()).toBe(QUEUE_POLICY.maxMessages);
    expect(q.dropped).toBe(5);
    expect(dropped.map((d) => d.messageId)).toEqual(["m-0", "m-1", "m-2", "m-3", "m-4"]);
    expect(q.peek(1)[0]!.messageId).toBe("m-5");
    q.close();
    const again = PersistentQueue.open(tmp.path("q.db"), { policy: QUEUE_POLICY });
    expect(again.dropped).toBe(5);
    again.close();
  });

  it("rejects a nonsensical cap", () => {
    const tmp = tempDir();
    dirs.push(tmp);
    expect(() =>
      PersistentQueue.open(tmp.path("q.db"), {
        policy: { maxMessages: 0, overflow: "drop-oldest" },
      }),
    ).toThrow(RangeError);
  });
});

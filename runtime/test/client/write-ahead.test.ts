import { appendFileSync, statSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { PersistentQueue, type QueueEntryInput } from "../../src/client/persistent-queue.js";
import { WriteAheadBatcher } from "../../src/client/write-ahead.js";
import { QUEUE_POLICY, tempDir } from "./helpers.js";

const input = (id: string): QueueEntryInput => ({
  messageId: id,
  topic: "t/a",
  payload: Buffer.from(id),
  qos: 1,
  alias: 1,
});
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The write-ahead group commit on a real queue file and in-flight journal. */
describe("WriteAheadBatcher and the in-flight journal", () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const c of cleanups.splice(0).reverse()) c();
  });

  function setup(needsDurable: () => boolean) {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const path = dir.path("q.db");
    const queue = PersistentQueue.open(path, { policy: QUEUE_POLICY });
    cleanups.push(() => queue.close());
    const calls: string[] = [];
    const append = queue.appendInflight.bind(queue);
    queue.appendInflight = (inputs) => {
      calls.push(`journal ${inputs.length}`);
      return append(inputs);
    };
    const enqueueMany = queue.enqueueMany.bind(queue);
    queue.enqueueMany = (inputs) => {
      calls.push(`queue ${inputs.length}`);
      return enqueueMany(inputs);
    };
    return { path, queue, calls, batcher: new WriteAheadBatcher(queue, needsDurable) };
  }

  it("a live turn's publishes share one journal append; acks take them out at once", async () => {
    const { queue, calls, batcher } = setup(() => false);
    const ids: number[] = [];
    for (const id of ["a", "b", "c"])
      batcher.enqueue(
        input(id),
        (ref) => ids.push(ref),
        () => undefined,
      );
    expect(queue.size()).toBe(0); // nothing written before the commit's turn
    await turn();
    expect(calls).toEqual(["journal 3"]);
    expect(queue.size()).toBe(3);
    expect(queue.peek(10)).toEqual([]); // in flight: never handed to a queue flush
    batcher.ack(ids[0]!);
    batcher.ack(ids[1]!);
    expect(queue.size()).toBe(1);
  });

  it("offline publishes go to the queue; a requeued in-flight message moves there before its answer", async () => {
    let offline = false;
    const { queue, calls, batcher } = setup(() => offline);
    const ids: number[] = [];
    batcher.enqueue(
      input("live"),
      (ref) => ids.push(ref),
      () => undefined,
    );
    await turn();
    offline = true;
    const order: string[] = [];
    batcher.requeue(ids[0]!, () => order.push(`answered: ${queue.peek(10).length} queued`));
    batcher.enqueue(
      input("later"),
      () => order.push("committed later"),
      () => undefined,
    );
    await turn();
    expect(calls).toEqual(["journal 1", "queue 1"]);
    expect(order).toEqual(["answered: 1 queued", "committed later"]);
    // Queue order: the message that was in flight first.
    expect(queue.peek(10).map((e) => e.messageId)).toEqual(["live", "later"]);
    expect(queue.size()).toBe(2);
  });

  it("a process that dies with messages in flight: the next open queues the unacknowledged ones, in order, a torn tail ignored", async () => {
    const { path, queue, batcher } = setup(() => false);
    const ids: number[] = [];
    for (const id of ["m-0", "m-1", "m-2", "m-3"])
      batcher.enqueue(
        { ...input(id), messageExpiryS: 60, retain: true },
        (ref) => ids.push(ref),
        () => undefined,
      );
    await turn();
    batcher.ack(ids[1]!);
    await turn(); // the ack record is written
    // Killed inside a write: half a record at the end of the journal.
    appendFileSync(`${path}-inflight`, Buffer.from([40, 0, 0, 0, 1, 2, 3]));
    // No close(): the next process opens the same files.
    const next = PersistentQueue.open(path, { policy: QUEUE_POLICY });
    cleanups.push(() => next.close());
    const entries = next.peek(10);
    expect(entries.map((e) => e.messageId)).toEqual(["m-0", "m-2", "m-3"]);
    expect(entries[0]).toMatchObject({
      topic: "t/a",
      qos: 1,
      alias: 1,
      retain: true,
      messageExpiryS: 60,
    });
    expect(Buffer.from(entries[2]!.payload).toString()).toBe("m-3");
    expect(next.size()).toBe(3);
    void queue;
  });

  it("the journal is compacted past 1 MiB: the file shrinks to the live entries, which a takeover still finds", async () => {
    const { path, batcher } = setup(() => false);
    const big = (id: string): QueueEntryInput => ({ ...input(id), payload: Buffer.alloc(1000, 7) });
    let previous: number | undefined;
    for (let round = 0; round < 1200; round++) {
      const ids: number[] = [];
      batcher.enqueue(
        big(`r-${round}`),
        (ref) => ids.push(ref),
        () => undefined,
      );
      await turn();
      if (previous !== undefined) batcher.ack(previous);
      previous = ids[0];
    }
    await turn();
    // 1,200 KiB appended in total; compaction kept it under the threshold plus one turn.
    expect(statSync(`${path}-inflight`).size).toBeLessThan(1.1 * 1024 * 1024);
    const next = PersistentQueue.open(path, { policy: QUEUE_POLICY });
    cleanups.push(() => next.close());
    expect(next.peek(10).map((e) => e.messageId)).toEqual(["r-1199"]);
  });
});

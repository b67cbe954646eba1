// The DLQ replay drains the on-failure queues: Lambda destination records are received from a
// real SQS API (fauxqs, an in-memory SQS emulator from npm, spoken to by @aws-sdk/client-sqs
// over HTTP), re-driven through the handlers on the local adapters (SQLite + filesystem DLQ),
// and deleted only after success; a re-drive that fails again is filed as a replayable DLQ
// entry; dry runs, limits, unreadable and unroutable messages, the deadline and a peer that
// never answers are covered. The same loop runs on the in-process queue (the port's other
// implementation).
import { createServer, type Server } from "node:net";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { messageKeyId } from "../runtime/src/cloud/ports.js";
import {
  InProcessFailedInvocationQueue,
  type FailedInvocationQueue,
} from "../runtime/src/cloud/failed-invocations.js";
import {
  SqsFailedInvocationQueue,
  sqsFailedInvocationQueues,
} from "../runtime/src/cloud/sqs-failed-invocations.js";
import { ON_FAILURE_QUEUES_ENV } from "../runtime/src/deploy-env.js";
import type { RuleEvent } from "../runtime/src/handlers/event.js";
import type { HandlerPorts } from "../runtime/src/handlers/ports.js";
import {
  drainFailedInvocations,
  FAILED_INVOCATION_REASON,
} from "../runtime/src/handlers/redrive.js";
import { replayDeadLetters } from "../runtime/src/handlers/replay.js";
import { localRig, storedIn, type LocalRig } from "../runtime/test/handlers/rigs.js";
import {
  CAR_A,
  KV,
  batchTopic,
  encodeReading,
  reading,
  recordTopic,
  replayRoutes,
  ruleEvent,
  zstdBatch,
} from "../runtime/test/handlers/test-spec.js";

type Fauxqs = Awaited<ReturnType<typeof startFauxqs>>;

let server: Fauxqs;
let client: SQSClient;
let rig: LocalRig | undefined;
let queueSeq = 0;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  client = new SQSClient({
    endpoint: server.address,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  client?.destroy();
  await server?.stop();
});
afterEach(() => {
  rig?.close();
  rig = undefined;
});

/** What Lambda puts on an on-failure destination after the retries of an async invocation. */
function destinationRecord(event: RuleEvent): string {
  return JSON.stringify({
    version: "1.0",
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: "req-1",
      functionArn: "arn:aws:lambda:us-east-1:000000000000:function:processor",
      condition: "RetriesExhausted",
      approximateInvokeCount: 3,
    },
    requestPayload: event,
    responseContext: { statusCode: 200, executedVersion: "$LATEST", functionError: "Unhandled" },
    responsePayload: { errorType: "Error", errorMessage: "store unavailable" },
  });
}

/** A fresh SQS queue of `name`'s failed invocations, holding `bodies`. */
async function sqsQueue(
  name: string,
  bodies: readonly string[],
): Promise<SqsFailedInvocationQueue> {
  const { QueueUrl } = await client.send(
    new CreateQueueCommand({ QueueName: `${name}-failed-${++queueSeq}` }),
  );
  for (const body of bodies)
    await client.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  return new SqsFailedInvocationQueue({ client, name, queueUrl: QueueUrl! });
}

/** Messages still in an SQS queue (visible + in flight). */
async function depth(queue: SqsFailedInvocationQueue): Promise<number> {
  const url = (queue as unknown as { queueUrl: string }).queueUrl;
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

const keyOf = (messageId: string) => messageKeyId({ vehicleId: CAR_A, messageId });

describe("drainFailedInvocations on SQS (fauxqs)", () => {
  it("re-drives record and batch events, deletes them after success; a second drain finds nothing", async () => {
    rig = localRig();
    const one = reading();
    const many = [reading(), reading()];
    const queue = await sqsQueue("processor", [
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(one))),
      destinationRecord(
        ruleEvent(batchTopic(CAR_A), await zstdBatch(many.map((r) => encodeReading(r)))),
      ),
    ]);
    const s = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, [queue], {
      waitMs: 0,
    });
    expect(s).toMatchObject({ received: 2, redriven: 2, filed: 0, kept: 0, stored: 3 });
    const keys = [one, ...many].map((r) => keyOf(r.messageId));
    expect(await storedIn(rig.ports, KV, keys)).toEqual(keys);
    expect(await depth(queue)).toBe(0);
    const again = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, [queue], {
      waitMs: 0,
    });
    expect(again).toMatchObject({ received: 0, redriven: 0 });
  });

  it("dry run: routes every message, changes nothing, leaves all of them queued", async () => {
    rig = localRig();
    const r = reading();
    const queue = await sqsQueue("processor", [
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(r))),
      destinationRecord(ruleEvent("elsewhere/x", encodeReading(reading()))),
    ]);
    const s = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, [queue], {
      dryRun: true,
      waitMs: 0,
    });
    expect(s).toMatchObject({ dryRun: true, received: 2, redriven: 0, kept: 2 });
    expect(s.plan.map((p) => [p.operation, p.action])).toEqual([
      ["sendReading", "redrive"],
      [undefined, "keep"],
    ]);
    expect(await storedIn(rig.ports, KV, [keyOf(r.messageId)])).toEqual([]);
    expect(await depth(queue)).toBe(2);
    // Released at once: a real drain right after re-drives the routable one.
    const real = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, [queue], {
      waitMs: 0,
    });
    expect(real).toMatchObject({ received: 2, redriven: 1, kept: 1 });
    expect(await depth(queue)).toBe(1);
  });

  it("keeps what holds no rule event or matches no operation, and drains the rest", async () => {
    rig = localRig();
    const r = reading();
    const queue = await sqsQueue("processor", [
      "not json",
      JSON.stringify({ requestPayload: { topic: 1 } }),
      destinationRecord(ruleEvent("elsewhere/x", encodeReading(reading()))),
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(r))),
    ]);
    const s = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, [queue], {
      waitMs: 0,
    });
    expect(s).toMatchObject({ received: 4, redriven: 1, kept: 3, stored: 1 });
    expect(await depth(queue)).toBe(3);
  });

  it("files a re-drive that fails again as a replayable DLQ entry with its reason, then deletes it", async () => {
    rig = localRig();
    const r = reading();
    const kv = rig.ports.downstreams[KV]!;
    if (kv.kind !== "key-value-store") throw new Error("test spec: kv is a key-value store");
    let outage = true;
    let dlqFailures = 1;
    const ports: HandlerPorts = {
      ...rig.ports,
      downstreams: {
        ...rig.ports.downstreams,
        [KV]: {
          kind: "key-value-store",
          store: {
            put: async (rec) => {
              if (outage) throw new Error("store unavailable");
              return kv.store.put(rec);
            },
            batchPut: (recs) => kv.store.batchPut(recs),
            get: (id) => kv.store.get(id),
          },
        },
      },
      dlq: {
        ...rig.ports.dlq,
        put: async (entry) => {
          // The handler's own dead-lettering fails (it throws); the drain's filing succeeds.
          if (dlqFailures-- > 0) throw new Error("dlq unavailable");
          return rig!.ports.dlq.put(entry);
        },
        list: (p) => rig!.ports.dlq.list(p),
        get: (k) => rig!.ports.dlq.get(k),
        delete: (k) => rig!.ports.dlq.delete(k),
      },
    };
    const queue = await sqsQueue("processor", [
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(r))),
    ]);
    const s = await drainFailedInvocations(replayRoutes, ports, rig.breakers, [queue], {
      waitMs: 0,
    });
    expect(s).toMatchObject({ received: 1, redriven: 0, filed: 1, kept: 0 });
    const dlqCount = replayRoutes.metrics["dlq-count"]!;
    expect(rig.metrics.counter(dlqCount, { reason: FAILED_INVOCATION_REASON })).toBe(1);
    expect(await depth(queue)).toBe(0);
    const keys = await rig.ports.dlq.list(`dlq/${FAILED_INVOCATION_REASON}/`);
    expect(keys).toHaveLength(1);
    const entry = await rig.ports.dlq.get(keys[0]!);
    expect(entry).toMatchObject({
      type: "record",
      operation: "sendReading",
      reasonCode: FAILED_INVOCATION_REASON,
      topic: recordTopic(CAR_A),
    });
    expect(entry!.detail).toContain("store unavailable"); // the original failure
    expect(entry!.detail).toContain("redrive: dlq unavailable"); // and the re-drive's
    // Once the store is back, the ordinary DLQ replay stores it.
    outage = false;
    const replay = await replayDeadLetters(replayRoutes, ports, rig.breakers, {
      errorType: FAILED_INVOCATION_REASON,
    });
    expect(replay).toMatchObject({ replayed: 1, failed: 0 });
    expect(await storedIn(rig.ports, KV, [keyOf(r.messageId)])).toEqual([keyOf(r.messageId)]);
  });

  it("receives at most `limit` messages; the rest stay for the next drain", async () => {
    rig = localRig();
    const bodies = Array.from({ length: 13 }, () =>
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(reading()))),
    );
    const queue = await sqsQueue("processor", bodies);
    const s = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, [queue], {
      limit: 11,
      waitMs: 0,
    });
    expect(s).toMatchObject({ received: 11, redriven: 11 });
    expect(await depth(queue)).toBe(2);
  });

  it("stops at the invocation's deadline and keeps what it did not reach", async () => {
    rig = localRig();
    const queue = await sqsQueue("processor", [
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(reading()))),
    ]);
    // Remaining time below the safety margin: nothing may start.
    const s = await drainFailedInvocations(
      replayRoutes,
      rig.ports,
      rig.breakers,
      [queue],
      { waitMs: 0 },
      { getRemainingTimeInMillis: () => replayRoutes.deadlineSafetyMarginMs - 1 },
    );
    expect(s).toMatchObject({ received: 0, redriven: 0 });
    expect(await depth(queue)).toBe(1);
  });

  it("through replayDeadLetters({ source: 'on-failure' }) on the queues of the ports, by function", async () => {
    rig = localRig();
    const a = await sqsQueue("processor-a", [
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(reading()))),
    ]);
    const b = await sqsQueue("processor-b", [
      destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(reading()))),
    ]);
    const ports: HandlerPorts = { ...rig.ports, failedInvocations: [a, b] };
    const s = await replayDeadLetters(replayRoutes, ports, rig.breakers, {
      source: "on-failure",
      queues: ["processor-b"],
    });
    expect(s).toMatchObject({ listed: 1, replayed: 1, failed: 0 });
    expect([await depth(a), await depth(b)]).toEqual([1, 0]);
    await expect(
      replayDeadLetters(replayRoutes, ports, rig.breakers, {
        source: "on-failure",
        queues: ["nope"],
      }),
    ).rejects.toThrow(/no on-failure queue for nope/);
    await expect(
      replayDeadLetters(replayRoutes, rig.ports, rig.breakers, { source: "on-failure" }),
    ).rejects.toThrow(/no on-failure queue to drain/);
  });
});

describe("the SQS adapter", () => {
  it("builds its queues from the replay function's environment, and names a malformed value", () => {
    const queues = sqsFailedInvocationQueues(
      { [ON_FAILURE_QUEUES_ENV]: JSON.stringify({ a: "https://q/a", b: "https://q/b" }) },
      { client },
    );
    expect(queues.map((q) => q.name)).toEqual(["a", "b"]);
    expect(sqsFailedInvocationQueues({})).toEqual([]);
    expect(() => sqsFailedInvocationQueues({ [ON_FAILURE_QUEUES_ENV]: "{" })).toThrow(
      ON_FAILURE_QUEUES_ENV,
    );
    expect(() =>
      sqsFailedInvocationQueues({ [ON_FAILURE_QUEUES_ENV]: JSON.stringify({ a: 1 }) }),
    ).toThrow(/queue url of "a"/);
  });

  it("gives up on a peer that accepts the connection and never answers (request timeout)", async () => {
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    const queues = sqsFailedInvocationQueues(
      {
        [ON_FAILURE_QUEUES_ENV]: JSON.stringify({
          processor: `http://127.0.0.1:${port}/000000000000/q`,
        }),
      },
      {
        client: new SQSClient({
          endpoint: `http://127.0.0.1:${port}`,
          region: "us-east-1",
          credentials: { accessKeyId: "test", secretAccessKey: "test" },
          maxAttempts: 1,
        }),
        timeouts: { connectMs: 500, requestMs: 400 },
      },
    );
    rig = localRig();
    const t0 = Date.now();
    try {
      const s = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, queues, {
        waitMs: 0,
      });
      expect(s).toMatchObject({ received: 0, queueErrors: 1 });
      expect(Date.now() - t0).toBeLessThan(5_000);
    } finally {
      silent.close();
    }
  });
});

describe("drainFailedInvocations on the in-process queue", () => {
  it("has SQS's semantics: kept messages are invisible until released at the end of the drain", async () => {
    rig = localRig();
    let now = 0;
    const queue = new InProcessFailedInvocationQueue("processor", () => now);
    queue.send("garbage");
    queue.send(destinationRecord(ruleEvent(recordTopic(CAR_A), encodeReading(reading()))));
    const queues: FailedInvocationQueue[] = [queue];
    const s = await drainFailedInvocations(replayRoutes, rig.ports, rig.breakers, queues);
    expect(s).toMatchObject({ received: 2, redriven: 1, kept: 1 });
    expect(queue.size).toBe(1);
    const [again] = await queue.receive({ max: 10, waitMs: 0, visibilityMs: 1000 });
    expect(again).toMatchObject({ body: "garbage", receiveCount: 2 });
    expect(await queue.receive({ max: 10, waitMs: 0, visibilityMs: 1000 })).toEqual([]);
    now += 1001;
    expect(await queue.receive({ max: 10, waitMs: 0, visibilityMs: 1000 })).toHaveLength(1);
  });
});

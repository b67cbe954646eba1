/**
 * DynamoDB adapters against dynalite (a DynamoDB API server running in-process), with faults
 * injected by SDK middleware and by pointing clients at dead ports.
 */
import { Agent } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GetItemCommand,
  ProvisionedThroughputExceededException,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import type { CircuitBreakerPolicy, RetryPolicy } from "../../src/policy.js";
import {
  DownstreamCircuitBreaker,
  DownstreamError,
  DynamoDbDedupStore,
  DynamoDbRecordStore,
  type StoredRecord,
} from "../../src/cloud/index.js";
import { localClientConfig, startDynalite, type DynaliteHandle } from "../support/dynalite.js";
import {
  blackHole,
  closedPort,
  failFirstCalls,
  recordingSleep,
  withholdBatchItems,
} from "./faults.js";

// A 3-retry schedule (3 retries: 100/200/400 ms + jitter). Sleeps are recorded, not waited.
const SEED_RETRY_FOR_TESTS: RetryPolicy = {
  attempts: 3,
  delaysMs: [100, 200, 400],
  jitter: "full",
};
const EXACT_RETRY: RetryPolicy = { attempts: 3, delaysMs: [100, 200, 400], jitter: "none" };
const FIVE_MINUTES = 5 * 60_000;

const DEDUP = { name: "dedup", partitionKey: "pk" };
const RECORDS = { name: "records", partitionKey: "pk" };

let db: DynaliteHandle;
beforeAll(async () => {
  db = await startDynalite([DEDUP, RECORDS]);
});
afterAll(async () => {
  await db.close();
});

function record(id: string, speed = 42): StoredRecord {
  return { id, data: { vehicle_id: "VIN-1", speed_kmh: speed, ts: 1_700_000_000_000 } };
}

async function rawItem(client: DynamoDBClient, id: string) {
  const out = await client.send(
    new GetItemCommand({
      TableName: RECORDS.name,
      Key: { pk: { S: id } },
      ConsistentRead: true,
    }),
  );
  return out.Item;
}

const A = (messageId: string) => ({ vehicleId: "car-a", messageId });
const CLAIM = { windowMs: FIVE_MINUTES, leaseMs: 10_000 };

describe("DynamoDbDedupStore: the dedup ledger (claim, complete, release)", () => {
  it("a claim is a duplicate only once completed, inside the window", async () => {
    const store = new DynamoDbDedupStore({ client: db.client, tableName: DEDUP.name });
    const t0 = 1_700_000_000_000;
    expect(await store.claim(A("m-1"), t0, CLAIM)).toEqual({ status: "claimed", done: [] });
    // Not completed yet: a redelivery must not be dropped (issue 10 defect 1).
    expect(await store.claim(A("m-1"), t0 + 1_000, CLAIM)).toEqual({ status: "in-progress" });
    await store.complete(A("m-1"), t0 + 2_000, FIVE_MINUTES);
    expect(await store.claim(A("m-1"), t0 + 3_000, CLAIM)).toEqual({ status: "duplicate" });
    expect(await store.claim(A("m-1"), t0 + 2_000 + FIVE_MINUTES, CLAIM)).toEqual({
      status: "duplicate",
    });
    expect((await store.claim(A("m-1"), t0 + 2_001 + FIVE_MINUTES, CLAIM)).status).toBe("claimed");
  });

  it("defect 1: an in-progress claim older than the function timeout is taken over", async () => {
    const store = new DynamoDbDedupStore({ client: db.client, tableName: DEDUP.name });
    const t0 = 1_700_000_000_000;
    expect((await store.claim(A("m-crash"), t0, CLAIM)).status).toBe("claimed");
    // The invocation died: no complete, no release.
    expect((await store.claim(A("m-crash"), t0 + 10_000, CLAIM)).status).toBe("in-progress");
    expect((await store.claim(A("m-crash"), t0 + 10_001, CLAIM)).status).toBe("claimed");
    const item = await db.client.send(
      new GetItemCommand({
        TableName: DEDUP.name,
        Key: { pk: { S: "car-a/m-crash" } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item?.st?.S).toBe("in-progress");
    // TTL attribute in epoch seconds, covering the window.
    expect(Number(item.Item?.expires_at?.N)).toBe(Math.ceil((t0 + 10_001 + FIVE_MINUTES) / 1000));
  });

  it("defect 5: claims are per vehicle: another vehicle's id does not collide", async () => {
    const store = new DynamoDbDedupStore({ client: db.client, tableName: DEDUP.name });
    await store.claim(A("m-shared"), 1, CLAIM);
    await store.complete(A("m-shared"), 2, FIVE_MINUTES);
    const b = { vehicleId: "car-b", messageId: "m-shared" };
    expect((await store.claim(b, 3, CLAIM)).status).toBe("claimed");
  });

  it("concurrent claims of one id: exactly one wins", async () => {
    const store = new DynamoDbDedupStore({ client: db.client, tableName: DEDUP.name });
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.claim(A("m-race"), 1_700_000_000_000, CLAIM)),
    );
    expect(results.filter((r) => r.status === "claimed")).toHaveLength(1);
    expect(results.filter((r) => r.status === "in-progress")).toHaveLength(7);
  });

  it("defect 2: a release remembers the sinks that hold the message; the next claim gets them", async () => {
    const store = new DynamoDbDedupStore({ client: db.client, tableName: DEDUP.name });
    expect((await store.claim(A("m-fail"), 1, CLAIM)).status).toBe("claimed");
    await store.release(A("m-fail"), ["kv"]);
    expect(await store.claim(A("m-fail"), 2, CLAIM)).toEqual({ status: "claimed", done: ["kv"] });
    await store.release(A("m-fail"), []);
    expect(await store.claim(A("m-fail"), 3, CLAIM)).toEqual({ status: "claimed", done: [] });
  });
});

describe("DynamoDbRecordStore", () => {
  it("put is idempotent by message id: a second write overwrites the same item", async () => {
    const store = new DynamoDbRecordStore({ client: db.client, tableName: RECORDS.name });
    await store.put(record("r-idem"));
    await store.put(record("r-idem"));
    expect(await store.get("r-idem")).toEqual(record("r-idem"));
    expect(await store.get("r-missing")).toBeUndefined();
  });

  it("FM-08 DynamoDB throttling: retried on the policy, then succeeds", async () => {
    const client = db.newClient();
    const counter = failFirstCalls(
      client,
      2,
      () =>
        new ProvisionedThroughputExceededException({
          message: "throttled (injected)",
          $metadata: {},
        }),
    );
    const { delays, sleep } = recordingSleep();
    const store = new DynamoDbRecordStore({
      client,
      tableName: RECORDS.name,
      retry: { policy: SEED_RETRY_FOR_TESTS, sleep, random: () => 0.5 },
    });
    await store.put(record("r-throttled"));
    expect(counter.calls).toBe(3);
    // Full jitter with random 0.5: half of 100 and 200 ms.
    expect(delays).toEqual([50, 100]);
    expect((await rawItem(db.client, "r-throttled"))?.speed_kmh?.N).toBe("42");
  });

  it("FM-08 DynamoDB throttling: retries exhausted → retryable DownstreamError, nothing written", async () => {
    const client = db.newClient();
    const counter = failFirstCalls(
      client,
      100,
      () =>
        new ProvisionedThroughputExceededException({
          message: "throttled (injected)",
          $metadata: {},
        }),
    );
    const { delays, sleep } = recordingSleep();
    const store = new DynamoDbRecordStore({
      client,
      tableName: RECORDS.name,
      retry: { policy: EXACT_RETRY, sleep },
    });
    const error = await store.put(record("r-never")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownstreamError);
    expect(error).toMatchObject({
      downstream: "key-value-store",
      kind: "throttled",
      retryable: true,
    });
    expect(counter.calls).toBe(4);
    expect(delays).toEqual([100, 200, 400]);
    expect(await rawItem(db.client, "r-never")).toBeUndefined();
  });

  it("a non-retryable error is not retried", async () => {
    const { delays, sleep } = recordingSleep();
    const store = new DynamoDbRecordStore({
      client: db.client,
      tableName: "no-such-table",
      retry: { policy: EXACT_RETRY, sleep },
    });
    const error = await store.put(record("r-x")).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "other", retryable: false });
    expect(delays).toEqual([]);
  });

  it("FM-12 partial batch failure: UnprocessedItems re-sent on the schedule until written", async () => {
    const client = db.newClient();
    withholdBatchItems(client, 2, 2);
    const { delays, sleep } = recordingSleep();
    const store = new DynamoDbRecordStore({
      client,
      tableName: RECORDS.name,
      retry: { policy: EXACT_RETRY, sleep },
    });
    const records = Array.from({ length: 20 }, (_, i) => record(`b1-${i}`, i));
    const result = await store.batchPut(records);
    expect(result).toEqual({ written: 20, unprocessed: [] });
    expect(delays).toEqual([100, 200]);
    for (const r of records) expect(await store.get(r.id)).toEqual(r);
  });

  it("FM-12 partial batch failure: what stays unprocessed after 3 retries is returned, per chunk of 25", async () => {
    const client = db.newClient();
    const counter = withholdBatchItems(client, 2, Number.POSITIVE_INFINITY);
    const { delays, sleep } = recordingSleep();
    const store = new DynamoDbRecordStore({
      client,
      tableName: RECORDS.name,
      retry: { policy: EXACT_RETRY, sleep },
    });
    const records = Array.from({ length: 30 }, (_, i) => record(`b2-${i}`, i));
    const result = await store.batchPut(records);
    // Chunks of 25 and 5; each chunk: first call + 3 retries.
    expect(counter.calls).toBe(8);
    expect(delays).toEqual([100, 200, 400, 100, 200, 400]);
    expect(result.written).toBe(26);
    expect(result.unprocessed.map((u) => u.record.id).sort()).toEqual(
      ["b2-0", "b2-1", "b2-25", "b2-26"].sort(),
    );
    expect(result.unprocessed[0]?.record).toEqual(records[0]);
    expect(result.unprocessed[0]?.reason).toBe("unprocessed-after-retries");
    expect(await rawItem(db.client, "b2-0")).toBeUndefined();
    expect(await store.get("b2-2")).toEqual(records[2]);
    expect(await store.get("b2-29")).toEqual(records[29]);
  });

  it("batchPut with a repeated message id writes it once (BatchWriteItem refuses duplicates)", async () => {
    const store = new DynamoDbRecordStore({ client: db.client, tableName: RECORDS.name });
    const result = await store.batchPut([record("dup", 1), record("dup", 2)]);
    expect(result).toEqual({ written: 1, unprocessed: [] });
    expect((await store.get("dup"))?.data.speed_kmh).toBe(2);
  });

  it("FM-08: a throttled batch whose retries run out is returned as unprocessed, not thrown", async () => {
    const client = db.newClient();
    failFirstCalls(
      client,
      100,
      () =>
        new ProvisionedThroughputExceededException({
          message: "throttled (injected)",
          $metadata: {},
        }),
    );
    const { sleep } = recordingSleep();
    const store = new DynamoDbRecordStore({
      client,
      tableName: RECORDS.name,
      retry: { policy: EXACT_RETRY, sleep },
    });
    const result = await store.batchPut([record("t-1"), record("t-2")]);
    expect(result.written).toBe(0);
    expect(result.unprocessed.map((u) => u.record.id)).toEqual(["t-1", "t-2"]);
    expect(result.unprocessed[0]?.reason).toMatch(/^throttled: /);
  });
});

describe("DynamoDB connection failures and the circuit breaker", () => {
  const CIRCUIT: CircuitBreakerPolicy = {
    openAfterFailures: 3,
    windowMs: 60_000,
    halfOpenAfterMs: 50,
    halfOpenTraffic: 1,
  };
  const QUICK_RETRY: RetryPolicy = { attempts: 1, delaysMs: [1], jitter: "none" };

  it("FM-18 DynamoDB connection failure: circuit opens after the threshold, half-open probe, manual reset", async () => {
    const deadClient = db.newClient({
      ...localClientConfig(`http://127.0.0.1:${await closedPort()}`),
    });
    const dead = new DynamoDbRecordStore({
      client: deadClient,
      tableName: RECORDS.name,
      retry: { policy: QUICK_RETRY },
    });
    const live = new DynamoDbRecordStore({ client: db.client, tableName: RECORDS.name });
    const breaker = new DownstreamCircuitBreaker({ name: "store-a", policy: CIRCUIT });
    const reached = failFirstCalls(deadClient, 0, () => new Error("unused"));
    let store = dead;
    const put = (id: string) => breaker.execute(() => store.put(record(id)));

    for (let i = 0; i < 3; i++) {
      const error = await put(`c-${i}`).catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: "connection", retryable: true });
    }
    expect(breaker.state).toBe("open");
    expect(reached.calls).toBe(6); // 3 operations × (1 try + 1 retry)
    const rejected = await put("c-open").catch((e: unknown) => e);
    expect(rejected).toMatchObject({ kind: "circuit-open", retryable: true });
    expect(reached.calls).toBe(6); // fail fast: the dead endpoint was not called

    // Half-open: the probe still fails → open again.
    await new Promise((r) => setTimeout(r, 70));
    await expect(put("c-probe-1")).rejects.toMatchObject({ kind: "connection" });
    expect(breaker.state).toBe("open");

    // Downstream recovers: the next probe succeeds and closes the circuit.
    store = live;
    await new Promise((r) => setTimeout(r, 70));
    await put("c-probe-2");
    expect(breaker.state).toBe("closed");
    expect(await live.get("c-probe-2")).toEqual(record("c-probe-2"));

    // Procedure 2: open it again, then reset manually — traffic flows at once.
    store = dead;
    for (let i = 0; i < 3; i++) await put(`c2-${i}`).catch(() => undefined);
    expect(breaker.state).toBe("open");
    store = live;
    breaker.reset();
    expect(breaker.state).toBe("closed");
    expect(breaker.failuresInWindow).toBe(0);
    await put("c-after-reset");
    expect(await live.get("c-after-reset")).toEqual(record("c-after-reset"));
    deadClient.destroy();
  });

  it("FM-09 connection pool exhausted: queued requests time out as retryable errors and open the circuit", async () => {
    const hole = await blackHole();
    // One socket, held by a peer that never answers: the other requests wait for the pool.
    const client = db.newClient({
      ...localClientConfig(`http://127.0.0.1:${hole.port}`),
      requestHandler: {
        httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }),
        connectionTimeout: 300,
        requestTimeout: 150,
        throwOnRequestTimeout: true,
      },
    });
    const store = new DynamoDbRecordStore({ client, tableName: RECORDS.name });
    const breaker = new DownstreamCircuitBreaker({ name: "store-a", policy: CIRCUIT });
    const results = await Promise.allSettled(
      [0, 1, 2].map((i) => breaker.execute(() => store.put(record(`pool-${i}`)))),
    );
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toMatchObject({
        kind: "timeout",
        retryable: true,
      });
    }
    expect(breaker.state).toBe("open");
    client.destroy();
    await hole.close();
  });
});

import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalRulesEngine, type EngineTransactions } from "../../src/local/rules-engine.js";
import { startMosquitto, type MosquittoBroker } from "../support/mosquitto.js";

const FILTER = "fleet/+/data";

// The micro-batching engine against a real Mosquitto: batches form while the previous one
// commits, and nothing is acknowledged before its commit (a failed commit is redelivered).
describe("LocalRulesEngine micro-batches (PUBACK after the commit)", () => {
  let broker: MosquittoBroker;
  let publisher: mqtt.MqttClient;
  beforeAll(async () => {
    broker = await startMosquitto({ maxQueuedMessages: 0 });
    publisher = await mqtt.connectAsync(broker.url, {
      protocolVersion: 5,
      connectTimeout: 5000,
      reconnectPeriod: 0,
    });
  });
  afterAll(async () => {
    await publisher?.endAsync();
    await broker?.cleanup();
  });

  const until = async (cond: () => boolean, what: string) => {
    const end = Date.now() + 15_000;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("processes many messages per transaction", async () => {
    const seen: string[] = [];
    const committed: number[] = [];
    const tx: EngineTransactions = {
      batch: async (work) => {
        await new Promise((r) => setTimeout(r, 20)); // a slow commit lets the next batch fill
        const r = await work();
        return r;
      },
      message: (work) => work(),
    };
    const engine = new LocalRulesEngine({
      url: broker.url,
      clientId: `batch-${Math.random()}`,
      rules: [
        {
          name: "r",
          filter: FILTER,
          timeoutMs: 1000,
          handler: async (e) => void seen.push(Buffer.from(e.payload, "base64").toString()),
        },
      ],
      transactions: tx,
      maxBatch: 100,
      onCommitted: (n) => committed.push(n),
    });
    await engine.start();
    try {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          publisher.publishAsync("fleet/v1/data", `m${i}`, { qos: 1 }),
        ),
      );
      await until(() => seen.length >= 300, "300 messages");
      await engine.idle();
      expect(new Set(seen).size).toBe(300);
      expect(committed.reduce((a, b) => a + b, 0)).toBe(300);
      expect(committed.length).toBeLessThan(300);
      expect(Math.max(...committed)).toBeGreaterThan(1);
    } finally {
      await engine.stop();
    }
  });

  it("acknowledges nothing of a batch whose commit failed: the broker redelivers it", async () => {
    const seen: string[] = [];
    let failNext = true;
    const tx: EngineTransactions = {
      batch: async (work) => {
        const r = await work();
        if (failNext) {
          failNext = false;
          throw new Error("disk I/O error (injected at COMMIT)");
        }
        return r;
      },
      message: (work) => work(),
    };
    const engine = new LocalRulesEngine({
      url: broker.url,
      clientId: `redeliver-${Math.random()}`,
      rules: [
        {
          name: "r",
          filter: FILTER,
          timeoutMs: 1000,
          handler: async (e) => void seen.push(Buffer.from(e.payload, "base64").toString()),
        },
      ],
      transactions: tx,
      reconnectPeriodMs: 50,
    });
    await engine.start();
    try {
      await publisher.publishAsync("fleet/v2/data", "only", { qos: 1 });
      await until(() => seen.length >= 2, "redelivery after the failed commit");
      expect(seen).toEqual(["only", "only"]);
      expect(engine.stats.uncommitted).toBe(1);
      expect(engine.stats.batches).toBeGreaterThanOrEqual(1);
    } finally {
      await engine.stop();
    }
  });
});

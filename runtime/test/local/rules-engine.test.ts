import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RuleEvent } from "../../src/handlers/event.js";
import { LocalRulesEngine, topicMatches, type LocalRule } from "../../src/local/rules-engine.js";
import { startMosquitto, type MosquittoBroker } from "../support/mosquitto.js";

describe("LocalRulesEngine against a real Mosquitto", () => {
  let broker: MosquittoBroker;
  let publisher: mqtt.MqttClient;
  beforeAll(async () => {
    broker = await startMosquitto();
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

  async function withEngine(
    rules: LocalRule[],
    extra: Partial<ConstructorParameters<typeof LocalRulesEngine>[0]>,
    body: (e: LocalRulesEngine) => Promise<void>,
  ) {
    const engine = new LocalRulesEngine({
      url: broker.url,
      rules,
      clientId: `engine-${Math.random()}`,
      clientIdOf: (t) => t.split("/")[3] ?? "",
      ...extra,
    });
    await engine.start();
    try {
      await body(engine);
    } finally {
      await engine.stop();
    }
  }

  it("delivers the rule SQL's event: base64 payload, topic, client id, receive time", async () => {
    const events: RuleEvent[] = [];
    const rule: LocalRule = {
      name: "r",
      filter: "v2c/v1/+/+/telemetry/vehicle",
      timeoutMs: 1000,
      handler: async (e) => void events.push(e),
    };
    await withEngine([rule], { now: () => 1_700_000_000_000 }, async (engine) => {
      const payload = Buffer.from([0, 1, 2, 250, 255]);
      await publisher.publishAsync(
        "v2c/v1/us-east-1/VIN-1HGBH41JXMN109186/telemetry/vehicle",
        payload,
        { qos: 1 },
      );
      await publisher.publishAsync(
        "v2c/v1/us-east-1/VIN-1HGBH41JXMN109186/telemetry/batch",
        payload,
        { qos: 1 },
      );
      await waitFor(() => engine.stats.received >= 1);
      await engine.idle();
      expect(events).toEqual([
        {
          payload: payload.toString("base64"),
          topic: "v2c/v1/us-east-1/VIN-1HGBH41JXMN109186/telemetry/vehicle",
          clientId: "VIN-1HGBH41JXMN109186",
          receivedAt: 1_700_000_000_000,
        },
      ]);
    });
  });

  it("retries a failing invocation like an async Lambda invocation, then runs the error action", async () => {
    let calls = 0;
    const errors: unknown[] = [];
    const flaky: LocalRule = {
      name: "flaky",
      filter: "flaky/#",
      timeoutMs: 1000,
      handler: async () => {
        calls++;
        if (calls < 3) throw new Error(`attempt ${calls}`);
      },
    };
    await withEngine(
      [flaky],
      { retryDelaysMs: [5, 10], onError: async (_r, _e, err) => void errors.push(err) },
      async (engine) => {
        await publisher.publishAsync("flaky/1", "x", { qos: 1 });
        await waitFor(() => calls >= 3);
        await engine.idle();
        expect(engine.stats).toMatchObject({ received: 1, invoked: 3, retried: 2, failed: 0 });
        expect(errors).toEqual([]);
      },
    );
    const broken: LocalRule = {
      name: "broken",
      filter: "broken/#",
      timeoutMs: 50,
      handler: () => new Promise(() => undefined),
    };
    await withEngine(
      [broken],
      { retryDelaysMs: [5], onError: async (_r, _e, err) => void errors.push(err) },
      async (engine) => {
        await publisher.publishAsync("broken/1", "x", { qos: 1 });
        await waitFor(() => errors.length === 1);
        expect(engine.stats).toMatchObject({ invoked: 2, retried: 1, failed: 1 });
        expect(String(errors[0])).toMatch(/Task timed out after 50 ms/);
      },
    );
  });

  it("matches MQTT filters", () => {
    expect(topicMatches("a/+/c", "a/b/c")).toBe(true);
    expect(topicMatches("a/+/c", "a/b/c/d")).toBe(false);
    expect(topicMatches("a/#", "a/b/c")).toBe(true);
    expect(topicMatches("a/b", "a/c")).toBe(false);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

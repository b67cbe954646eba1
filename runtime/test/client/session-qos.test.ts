import { randomUUID } from "node:crypto";
import { connectAsync, type IPublishPacket, type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startMosquitto, type MosquittoBroker } from "../support/mosquitto.js";
import { freePort } from "../support/ports.js";
import { ScriptedPeer } from "../support/scripted-peer.js";
import { makeSession, payloadFor, tempDir, waitUntil, type TestSession } from "./helpers.js";

const TOPIC = "v2c-test/qos/status";

/**
 * QoS, retain and message expiry reach the wire as the operation declares them (issue 9), and
 * the PUBACK reason code reported is the broker's (issue 10, defect 7).
 */
describe("VehicleSession: per-operation QoS, retain, expiry; PUBACK reason codes", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function brokerAndSession(): Promise<{
    broker: MosquittoBroker;
    t: TestSession;
    observer: MqttClient;
    seen: IPublishPacket[];
  }> {
    const broker = await startMosquitto();
    cleanups.push(() => broker.cleanup());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    // An independent subscriber at QoS 2: what it receives carries min(publish QoS, 2).
    const observer = await connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `observer-${randomUUID()}`,
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    cleanups.push(() => observer.endAsync(true));
    const seen: IPublishPacket[] = [];
    observer.on("message", (_t, _p, packet) => seen.push(packet));
    await observer.subscribeAsync(`${TOPIC}/#`, { qos: 2 });
    const t = makeSession(broker.url, dir.path("queue.db"));
    cleanups.push(t.close);
    t.session.start();
    await t.session.whenReady(5000);
    return { broker, t, observer, seen };
  }

  it("QoS 0 goes out at QoS 0 (seen by an independent subscriber), QoS 1 at QoS 1, with retain and expiry", async () => {
    const { t, seen } = await brokerAndSession();
    const q0 = await t.session.publish(`${TOPIC}/zero`, payloadFor("a"), {
      messageId: "a",
      qos: 0,
    });
    const q1 = await t.session.publish(`${TOPIC}/one`, payloadFor("b"), {
      messageId: "b",
      qos: 1,
      messageExpiryS: 120,
    });
    expect(q0).toEqual({ status: "sent" });
    expect(q1.status).toBe("acked");
    await waitUntil(() => seen.length === 2, 3000, "both messages at the observer");
    const byTopic = new Map(seen.map((p) => [p.topic, p]));
    expect(byTopic.get(`${TOPIC}/zero`)!.qos).toBe(0);
    expect(byTopic.get(`${TOPIC}/one`)!.qos).toBe(1);
    const expiry = byTopic.get(`${TOPIC}/one`)!.properties?.messageExpiryInterval;
    expect(expiry).toBeGreaterThan(110);
    expect(expiry).toBeLessThanOrEqual(120);
    expect(t.queue.size()).toBe(0);
  });

  it("QoS 0 while offline is dropped (not queued, never resent) unless the operation says x-offline: queue", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    // Nothing listens on this URL's port: the session stays offline.
    const url = `mqtt://127.0.0.1:${await freePort()}`;
    const t = makeSession(url, dir.path("queue.db"));
    cleanups.push(t.close);
    t.session.start();
    const dropped = await t.session.publish(TOPIC, payloadFor("x"), { messageId: "x", qos: 0 });
    expect(dropped).toEqual({ status: "dropped", reason: "offline" });
    expect(t.queue.size()).toBe(0);
    const kept = await t.session.publish(TOPIC, payloadFor("y"), {
      messageId: "y",
      qos: 0,
      offline: "queue",
    });
    expect(kept).toEqual({ status: "queued", reason: "offline" });
    expect(t.queue.peek(10).map((e) => [e.messageId, e.qos])).toEqual([["y", 0]]);
  });

  it("retain: a retained publish is delivered to a subscriber that comes later", async () => {
    const { broker, t } = await brokerAndSession();
    await t.session.publish(`${TOPIC}/retained`, payloadFor("r"), {
      messageId: "r",
      qos: 1,
      retain: true,
    });
    const late = await connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `late-${randomUUID()}`,
      reconnectPeriod: 0,
    });
    cleanups.push(() => late.endAsync(true));
    const got: IPublishPacket[] = [];
    late.on("message", (_t, _p, packet) => got.push(packet));
    await late.subscribeAsync(`${TOPIC}/retained`, { qos: 1 });
    await waitUntil(() => got.length === 1, 3000, "retained message");
    expect(got[0]!.retain).toBe(true);
  });

  it("defect 7: reports PUBACK 0x10 (no matching subscribers) from Mosquitto, not 0", async () => {
    const { t } = await brokerAndSession();
    // Nobody subscribes to this topic: Mosquitto answers PUBACK 0x10.
    const r = await t.session.publish("v2c-test/nobody/listens", payloadFor("n"), {
      messageId: "n",
      qos: 1,
    });
    expect(r).toEqual({ status: "acked", reasonCode: 0x10 });
    const s = await t.session.publish(`${TOPIC}/one`, payloadFor("s"), { messageId: "s", qos: 1 });
    expect(s).toEqual({ status: "acked", reasonCode: 0 });
  });

  it("defect 7: reports the scripted peer's PUBACK reason code per packet", async () => {
    const peer = await ScriptedPeer.start({
      puback: (p) => (p.topic.endsWith("/none") ? 0x10 : 0),
    });
    cleanups.push(() => peer.close());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const t = makeSession(peer.url, dir.path("queue.db"));
    cleanups.push(t.close);
    t.session.start();
    await t.session.whenReady(5000);
    const [a, b] = await Promise.all([
      t.session.publish(`${TOPIC}/none`, payloadFor("1"), { messageId: "1" }),
      t.session.publish(`${TOPIC}/some`, payloadFor("2"), { messageId: "2" }),
    ]);
    expect(a).toEqual({ status: "acked", reasonCode: 0x10 });
    expect(b).toEqual({ status: "acked", reasonCode: 0 });
  });
});

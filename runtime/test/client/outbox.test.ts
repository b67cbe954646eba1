import { randomUUID } from "node:crypto";
import { connectAsync } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startMosquitto } from "../support/mosquitto.js";
import { ScriptedPeer } from "../support/scripted-peer.js";
import { makeSession, payloadFor, tempDir, telemetryTopic, waitUntil } from "./helpers.js";

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

/**
 * The session writes PUBLISH packets itself (Outbox): one deadline timer per connection, not
 * one per message; acknowledgements matched by packet id; QoS 2 completes its exchange.
 */
describe("VehicleSession outbox: deadlines, packet ids, QoS 2", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("200 publishes waiting for their PUBACK hold one deadline timer, not one each", async () => {
    const peer = await ScriptedPeer.start({ puback: () => null });
    cleanups.push(() => peer.close());
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const t = makeSession(peer.url, dir.path("queue.db"), {
      timeouts: { connectMs: 3000, pubackMs: 60_000, subscribeMs: 2000, endMs: 200 },
    });
    cleanups.push(t.close);
    t.session.start();
    await t.session.whenReady(5000);
    const before = timers();
    const pending = Array.from({ length: 200 }, (_, i) =>
      t.session.publish(telemetryTopic(), payloadFor(`m-${i}`), { messageId: `m-${i}`, alias: 1 }),
    );
    await peer.waitFor(() => peer.publishes.length === 200, 5000, "200 PUBLISH at the peer");
    expect(timers() - before).toBeLessThanOrEqual(2);
    // Distinct packet ids, all in flight at once.
    expect(new Set(peer.publishes.map((p) => p.packet.messageId)).size).toBe(200);
    expect(t.queue.size()).toBe(200); // write-ahead: every one is in the queue file
    await t.close();
    const results = await Promise.all(pending);
    expect(results.every((r) => r.status === "queued")).toBe(true);
  });

  it("QoS 2 through Mosquitto: PUBREC → PUBREL → PUBCOMP, acked once, delivered once", async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.cleanup());
    const observer = await connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `observer-${randomUUID()}`,
      reconnectPeriod: 0,
    });
    cleanups.push(() => observer.endAsync(true));
    const got: string[] = [];
    observer.on("message", (_t, payload) => got.push(payload.toString()));
    await observer.subscribeAsync(telemetryTopic(), { qos: 2 });
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const t = makeSession(broker.url, dir.path("queue.db"));
    cleanups.push(t.close);
    t.session.start();
    await t.session.whenReady(5000);
    const results = await Promise.all(
      ["a", "b", "c"].map((id) =>
        t.session.publish(telemetryTopic(), payloadFor(id), { messageId: id, qos: 2 }),
      ),
    );
    expect(results).toEqual([
      { status: "acked", reasonCode: 0 },
      { status: "acked", reasonCode: 0 },
      { status: "acked", reasonCode: 0 },
    ]);
    await waitUntil(() => got.length === 3, 3000, "three messages at the observer");
    await new Promise((r) => setTimeout(r, 200));
    expect(got.length).toBe(3);
    expect(t.queue.size()).toBe(0);
  });
});

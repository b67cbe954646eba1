import { connectAsync, type MqttClient } from "mqtt";
import { connect, createServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PacketTooLargeError, PersistentQueue, publishPacketSize } from "../../src/client/index.js";
import { startMosquitto, type MosquittoBroker } from "../support/mosquitto.js";
import { freePort } from "../support/ports.js";
import {
  QUEUE_POLICY,
  makeSession,
  payloadFor,
  telemetryTopic,
  tempDir,
  waitUntil,
} from "./helpers.js";

const BROKER_MAX_PACKET = 2048;
let broker: MosquittoBroker;
let observer: MqttClient;
/** id → payloads received by the independent observer (every copy, to see duplicates). */
const seen = new Map<string, string[]>();
const order: string[] = [];
const tmp = tempDir();

beforeAll(async () => {
  broker = await startMosquitto({ maxPacketSize: BROKER_MAX_PACKET, maxTopicAlias: 10 });
  observer = await connectAsync(broker.url, {
    protocolVersion: 5,
    clientId: "observer",
    reconnectPeriod: 50,
  });
  observer.on("error", () => undefined);
  await observer.subscribeAsync("v2c/#", { qos: 1 });
  observer.on("message", (_topic, payload) => {
    const text = payload.toString();
    const id = (JSON.parse(text) as { id: string }).id;
    seen.set(id, [...(seen.get(id) ?? []), text]);
    order.push(id);
  });
});

/**
 * A TCP hop between the vehicle and the broker that can refuse connections. After a broker
 * restart it stays shut until the observer has subscribed again: otherwise the broker would
 * accept (and PUBACK) the vehicle's replay before anyone subscribed and drop it — a harness
 * race, not a client property.
 */
async function startGate(
  targetPort: number,
): Promise<{ url: string; open: boolean; close: () => Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const gate = {
    url: `mqtt://127.0.0.1:${port}`,
    open: true,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((inbound) => {
    if (!gate.open) return inbound.destroy();
    const outbound = connect(targetPort, "127.0.0.1");
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return gate;
}

afterAll(async () => {
  await observer?.endAsync(true);
  await broker?.cleanup();
  tmp.cleanup();
});

describe("VehicleSession against Mosquitto (plain listener)", () => {
  it("FM-04 message too large: refused before sending when over the broker's CONNACK maximum; a packet of exactly the limit passes", async () => {
    const t = makeSession(broker.url, tmp.path("fm04.db"), { clientId: "vehicle-fm04" });
    try {
      t.session.start();
      await t.session.whenReady(5000);
      const topic = telemetryTopic();
      // Payload length for which the first PUBLISH (topic + alias) is exactly the limit.
      const overhead = publishPacketSize({ topic, alias: 1 }, Buffer.alloc(0));
      let len = BROKER_MAX_PACKET - overhead;
      while (publishPacketSize({ topic, alias: 1 }, Buffer.alloc(len)) > BROKER_MAX_PACKET) len--;
      expect(publishPacketSize({ topic, alias: 1 }, Buffer.alloc(len))).toBe(BROKER_MAX_PACKET);
      const fits = Buffer.alloc(len, 0x20);
      fits.write(JSON.stringify({ id: "fits" }).padEnd(len, " "));
      expect((await t.session.publish(topic, fits, { messageId: "fits", alias: 1 })).status).toBe(
        "acked",
      );

      const err = await t.session
        .publish(topic, Buffer.alloc(len + 1, 0x20), { messageId: "too-big", alias: 1 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PacketTooLargeError);
      expect(err).toMatchObject({
        size: BROKER_MAX_PACKET + 1,
        limit: BROKER_MAX_PACKET,
        detectedBy: "client",
      });
      expect(t.session.isLive).toBe(true); // never sent, so the broker had no reason to disconnect
      expect(t.queue.size()).toBe(0);
      await waitUntil(() => seen.has("fits"), 3000, "observer got the exact-limit message");
    } finally {
      await t.close();
    }
  });

  it("FM-02 broker killed mid-stream and restarted: every message id arrives, repeats only as exact duplicates", async () => {
    const gate = await startGate(broker.port);
    const t = makeSession(gate.url, tmp.path("fm02.db"), { clientId: "vehicle-fm02" });
    const ids = Array.from({ length: 150 }, (_, i) => `kill-${i}`);
    try {
      t.session.start();
      await t.session.whenReady(5000);
      let restarted: Promise<void> | undefined;
      const statuses: string[] = [];
      for (const [i, id] of ids.entries()) {
        if (i === 50) {
          restarted = (async () => {
            gate.open = false;
            await broker.stop("SIGKILL"); // a crash, not a shutdown
            await new Promise((r) => setTimeout(r, 300));
            await broker.start();
            await waitUntil(() => observer.connected, 5000, "observer reconnected");
            await observer.subscribeAsync("v2c/#", { qos: 1 });
            gate.open = true;
          })();
        }
        const r = await t.session.publish(telemetryTopic(), payloadFor(id, `body-${i}`), {
          messageId: id,
          alias: 1,
        });
        statuses.push(r.status === "acked" || r.status === "sent" ? r.status : r.reason);
        if (i % 10 === 0) await new Promise((r2) => setTimeout(r2, 5));
      }
      await restarted;
      expect(statuses).toContain("offline"); // some went to the queue while the broker was down
      await waitUntil(
        () => t.queue.size() === 0 && t.session.isLive,
        10_000,
        "queue flushed after restart",
      );
      await waitUntil(() => ids.every((id) => seen.has(id)), 10_000, "observer received every id");
      for (const id of ids) {
        const copies = seen.get(id)!;
        expect(new Set(copies).size, `copies of ${id} differ`).toBe(1);
      }
      expect(t.metrics.total("mqtt.disconnect")).toBeGreaterThanOrEqual(1);
      expect(t.metrics.get("mqtt.connection.success")).toBeGreaterThanOrEqual(2);
    } finally {
      await t.close();
      await gate.close();
    }
  });

  it("process restart: messages queued while offline survive closing the process and are replayed in order by a new session", async () => {
    const queuePath = tmp.path("restart.db");
    const deadPort = await freePort(); // nothing listens here: the vehicle is out of coverage
    const first = makeSession(`mqtt://127.0.0.1:${deadPort}`, queuePath, {
      clientId: "vehicle-restart",
    });
    const ids = Array.from({ length: 20 }, (_, i) => `restart-${i}`);
    first.session.start();
    for (const id of ids) {
      expect(
        (await first.session.publish(telemetryTopic(), payloadFor(id), { messageId: id, alias: 1 }))
          .status,
      ).toBe("queued");
    }
    await first.close(); // the process ends

    const reopened = PersistentQueue.open(queuePath, { policy: QUEUE_POLICY });
    expect(reopened.size()).toBe(ids.length);
    const second = makeSession(broker.url, queuePath, {
      clientId: "vehicle-restart",
      queue: reopened,
    });
    const live = second.session.publish(telemetryTopic(), payloadFor("restart-new"), {
      messageId: "restart-new",
      alias: 1,
    });
    try {
      second.session.start();
      await second.session.whenReady(5000);
      await live;
      await waitUntil(
        () => [...ids, "restart-new"].every((id) => seen.has(id)),
        5000,
        "replayed messages received",
      );
      const got = order.filter((id) => id.startsWith("restart-"));
      // Queue order is kept and the queue goes before new traffic.
      expect([...new Set(got)]).toEqual([...ids, "restart-new"]);
      expect(reopened.size()).toBe(0);
    } finally {
      await second.close();
    }
  });
});

import type { IPublishPacket } from "mqtt-packet";
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import {
  BatchPublisher,
  decodeBatch,
  NotAuthorizedError,
  PacketTooLargeError,
  type BatchSplitEvent,
  type ConnectFailedEvent,
  type ConnectedEvent,
  type CredentialError,
  type SecurityEvent,
} from "../../src/client/index.js";
import type { BatchPolicy } from "../../src/policy.js";
import { ScriptedPeer, type ScriptedPeerScript } from "../support/scripted-peer.js";
import {
  FAST_PUBLISH_RETRY,
  batchTopic,
  makeSession,
  payloadFor,
  telemetryTopic,
  tempDir,
  testCodec,
  waitUntil,
} from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(script: ScriptedPeerScript) {
  const peer = await ScriptedPeer.start(script);
  const tmp = tempDir();
  const t = makeSession(peer.url, tmp.path("q.db"));
  cleanups.push(
    tmp.cleanup,
    () => peer.close(),
    () => t.close(),
  );
  return { peer, t };
}

const aliasOf = (p: IPublishPacket): number | undefined => p.properties?.topicAlias;

describe("VehicleSession against a scripted MQTT 5 peer", () => {
  it("sends CONNECT as MQTT 5 with clean start false, session expiry, and honours the server keep-alive", async () => {
    const { peer, t } = await setup({
      connack: () => ({ reasonCode: 0, properties: { serverKeepAlive: 7, topicAliasMaximum: 10 } }),
    });
    const connected = t.events.next("connected", 3000);
    t.session.start();
    const [info] = (await connected) as [ConnectedEvent];
    expect(info.keepaliveSeconds).toBe(7);
    const c = peer.connects[0]!;
    expect(c).toMatchObject({
      protocolVersion: 5,
      clean: false,
      clientId: "VIN-1HGBH41JXMN109186",
      keepalive: 60,
    });
    expect(c.properties?.sessionExpiryInterval).toBe(3600);
  });

  it("topic alias on the wire: topic+alias first, alias only next, topic+alias again after a reconnect", async () => {
    const { peer, t } = await setup({
      connack: () => ({ reasonCode: 0, properties: { topicAliasMaximum: 10 } }),
    });
    t.session.start();
    await t.session.whenReady(3000);
    const topic = telemetryTopic();
    for (const id of ["a1", "a2"])
      await t.session.publish(topic, payloadFor(id), { messageId: id, alias: 1 });
    peer.dropConnections();
    await waitUntil(() => peer.connects.length === 2 && t.session.isLive, 3000, "reconnected");
    await t.session.publish(topic, payloadFor("a3"), { messageId: "a3", alias: 1 });
    const pubs = peer.publishes;
    expect(pubs.map((p) => [p.connection, p.packet.topic, aliasOf(p.packet)])).toEqual([
      [0, topic, 1],
      [0, "", 1],
      [1, topic, 1],
    ]);
  });

  it("falls back to the full topic when the alias exceeds the broker's Topic Alias Maximum (or it is absent)", async () => {
    const { peer, t } = await setup({
      connack: (_c, i) => ({ reasonCode: 0, properties: i === 0 ? { topicAliasMaximum: 1 } : {} }),
    });
    t.session.start();
    await t.session.whenReady(3000);
    const r = await t.session.publish(batchTopic(), payloadFor("b1"), {
      messageId: "b1",
      alias: 2,
    });
    expect(r.status).toBe("acked");
    peer.dropConnections();
    await waitUntil(() => peer.connects.length === 2 && t.session.isLive, 3000, "reconnected");
    await t.session.publish(telemetryTopic(), payloadFor("t1"), { messageId: "t1", alias: 1 });
    expect(peer.publishes.map((p) => [p.packet.topic, aliasOf(p.packet)])).toEqual([
      [batchTopic(), undefined],
      [telemetryTopic(), undefined],
    ]);
  });

  it("FM-03 rate limit: CONNACK 0x97 → waits the quota window, then retries and connects", async () => {
    const { peer, t } = await setup({ connack: (_c, i) => ({ reasonCode: i === 0 ? 0x97 : 0 }) });
    const failed: ConnectFailedEvent[] = [];
    const failedAt: number[] = [];
    t.events.on("connectFailed", (e) => {
      failed.push(e);
      failedAt.push(Date.now());
    });
    t.session.start();
    await t.session.whenReady(5000);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reasonCode: 0x97, nextDelayMs: 300 });
    const [, c1] = peer.received.filter((r) => r.packet.cmd === "connect");
    // The quota window (300 ms in this test), not the first backoff step (20 ms), measured from
    // the client's refusal: the peer's read time only ever adds to it.
    expect(c1!.at - failedAt[0]!).toBeGreaterThanOrEqual(295);
    expect(t.metrics.get("mqtt.connection.failure", { reason: "0x97" })).toBe(1);
    expect(t.metrics.get("mqtt.connection.success")).toBe(1);
  });

  it("CONNACK 0x87 (not authorized) → credentialProblem and the loop stops", async () => {
    const { peer, t } = await setup({ connack: () => ({ reasonCode: 0x87 }) });
    const problem = t.events.next("credentialProblem", 3000);
    t.session.start();
    const [err] = (await problem) as [CredentialError];
    expect(err).toMatchObject({ kind: "not-authorized", reasonCode: 0x87 });
    await new Promise((r) => setTimeout(r, 400)); // longer than the reconnect schedule
    expect(peer.connects).toHaveLength(1);
    await expect(t.session.whenReady(100)).rejects.toBe(err);
    // Publishing still lands in the queue (delivered once credentials are renewed).
    expect(
      (await t.session.publish(telemetryTopic(), payloadFor("x"), { messageId: "x" })).status,
    ).toBe("queued");
  });

  it("FM-02 network timeout: reconnects on the retry schedule while the broker is unreachable", async () => {
    const { peer, t } = await setup({ connack: (_c, i) => ({ reasonCode: i < 3 ? 0x88 : 0 }) }); // 0x88 server unavailable
    const failed: ConnectFailedEvent[] = [];
    const failedAt: number[] = [];
    t.events.on("connectFailed", (e) => {
      failed.push(e);
      failedAt.push(Date.now());
    });
    t.session.start();
    await t.session.whenReady(5000);
    expect(failed.map((f) => f.nextDelayMs)).toEqual([20, 40, 80]);
    const at = peer.received.filter((r) => r.packet.cmd === "connect").map((r) => r.at);
    expect(at[3]! - failedAt[2]!).toBeGreaterThanOrEqual(75);
  });

  it("FM-04 message too large: the broker's DISCONNECT 0x95 → PacketTooLargeError (broker), not queued, limit learned", async () => {
    // MQTT 5 has no PUBACK 0x95 (mqtt-packet/MQTT.js reject one as invalid); brokers refuse an
    // oversize PUBLISH with DISCONNECT 0x95 — here for payloads over 1000 bytes, a limit the
    // broker did not advertise in CONNACK.
    const { peer, t } = await setup({
      disconnect: (p) => (p.payload.length > 1000 ? 0x95 : undefined),
    });
    t.session.start();
    await t.session.whenReady(3000);
    const err = await t.session
      .publish(telemetryTopic(), Buffer.alloc(1200, 1), { messageId: "big" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PacketTooLargeError);
    expect((err as PacketTooLargeError).detectedBy).toBe("broker");
    expect(t.queue.size()).toBe(0);
    // Reconnects; the learned limit now refuses the same size before sending, quickly.
    await waitUntil(() => t.session.isLive, 3000, "reconnected");
    const again = await t.session
      .publish(telemetryTopic(), Buffer.alloc(1200, 1), { messageId: "big-2" })
      .catch((e: unknown) => e);
    expect(again).toMatchObject({ detectedBy: "client" });
    expect(peer.publishes).toHaveLength(1);
    expect(
      (await t.session.publish(telemetryTopic(), payloadFor("small"), { messageId: "small" }))
        .status,
    ).toBe("acked");
  });

  it("FM-13 batch exceeds size: the broker refuses the batch (0x95) → split into halves and resent", async () => {
    // The peer refuses any PUBLISH payload over 1500 bytes, like a broker with a lower limit.
    const { peer, t } = await setup({
      disconnect: (p) => (p.payload.length > 1500 ? 0x95 : undefined),
    });
    t.session.start();
    await t.session.whenReady(3000);
    const policy: BatchPolicy = {
      minMessages: 1,
      maxMessages: 50,
      maxCompressedBytes: 100_000,
      intervalMs: 1000,
      zstdLevel: 3,
    };
    let n = 0;
    const publisher = new BatchPublisher({
      session: t.session,
      topic: batchTopic(),
      alias: 2,
      policy,
      codec: testCodec,
      newMessageId: () => `batch-${++n}`,
    });
    const splits: BatchSplitEvent[] = [];
    t.events.on("batchSplit", (e) => splits.push(e));
    const records = Array.from({ length: 16 }, () => new Uint8Array(randomBytes(150))); // ≈2.5 KB, incompressible
    const sent = await publisher.publish(records);
    expect(splits[0]).toEqual({ reason: "broker-packet-too-large", records: 16, into: [8, 8] });
    // The first half is sent while reconnecting: it is queued, then flushed in order.
    await waitUntil(() => t.queue.size() === 0 && t.session.isLive, 3000, "queue flushed");
    expect(sent.reduce((a, s) => a + s.records, 0)).toBe(16);
    // Every accepted batch decodes to records that, in order, are exactly the input.
    const accepted = peer.publishes.filter((p) => p.packet.payload.length <= 1500);
    const back: Uint8Array[] = [];
    for (const p of accepted)
      back.push(...(await decodeBatch(p.packet.payload as Buffer, testCodec)).records);
    expect(back.map((r) => Buffer.from(r).toString("hex"))).toEqual(
      records.map((r) => Buffer.from(r).toString("hex")),
    );
    publisher.dispose();
  });

  it("FM-05 unauthorized topic: PUBACK 0x87 → NotAuthorizedError + securityEvent, sent once", async () => {
    const { peer, t } = await setup({ puback: () => 0x87 });
    const security: SecurityEvent[] = [];
    t.events.on("securityEvent", (e) => security.push(e));
    t.session.start();
    await t.session.whenReady(3000);
    await expect(
      t.session.publish(telemetryTopic(), payloadFor("n"), { messageId: "n" }),
    ).rejects.toBeInstanceOf(NotAuthorizedError);
    expect(security).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(peer.publishes).toHaveLength(1);
  });

  it("FM-06 no PUBACK: resends with DUP and the same packet id on the schedule, then queues, then delivers after reconnect", async () => {
    let silent = true;
    const { peer, t } = await setup({ puback: () => (silent ? null : 0) });
    const writtenAt: number[] = [];
    t.events.on("publishWritten", () => writtenAt.push(Date.now()));
    t.session.start();
    await t.session.whenReady(3000);
    const result = await t.session.publish(telemetryTopic(), payloadFor("lost"), {
      messageId: "lost",
      alias: 1,
    });
    expect(result).toEqual({ status: "queued", reason: "puback-timeout" });
    const first = peer.publishes.filter((p) => p.connection === 0);
    expect(first).toHaveLength(1 + FAST_PUBLISH_RETRY.attempts);
    expect(first.map((p) => p.packet.dup)).toEqual([false, true, true, true]);
    expect(new Set(first.map((p) => p.packet.messageId)).size).toBe(1);
    expect(t.metrics.get("mqtt.publish.resent")).toBe(FAST_PUBLISH_RETRY.attempts);
    // Gaps between writes ≥ PUBACK timeout + backoff step (300 + 25, 300 + 50, 300 + 100 ms),
    // timed on the sender's side (the peer's reads shift when the process is descheduled).
    expect(writtenAt).toHaveLength(first.length);
    expect(writtenAt[1]! - writtenAt[0]!).toBeGreaterThanOrEqual(320);
    expect(writtenAt[3]! - writtenAt[2]!).toBeGreaterThanOrEqual(395);

    // The session dropped the half-open link; with PUBACKs back, the queue is flushed.
    silent = false;
    await waitUntil(() => t.queue.size() === 0 && t.session.isLive, 5000, "queue flushed");
    const replay = peer.publishes.filter((p) => p.connection > 0);
    expect(replay.at(-1)!.packet.topic).toBe(telemetryTopic()); // full topic again on the new connection
    expect(JSON.parse(replay.at(-1)!.packet.payload.toString()).id).toBe("lost");
  });
});

import { afterEach, describe, expect, it } from "vitest";
import {
  EndpointRing,
  ReasonCode,
  type ConnectFailedEvent,
  type FailoverEvent,
} from "../../src/client/index.js";
import { freePort } from "../support/ports.js";
import { ScriptedPeer } from "../support/scripted-peer.js";
import { FAST_RECONNECT, makeSession, payloadFor, tempDir, telemetryTopic } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("EndpointRing", () => {
  const a = { name: "a", url: "mqtt://a" };
  const b = { name: "b", url: "mqtt://b" };
  const c = { name: "c", url: "mqtt://c" };

  it("moves to the next endpoint after `afterFailures` failures in a row, and round the ring", () => {
    const ring = new EndpointRing(a, { endpoints: [b, c], afterFailures: 3 });
    expect([ring.failed(), ring.failed()]).toEqual([undefined, undefined]);
    expect(ring.failed()).toEqual({ from: "a", to: "b", failures: 3, requested: false });
    expect(ring.current).toBe(b);
    ring.failed();
    ring.failed();
    expect(ring.failed()?.to).toBe("c");
    for (let i = 0; i < 2; i++) ring.failed();
    expect(ring.failed()?.to).toBe("a");
  });

  it("starts counting again after a connection", () => {
    const ring = new EndpointRing(a, { endpoints: [b], afterFailures: 2 });
    ring.failed();
    ring.connected();
    expect(ring.failed()).toBeUndefined();
    expect(ring.current.name).toBe("a");
  });

  it("never moves without failover endpoints", () => {
    const ring = new EndpointRing(a);
    for (let i = 0; i < 100; i++) expect(ring.failed()).toBeUndefined();
  });

  it("selects by name (a requested move) and refuses unknown names, duplicates and a zero bound", () => {
    const ring = new EndpointRing(a, { endpoints: [b], afterFailures: 1 });
    expect(ring.select("b")).toEqual({ from: "a", to: "b", failures: 0, requested: true });
    expect(ring.select("b")).toBeUndefined();
    expect(() => ring.select("z")).toThrow(/unknown endpoint "z" \(known: a, b\)/);
    expect(() => new EndpointRing(a, { endpoints: [a], afterFailures: 1 })).toThrow(/differ/);
    expect(() => new EndpointRing(a, { endpoints: [b], afterFailures: 0 })).toThrow(/≥ 1/);
  });
});

/** A session whose own endpoint is `primaryUrl` ("primary") and that fails over to `failoverUrl`. */
function failoverSession(primaryUrl: string, failoverUrl: string) {
  const tmp = tempDir();
  const t = makeSession(primaryUrl, tmp.path("q.db"), {
    endpointName: "primary",
    failover: {
      endpoints: [{ name: "secondary", url: failoverUrl }],
      afterFailures: FAST_RECONNECT.attempts,
    },
  });
  cleanups.push(tmp.cleanup, () => t.close());
  const failovers: FailoverEvent[] = [];
  const failed: ConnectFailedEvent[] = [];
  t.events.on("failover", (e) => failovers.push(e));
  t.events.on("connectFailed", (e) => failed.push(e));
  return { ...t, failovers, failed };
}

async function peer(script: Parameters<typeof ScriptedPeer.start>[0] = {}) {
  const p = await ScriptedPeer.start(script);
  cleanups.push(() => p.close());
  return p;
}

const ids = (p: ScriptedPeer) => p.publishes.map((x) => x.packet.payload.toString());

describe("VehicleSession failover (regional outage)", () => {
  it("moves to the failover endpoint after a full reconnect schedule of 0x88 and delivers the queue there", async () => {
    const primary = await peer({ connack: () => ({ reasonCode: ReasonCode.ServerUnavailable }) });
    const secondary = await peer();
    const t = failoverSession(primary.url, secondary.url);
    // Offline: the messages wait in the queue until some endpoint takes them.
    for (let i = 0; i < 3; i++) {
      const r = await t.session.publish(telemetryTopic(), payloadFor(`m${i}`), {
        messageId: `m${i}`,
      });
      expect(r.status).toBe("queued");
    }
    t.session.start();
    await t.session.whenReady(10_000);
    expect(t.failovers).toEqual([
      { from: "primary", to: "secondary", failures: FAST_RECONNECT.attempts, requested: false },
    ]);
    expect(primary.connects).toHaveLength(FAST_RECONNECT.attempts);
    expect(t.failed.map((f) => f.reasonCode)).toEqual(
      Array(FAST_RECONNECT.attempts).fill(ReasonCode.ServerUnavailable),
    );
    // The waits followed the schedule until the move, which is tried at once.
    expect(t.failed.map((f) => f.nextDelayMs)).toEqual([
      ...FAST_RECONNECT.delaysMs.slice(0, FAST_RECONNECT.attempts - 1),
      0,
    ]);
    expect(t.session.endpoint).toBe("secondary");
    expect(ids(secondary)).toEqual(["m0", "m1", "m2"].map((m) => payloadFor(m).toString()));
    expect(t.queue.size()).toBe(0);
  });

  it("fails over from an unreachable endpoint (nothing listening) as well", async () => {
    const closedPort = await freePort();
    const secondary = await peer();
    const t = failoverSession(`mqtt://127.0.0.1:${closedPort}`, secondary.url);
    t.session.start();
    await t.session.whenReady(10_000);
    expect(t.failovers.map((f) => [f.from, f.to])).toEqual([["primary", "secondary"]]);
    expect(t.failed.every((f) => f.reasonCode === undefined)).toBe(true);
  });

  it("does not count a quota refusal (0x97: the broker is up) towards failing over", async () => {
    const refusals = FAST_RECONNECT.attempts + 1;
    const primary = await peer({
      connack: (_c, i) => ({
        reasonCode: i < refusals ? ReasonCode.QuotaExceeded : ReasonCode.Success,
      }),
    });
    const secondary = await peer();
    const t = failoverSession(primary.url, secondary.url);
    t.session.start();
    await t.session.whenReady(10_000);
    expect(t.failovers).toEqual([]);
    expect(t.session.endpoint).toBe("primary");
    expect(secondary.connects).toHaveLength(0);
  });

  it("fails back when asked (the manual recovery): the live connection moves and publishes follow", async () => {
    const primary = await peer({
      connack: (_c, i) => ({
        reasonCode: i < FAST_RECONNECT.attempts ? ReasonCode.ServerUnavailable : ReasonCode.Success,
      }),
    });
    const secondary = await peer();
    const t = failoverSession(primary.url, secondary.url);
    t.session.start();
    await t.session.whenReady(10_000);
    expect(t.session.endpoint).toBe("secondary");

    const back = t.events.next("connected", 5_000);
    t.session.useEndpoint("primary");
    await back;
    await t.session.whenReady(5_000);
    expect(t.failovers.at(-1)).toEqual({
      from: "secondary",
      to: "primary",
      failures: 0,
      requested: true,
    });
    const r = await t.session.publish(telemetryTopic(), payloadFor("after"), {
      messageId: "after",
    });
    expect(r.status).toBe("acked");
    expect(ids(primary)).toEqual([payloadFor("after").toString()]);
    expect(ids(secondary)).toEqual([]);
    expect(() => t.session.useEndpoint("elsewhere")).toThrow(RangeError);
  });
});

import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startMosquitto } from "../support/mosquitto.js";
import { ScriptedPeer } from "../support/scripted-peer.js";
import { makeSession, tempDir, waitUntil } from "./helpers.js";

const CHILD = join(import.meta.dirname, "fixtures", "crash-publisher.ts");
const TOPIC = "v2c-test/crash/telemetry";
const COUNT = 9;

/** Issue 10 defect 8: a publish on a live connection is persisted before it is sent. */
describe("VehicleSession write-ahead: SIGKILL with messages in flight loses none", () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it("a real child process killed after sending 9 unacknowledged publishes: all 9 arrive after restart", async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const queuePath = dir.path("queue.db");
    // A broker that takes the PUBLISH packets and never acknowledges them: all stay in flight.
    const peer = await ScriptedPeer.start({ puback: () => null });
    cleanups.push(() => peer.close());
    // The publisher itself is the child (tsx as a loader, not the tsx CLI, which would run it
    // as a grandchild that a SIGKILL of the CLI leaves running).
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", CHILD, peer.url, queuePath, String(COUNT), TOPIC],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    cleanups.push(() => void child.kill("SIGKILL"));
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    await waitUntil(() => out.includes("all-called"), 20_000, `child publishing (${err})`);
    // Every message is on the wire, none acknowledged: the child dies mid-flight.
    await peer.waitFor(
      () => peer.publishes.length === COUNT,
      5000,
      "9 PUBLISH packets at the peer",
    );
    const exited = new Promise((r) => child.once("exit", (_code, signal) => r(signal)));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    // Restart: a new session on the same queue file, now against a real broker.
    const broker = await startMosquitto();
    cleanups.push(() => broker.cleanup());
    const observer = await connectAsync(broker.url, {
      protocolVersion: 5,
      clientId: `observer-${randomUUID()}`,
      reconnectPeriod: 0,
    });
    cleanups.push(() => observer.endAsync(true));
    const ids = new Set<string>();
    observer.on("message", (_t, payload) =>
      ids.add((JSON.parse(payload.toString()) as { id: string }).id),
    );
    await observer.subscribeAsync(TOPIC, { qos: 1 });
    const t = makeSession(broker.url, queuePath);
    cleanups.push(t.close);
    expect(t.queue.size()).toBe(COUNT);
    t.session.start();
    await waitUntil(() => ids.size === COUNT, 10_000, "every in-flight message delivered");
    expect([...ids].sort()).toEqual(Array.from({ length: COUNT }, (_, i) => `m-${i}`).sort());
    await waitUntil(() => t.queue.size() === 0, 5000, "queue emptied by PUBACKs");
  });
});

import { fork, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { brokerSpec, engineIdentity, fleet } from "@v2c/local";
import { createLocalHandlers } from "@v2c/handlers";
import { VehicleTelemetry, vehicleTelemetryTopic } from "@v2c/spec";
import { tsExecArgv } from "../runtime/src/local/fleet.js";
import {
  startLocalBroker,
  tlsOptions,
  type LocalBroker,
} from "../runtime/src/local/local-broker.js";
import { vehicleIds } from "../runtime/src/local/vehicle-ids.js";
import { freePort } from "../runtime/src/testing/ports.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface EngineCounters {
  stored: number;
  duplicates: number;
  deadLettered: number;
  received: number;
  batches: number;
}

/** The rules engine as a child process (test/local-engine-child.ts), with its last counters. */
class EngineProcess {
  last: EngineCounters = { stored: 0, duplicates: 0, deadLettered: 0, received: 0, batches: 0 };
  private constructor(readonly child: ChildProcess) {
    child.on("message", (m) => {
      if (m && typeof m === "object") this.last = m as EngineCounters;
    });
  }

  /** Forks the engine and resolves once it is connected and subscribed (30 s at most). */
  static async start(init: object): Promise<EngineProcess> {
    const child = fork(fileURLToPath(new URL("./local-engine-child.ts", import.meta.url)), [], {
      execArgv: tsExecArgv(),
      serialization: "advanced",
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const engine = new EngineProcess(child);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("engine child not ready in 30 s")), 30_000);
      child.on("message", (m) => {
        if ((m as { ready?: boolean }).ready) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once("exit", (code) => reject(new Error(`engine child exited ${code}`)));
      child.send(init);
    });
    return engine;
  }

  /** A real crash: SIGKILL, no DISCONNECT, no commit of the batch in progress. */
  async kill(): Promise<void> {
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGKILL");
    await exited;
  }

  /** Finishes the batch in progress and exits; resolves with the final counters. */
  async stop(): Promise<EngineCounters> {
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.send("stop");
    await Promise.race([exited, sleep(15_000)]);
    return this.last;
  }
}

// Issue 13's "kill and restart the rules engine" as a real crash: the engine runs as its own
// process and is SIGKILLed while vehicles publish; a new process starts on the same SQLite file
// and the same persistent MQTT session. What was received but not committed (never
// acknowledged) must be redelivered: every message is accounted for exactly — its id is stored
// once, or dead-lettered with a reason (the injected corrupt payloads) — and nothing twice.
describe("rules engine crash (SIGKILL of its process) and restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "v2c-engine-crash-"));
  let broker: LocalBroker | undefined;
  const engines: EngineProcess[] = [];
  afterAll(async () => {
    for (const e of engines) if (e.child.exitCode === null) e.child.kill("SIGKILL");
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sent = stored + DLQ, every id once, after a SIGKILL mid-stream", async () => {
    broker = await startLocalBroker({
      spec: brokerSpec,
      directory: dir,
      port: await freePort(),
      engineIdentity,
    });
    const init = {
      brokerUrl: broker.url,
      directory: join(dir, "data"),
      clientId: engineIdentity,
      tls: await broker.tlsFor(engineIdentity),
    };
    // A first engine creates the persistent session and leaves (DISCONNECT, session kept): what
    // vehicles publish next queues at the broker, so the next engine starts with a backlog and
    // is surely mid-stream (received, not yet committed) when it is killed.
    const setup = await EngineProcess.start(init);
    engines.push(setup);
    await setup.stop();
    const ids = vehicleIds(fleet.vehicleId.example, fleet.vehicleId.pattern, 10);
    const vehicles = await Promise.all(
      ids.map(async (id) => ({
        id,
        topic: vehicleTelemetryTopic.build({ region: "us-east-1", vehicle_id: id }),
        client: await mqtt.connectAsync(broker!.url, {
          protocolVersion: 5,
          clientId: id,
          reconnectPeriod: 0,
          connectTimeout: 15_000,
          ...tlsOptions(broker!.pki, await broker!.pki.client(id)),
        }),
      })),
    );
    // 10 vehicles, 600 msg/s for 6 s; every 50th payload is corrupt (DLQ with a reason).
    const sentIds = new Set<string>();
    let corrupt = 0;
    let acked = 0;
    let refused = 0;
    const publishing: Promise<unknown>[] = [];
    const last = new Map<string, number>();
    const publishFor = async (ms: number) => {
      const end = Date.now() + ms;
      let k = 0;
      while (Date.now() < end) {
        for (let i = 0; i < 6; i++, k++) {
          const v = vehicles[k % vehicles.length]!;
          let payload: Buffer;
          if (k % 50 === 49) {
            payload = randomBytes(64);
            corrupt++;
          } else {
            const ts = Math.max(Date.now(), (last.get(v.id) ?? 0) + 1);
            last.set(v.id, ts);
            const m = VehicleTelemetry.fromPartial(fleet.sample as Partial<VehicleTelemetry>);
            m.messageId = randomUUID();
            m.vehicleId = v.id;
            m.timestampMs = ts;
            m.schemaVersion = 1;
            m.sequence = k;
            sentIds.add(`${v.id}/${m.messageId}`);
            payload = Buffer.from(VehicleTelemetry.encode(m).finish());
          }
          publishing.push(
            v.client.publishAsync(v.topic, payload, { qos: 1 }).then(
              (p) =>
                ((p as { reasonCode?: number } | undefined)?.reasonCode ?? 0) >= 0x80
                  ? refused++
                  : acked++,
              () => refused++,
            ),
          );
        }
        await sleep(10);
      }
    };
    const stream = publishFor(6000);
    await sleep(2500);
    const first = await EngineProcess.start(init);
    engines.push(first);
    // Kill it once it has committed (and acknowledged) two batches while more is received than
    // committed: acknowledged work must stay, unacknowledged work must come again.
    const deadline = Date.now() + 20_000;
    const midStream = () =>
      first.last.batches >= 2 &&
      first.last.received - first.last.stored - first.last.deadLettered >= 100;
    while (!midStream() && Date.now() < deadline) await sleep(5);
    const atKill = { ...first.last };
    await first.kill();
    expect(atKill.batches).toBeGreaterThanOrEqual(2);
    expect(atKill.received - atKill.stored - atKill.deadLettered).toBeGreaterThanOrEqual(100);
    await sleep(1000);
    const second = await EngineProcess.start(init);
    engines.push(second);
    await stream;
    await Promise.all(publishing);
    const sent = sentIds.size + corrupt;
    expect(acked + refused).toBe(sent);
    expect(refused).toBe(0);
    // Settle: the new engine has taken everything in (nothing arrives for 1.5 s).
    let seen = -1;
    let quietSince = Date.now();
    const settleEnd = Date.now() + 30_000;
    while (Date.now() < settleEnd && Date.now() - quietSince < 1500) {
      if (second.last.received !== seen) {
        seen = second.last.received;
        quietSince = Date.now();
      }
      await sleep(100);
    }
    const final = await second.stop();
    await Promise.all(vehicles.map((v) => v.client.endAsync()));
    // What the killed engine had received but not committed came again to the new one.
    expect(final.received).toBeGreaterThan(0);

    // Account from what is on disk (the killed process's counters died with it).
    const handlers = createLocalHandlers({ directory: init.directory });
    try {
      const db = handlers.ports.db;
      const tables = (prefix: string) =>
        (
          db
            .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?`)
            .all(`${prefix}%`) as { name: string }[]
        ).map((r) => `"${r.name}"`);
      const [records] = tables("records_");
      const series = tables("series_");
      expect(records).toBeDefined();
      const storedKeys = (db.prepare(`SELECT key FROM ${records}`).all() as { key: string }[]).map(
        (r) => r.key,
      );
      const storedSet = new Set(storedKeys);
      const dlqKeys = await handlers.ports.dlq.list("");
      // Every stored id was sent, every sent id is stored — once.
      expect(storedKeys.length).toBe(storedSet.size);
      expect([...storedSet].filter((k) => !sentIds.has(k))).toEqual([]);
      expect([...sentIds].filter((k) => !storedSet.has(k))).toEqual([]);
      // One time-series point per stored record: nothing was written twice anywhere.
      for (const t of series) {
        const n = (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
        expect(n).toBe(storedSet.size);
      }
      // The dedup ledger: every stored message completed, none left in progress.
      const open = db
        .prepare(`SELECT COUNT(*) AS n FROM dedup_ledger WHERE state != 'done'`)
        .get() as { n: number };
      expect(open.n).toBe(0);
      // The corrupt payloads: dead-lettered with a reason, each once (an entry filed before the
      // crash and again after redelivery is the same payload: count distinct payload ids).
      const dlqIds = new Set(
        dlqKeys.map((k) =>
          k
            .split("/")
            .at(-1)!
            .replace(/\+[^+]*$/, ""),
        ),
      );
      expect(dlqKeys.every((k) => /^dlq\/[A-Z_]+\//.test(k))).toBe(true);
      expect(dlqIds.size).toBe(corrupt);
      expect(storedSet.size + dlqIds.size).toBe(sent);
    } finally {
      handlers.close();
    }
  }, 90_000);
});

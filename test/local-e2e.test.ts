import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { localApp } from "@v2c/local";
import { runOperatorCli } from "../runtime/src/local/cli-operator.js";
import { LocalRun } from "../runtime/src/local/local-run.js";
import { writeReport } from "../runtime/src/local/report.js";
import { freePort } from "../runtime/src/testing/ports.js";

const output: string[] = [];
/** Runs an operator command, capturing what it prints. */
async function ops(...argv: string[]): Promise<number> {
  const log = console.log;
  console.log = (...a: unknown[]) => void output.push(a.join(" "));
  try {
    return await runOperatorCli(localApp, argv);
  } finally {
    console.log = log;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// CI budget: 20 vehicles for 30 s (V2C_LOCAL_E2E_S shortens it on a busy machine).
const SECONDS = Number(process.env.V2C_LOCAL_E2E_S ?? 30);

// The whole flow on one machine, generated from the spec: Mosquitto (mTLS, ACL) as a child
// process, the micro-batching rules engine, the generated handlers on SQLite, 20 simulated
// vehicles on the generated client in worker processes. One broker SIGKILL + restart and one
// store outage; injected duplicates, skewed clocks and corrupt payloads. Every record must be
// accounted for: sent = stored + DLQ + counted drops, nothing stored twice.
describe("local flow end to end: faults and the accounting", () => {
  const dir = mkdtempSync(join(tmpdir(), "v2c-local-e2e-"));
  let run: LocalRun | undefined;
  afterAll(async () => {
    await run?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(
    `20 vehicles for ${SECONDS} s, broker restart, store outage, engine crash: sent = stored + DLQ + drops`,
    async () => {
      const metricsPort = await freePort();
      run = await LocalRun.start({
        app: localApp,
        directory: dir,
        port: await freePort(),
        metricsPort,
      });
      const r = run;
      const fleet = await r.startFleet({
        vehicles: 20,
        rate: 100,
        durationS: SECONDS,
        mode: "individual",
        duplicates: 0.02,
        skew: 0.01,
        corrupt: 0.01,
        workers: 2,
        // Vehicles reconnect 10x faster than the spec says: a broker restart window as
        // narrow as it gets for the engine to be back first.
        timeScale: 0.1,
      });
      await fleet.ready;
      const faults = (async () => {
        await sleep(SECONDS * 250);
        await r.killBroker(1500);
        await sleep(SECONDS * 250);
        r.failStore(true);
        await sleep(2000);
        r.failStore(false);
        // Procedure 2: the operator closes the circuits once the store is healthy again.
        expect(await ops("breaker-reset", "--metrics-port", String(metricsPort))).toBe(0);
        await sleep(SECONDS * 150);
        // The engine dies mid-batch: rolled back, unacknowledged, redelivered on restart.
        await r.killEngine(1000);
      })();
      const counts = await fleet.done;
      await faults;
      await r.settle();
      const report = await r.report(counts, { vehicles: 20, seconds: SECONDS });
      const files = writeReport(join(dir, "report"), report);
      const a = report.accounting;
      expect(a.sent).toBeGreaterThan(SECONDS * 50);
      expect(a.stored).toBeGreaterThan(0);
      expect(a.sent).toBe(a.stored + a.deadLettered + a.queueDropped + a.stillQueued);
      expect(a.lost).toBe(0);
      expect(a.storedTwice).toBe(0);
      expect(a.ok).toBe(true);
      // Injected faults are visible where a person looks: DLQ reasons, faults, the report.
      expect(a.deadLettered).toBeGreaterThanOrEqual(counts.corrupt + counts.skewed);
      expect(a.duplicatesDetected).toBeGreaterThan(0);
      expect(report.faults.map((f) => f.what).join("\n")).toMatch(
        /broker killed[\s\S]*store failing[\s\S]*rules engine killed/,
      );
      expect(r.broker.process.starts).toBe(2);
      expect(readFileSync(files.md, "utf8")).toContain("every record accounted for");
      expect(readFileSync(files.svg, "utf8")).toMatch(/^<svg/);
      expect(report.latencyMs.count).toBe(a.stored);

      // The operator's view and Procedure 1 on the running flow.
      const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      expect(metrics).toMatch(/v2c_local_stored_records \d+/);
      expect(await ops("alarms", "--metrics-port", String(metricsPort))).toBe(0);
      expect(await ops("dlq-list", "--dir", dir)).toBe(0);
      expect(output.join("\n")).toMatch(/total \d+/);
      expect(await ops("dlq-replay", "--dir", dir, "--dry-run")).toBe(0);
      expect((await r.account(counts)).deadLettered).toBe(a.deadLettered);
      expect(await ops("dlq-replay", "--dir", dir)).toBe(0);
      const after = await r.account(counts);
      // What the store outage dead-lettered is stored now; corrupt and skewed records stay.
      expect(after.lost).toBe(0);
      expect(after.stored).toBeGreaterThanOrEqual(a.stored);
      expect(after.deadLettered).toBe(
        after.sent - after.stored - after.queueDropped - after.stillQueued,
      );
      expect(after.deadLettered).toBeLessThanOrEqual(a.deadLettered);
    },
    SECONDS * 1000 + 60_000,
  );
});

import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { DevPki } from "./dev-pki.js";
import {
  addCounts,
  zeroCounts,
  type FleetBindings,
  type FleetCounts,
  type FleetPlan,
  type ForwardedMetric,
  type SimulatedClient,
} from "./fleet-types.js";
import type { WorkerInit, WorkerReport } from "./fleet-worker.js";
import { vehicleIds } from "./vehicle-ids.js";

/**
 * Node flags for a child that runs a `.ts` module: this process's own when it runs under tsx,
 * else tsx's loader (`--import tsx`), e.g. under vitest; with the `v2c-source` condition.
 */
export function tsExecArgv(): string[] {
  const own = process.execArgv.filter((a) => !a.startsWith("--inspect"));
  const argv = own.some((a) => a.includes("tsx")) ? own : [...own, "--import", "tsx"];
  // The workspace packages export their TypeScript sources under the `v2c-source` condition.
  return argv.some((a) => a.includes("v2c-source")) ? argv : [...argv, "--conditions=v2c-source"];
}

/** Options of startFleet. */
export interface FleetOptions {
  /** Module (file path) exporting the generated FleetBindings, and the export's name. */
  readonly bindingsModule: string;
  readonly bindingsExport: string;
  readonly url: string;
  readonly pki: DevPki;
  readonly plan: FleetPlan;
  /** Directory of the vehicles' persistent queue files. */
  readonly queueDir: string;
  /** Latest fleet-wide counts, about twice a second. */
  readonly onProgress?: (counts: FleetCounts) => void;
  /** The vehicle clients' counters (sums since the previous call). */
  readonly onMetrics?: (metrics: readonly ForwardedMetric[]) => void;
}

/** A running fleet. */
export interface Fleet {
  readonly vehicleIds: readonly string[];
  /** Resolves when every vehicle connected (rejects on a worker error). */
  readonly ready: Promise<void>;
  /** Resolves with the final counts after the duration and the drain. */
  readonly done: Promise<FleetCounts>;
  /** Latest fleet-wide counts. */
  counts(): FleetCounts;
  /** Ends publishing early (the drain still runs). */
  stop(): void;
}

/**
 * Starts the fleet simulator: N vehicles on the generated vehicle client, each with its own
 * certificate (CN = vehicle id) and its own persistent queue, spread over worker processes.
 */
export async function startFleet(options: FleetOptions): Promise<Fleet> {
  const mod = (await import(pathToFileURL(options.bindingsModule).href)) as Record<string, unknown>;
  const bindings = mod[options.bindingsExport] as FleetBindings<SimulatedClient>;
  const { plan } = options;
  const ids = vehicleIds(bindings.vehicleId.example, bindings.vehicleId.pattern, plan.vehicles);
  const identities = await Promise.all(ids.map((id) => options.pki.client(id)));
  mkdirSync(options.queueDir, { recursive: true });
  const workers = Math.max(1, Math.min(plan.workers, plan.vehicles));
  const latest: FleetCounts[] = Array.from({ length: workers }, zeroCounts);
  const children: ChildProcess[] = [];
  const workerPath = fileURLToPath(new URL("./fleet-worker.ts", import.meta.url));
  const readies: Promise<void>[] = [];
  const dones: Promise<FleetCounts>[] = [];
  for (let w = 0; w < workers; w++) {
    const mine = ids
      .map((id, i) => ({ id, ...identities[i]! }))
      .filter((_, i) => i % workers === w);
    const child = fork(workerPath, ["--v2c-fleet-worker"], {
      execArgv: tsExecArgv(),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    children.push(child);
    child.on("error", () => undefined); // EPIPE on a late "stop": the exit handler reports
    let onReady: () => void = () => undefined;
    let onFail: (e: Error) => void = () => undefined;
    readies.push(
      new Promise<void>((resolve, reject) => {
        onReady = resolve;
        onFail = reject;
      }),
    );
    dones.push(
      new Promise<FleetCounts>((resolve, reject) => {
        child.on("message", (r: WorkerReport) => {
          if (r.type === "ready") onReady();
          else if (r.type === "progress") {
            latest[w] = r.counts;
            options.onProgress?.(sum());
            if (r.metrics.length > 0) options.onMetrics?.(r.metrics);
          } else if (r.type === "done") {
            latest[w] = r.counts;
            resolve(r.counts);
          } else if (r.type === "error") {
            const e = new Error(`fleet worker ${w}: ${r.message}`);
            onFail(e);
            reject(e);
          }
        });
        child.once("exit", (code) => {
          const e = new Error(`fleet worker ${w} exited (${code}) before reporting`);
          onFail(e);
          reject(e);
        });
      }),
    );
    const init: WorkerInit = {
      type: "init",
      bindingsModule: options.bindingsModule,
      bindingsExport: options.bindingsExport,
      url: options.url,
      caPath: options.pki.caPath,
      vehicles: mine,
      queueDir: options.queueDir,
      plan,
      rate: (plan.rate * mine.length) / plan.vehicles,
    };
    child.send(init);
  }
  const sum = () => latest.reduce((a, b) => addCounts(a, b), zeroCounts());
  const done = Promise.all(dones).then(() => sum());
  done.catch(() => undefined);
  const ready = Promise.all(readies).then(() => undefined);
  ready.catch(() => undefined);
  return {
    vehicleIds: ids,
    ready,
    done,
    counts: sum,
    stop: () => children.forEach((c) => c.connected && c.send({ type: "stop" })),
  };
}

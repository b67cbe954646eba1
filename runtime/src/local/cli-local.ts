import { join } from "node:path";
import { parseArgs, secondsList, usage, UsageError, type OptionSpec } from "./cli-args.js";
import type { FleetPlan } from "./fleet-types.js";
import type { LocalApp } from "./local-app.js";
import { LocalRun } from "./local-run.js";
import { LiveView } from "./live-view.js";
import { writeReport } from "./report.js";

/** Options shared by `npm run local` and `npm run simulate`: the fleet plan. */
export const FLEET_OPTIONS: readonly OptionSpec[] = [
  { name: "vehicles", default: 0, help: "simulated vehicles (0 = no fleet: run until Ctrl-C)" },
  { name: "rate", default: 100, help: "records per second, whole fleet" },
  { name: "duration", default: 30, help: "seconds of publishing" },
  {
    name: "mode",
    default: "individual",
    help: "individual | batch (the spec's x-batch operation)",
  },
  { name: "duplicates", default: 0, help: "fraction of records re-sent with an id already used" },
  {
    name: "skew",
    default: 0,
    help: "fraction of records stamped by a clock beyond the spec's skew limit",
  },
  { name: "corrupt", default: 0, help: "fraction of messages replaced by random bytes" },
  { name: "workers", default: 2, help: "simulator worker processes" },
  {
    name: "time-scale",
    default: 1,
    help: "multiplies the spec's client delays (reconnect, PUBACK timeout)",
  },
];

const OPTIONS: readonly OptionSpec[] = [
  { name: "dir", default: ".local", help: "working directory (pki/ kept, run/ fresh each start)" },
  { name: "port", default: 8883, help: "broker TLS port on 127.0.0.1" },
  { name: "metrics-port", default: 9464, help: "Prometheus /metrics port (0 = off)" },
  { name: "mosquitto", default: undefined, help: "path of the mosquitto binary" },
  { name: "max-batch", default: 2000, help: "messages per SQLite transaction at most" },
  ...FLEET_OPTIONS,
  {
    name: "kill-broker-at",
    default: undefined,
    help: "seconds (comma list) to SIGKILL + restart the broker",
  },
  { name: "broker-down", default: 2, help: "seconds the broker stays down" },
  {
    name: "kill-engine-at",
    default: undefined,
    help: "seconds to kill + restart the rules engine",
  },
  { name: "engine-down", default: 2, help: "seconds the engine stays down" },
  { name: "fail-store-at", default: undefined, help: "seconds to make the store refuse writes" },
  { name: "store-down", default: 5, help: "seconds the store refuses writes" },
  { name: "report", default: undefined, help: "report directory (default <dir>/report)" },
  { name: "help", default: false, help: "this text" },
];

/** The fleet plan from parsed options. */
export function fleetPlan(v: Record<string, unknown>): FleetPlan {
  const mode = String(v.mode);
  if (mode !== "individual" && mode !== "batch")
    throw new UsageError(`--mode must be individual or batch, got ${mode}`);
  const frac = (k: string) => {
    const n = Number(v[k]);
    if (!(n >= 0 && n <= 1))
      throw new UsageError(`--${k} must be a fraction in 0..1, got ${String(v[k])}`);
    return n;
  };
  return {
    vehicles: Number(v.vehicles),
    rate: Number(v.rate),
    durationS: Number(v.duration),
    mode,
    duplicates: frac("duplicates"),
    skew: frac("skew"),
    corrupt: frac("corrupt"),
    workers: Number(v.workers),
    timeScale: Number(v["time-scale"]),
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * `npm run local`: the broker, the rules engine and the handlers, and the fleet when
 * `--vehicles` is given; faults on a schedule (or keys b/e/s on a terminal); a live view;
 * the final report. Exit code 0 when every record is accounted for, 1 when not, 2 on a
 * setup or usage problem (printed as one line).
 */
export async function runLocalCli(app: LocalApp, argv: readonly string[]): Promise<number> {
  let run: LocalRun | undefined;
  try {
    const { values: v } = parseArgs(argv, OPTIONS);
    if (v.help) {
      console.log(
        usage("npm run local -- [options]", `The ${app.title} flow on one machine.`, OPTIONS),
      );
      return 0;
    }
    const plan = fleetPlan(v);
    const dir = String(v.dir);
    const view = new LiveView(app.title);
    run = await LocalRun.start({
      app,
      directory: dir,
      port: Number(v.port),
      metricsPort: Number(v["metrics-port"]),
      ...(v.mosquitto ? { mosquitto: String(v.mosquitto) } : {}),
      maxBatch: Number(v["max-batch"]),
      view,
    });
    console.log(
      `broker ${run.broker.url} (config ${run.broker.configPath}); engine ${app.engineIdentity}; data ${run.dataDir}${Number(v["metrics-port"]) ? `; metrics http://127.0.0.1:${String(v["metrics-port"])}/metrics` : ""}`,
    );
    const r = run;
    const faults: Promise<void>[] = [];
    const schedule = () => {
      for (const at of secondsList(v["kill-broker-at"]))
        faults.push(sleep(at).then(() => r.killBroker(Number(v["broker-down"]) * 1000)));
      for (const at of secondsList(v["kill-engine-at"]))
        faults.push(sleep(at).then(() => r.killEngine(Number(v["engine-down"]) * 1000)));
      for (const at of secondsList(v["fail-store-at"]))
        faults.push(
          sleep(at).then(async () => {
            r.failStore(true);
            await sleep(Number(v["store-down"]) * 1000);
            r.failStore(false);
          }),
        );
    };
    const keys = (key: Buffer) => {
      const k = key.toString();
      if (k === "b") void r.killBroker(Number(v["broker-down"]) * 1000);
      else if (k === "e") void r.killEngine(Number(v["engine-down"]) * 1000);
      else if (k === "s") r.failStore(!(r.timeline.at(-1)?.storeFailing ?? false));
      else if (k === "q" || k === "\u0003") process.emit("SIGINT");
    };
    if (process.stdin.isTTY) {
      process.stdin.setRawMode(true);
      process.stdin.on("data", keys);
      view.event(
        "keys: b = kill/restart broker, e = kill/restart engine, s = toggle store failure, q = quit",
      );
    }
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      r.fleet?.stop();
    };
    process.once("SIGINT", interrupt);
    process.once("SIGTERM", interrupt);
    if (plan.vehicles === 0) {
      schedule();
      await new Promise<void>((resolve) => {
        const t = setInterval(() => interrupted && (clearInterval(t), resolve()), 200);
      });
      await Promise.allSettled(faults);
      return 0;
    }
    const fleet = await r.startFleet(plan);
    await fleet.ready;
    schedule();
    const counts = await fleet.done;
    await Promise.allSettled(faults);
    await r.settle();
    const report = await r.report(counts, { ...plan, interrupted });
    const files = writeReport(v.report ? String(v.report) : join(dir, "report"), report);
    const a = report.accounting;
    console.log(
      `sent ${a.sent} = stored ${a.stored} + DLQ ${a.deadLettered} + queue drops ${a.queueDropped} + still queued ${a.stillQueued} + lost ${a.lost}; duplicates injected ${a.duplicatesInjected}, detected ${a.duplicatesDetected}; stored twice ${a.storedTwice}`,
    );
    console.log(
      `P50 ${report.latencyMs.p50} ms, P99 ${report.latencyMs.p99} ms publish→stored; mean ${report.throughput.storedPerS} stored rec/s; report ${files.md}`,
    );
    return a.ok ? 0 : 1;
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  } finally {
    if (process.stdin.isTTY) process.stdin.setRawMode(false);
    process.stdin.pause();
    await run?.stop().catch(() => undefined);
  }
}

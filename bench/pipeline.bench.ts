// Throughput and latency of the local pipeline — vehicles publishing over mutual TLS to the
// Mosquitto configured from the spec, the micro-batching rules engine, the generated handlers
// on SQLite — against a baseline measured in the same run on the same broker: a bare
// subscriber that acknowledges at once.
//
// Latency is real: each message carries its publisher's clock at send (the same machine's
// clock as the receiver's, never clamped: a stamp is bumped only when one vehicle would send
// twice in a millisecond), and "stored" is the commit of the batch holding it. Offered load
// is paced (not a burst) from separate publisher processes (bench/pipeline-publisher.ts:
// pre-encoded frames over many vehicle connections) whose achieved rate and CPU are reported.
//
// Run: npx tsx --conditions=v2c-source bench/pipeline.bench.ts --help
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Histogram } from "hdr-histogram-js";
import { brokerSpec, engineIdentity, fleet, startLocalPipeline } from "@v2c/local";
import { VehicleTelemetry, vehicleTelemetryTopic } from "@v2c/spec";
import { EngineConnection } from "../runtime/src/local/engine-connection.js";
import { startLocalBroker } from "../runtime/src/local/local-broker.js";
import { vehicleIds } from "../runtime/src/local/vehicle-ids.js";
import {
  runPublisher as publish,
  type PublisherDone,
  type PublisherInit,
} from "./pipeline-publisher.js";
import { tsExecArgv } from "../runtime/src/local/fleet.js";
import { writeReadmeSection } from "../scripts/bench-readme.js";
import { relaunchWithEngineHeap } from "./pipeline-heap.js";
import { pipelineTable, type Row } from "./pipeline-table.js";
import { freePort } from "../runtime/src/testing/ports.js";
import { threadCpu } from "./thread-cpu.js";
import { startTrace } from "./pipeline-trace.js";

/** The running publisher processes (the trace shows their CPU). */
let publisherPids: number[] = [];

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

if (process.argv.includes("--help")) {
  console.log(`Usage: npx tsx --conditions=v2c-source bench/pipeline.bench.ts [options]
  --rates 1000,5000,10000   offered msg/s, one run of each path per rate
  --seconds 10              measured publishing window per rate and path
  --warmup 5                unmeasured window before it at the same rate (0: none; the
                            table shows its P99: the first one is a cold start)
  --vehicles 200            vehicle connections (each its own certificate)
  --publishers 2            publisher processes sharing the vehicles and the rate
  --max-batch N             messages per SQLite transaction at most (engine default)
  --pipeline-only           skip the bare-subscriber baseline (quick engine CPU measurements)
  --trace                   print a timeline of each step every 500 ms (arrivals, stored,
                            latency, CPU of receiver threads, broker and publishers)
  --readme                  rewrite the table between the bench:pipeline markers of README.md`);
  process.exit(0);
}

if (process.argv.includes("--publisher")) {
  process.once("message", (init: PublisherInit) => {
    // Ready once connected and pre-encoded; the bench says go when every publisher is.
    const go = () =>
      new Promise<void>((resolve) => {
        process.once("message", () => resolve());
        process.send!({ ready: true });
      });
    publish(init, go).then(
      (r) => process.send!(r, () => process.exit(0)),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
} else {
  relaunchWithEngineHeap();
  await main();
}

/** Offered load from `count` processes, each with its share of the vehicles and the rate. */
async function runPublishers(
  init: Omit<PublisherInit, "rate" | "vehicles">,
  vehicles: readonly string[],
  rate: number,
  count: number,
): Promise<PublisherDone> {
  const shares = Array.from({ length: count }, (_, i) =>
    vehicles.filter((_, k) => k % count === i),
  );
  // Each child says ready (connected, frames encoded), then waits for go: all start together.
  const children = shares.map((share) => {
    const child = fork(fileURLToPath(import.meta.url), ["--publisher"], {
      execArgv: tsExecArgv(),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    child.send({ ...init, vehicles: share, rate: rate / count } satisfies PublisherInit);
    const failed = new Promise<never>((_, reject) =>
      child.once("exit", (code) => code !== 0 && reject(new Error(`publisher exited ${code}`))),
    );
    const ready = Promise.race([new Promise((r) => child.once("message", r)), failed]);
    return { child, ready, failed };
  });
  publisherPids = children.flatMap(({ child }) => (child.pid === undefined ? [] : [child.pid]));
  await Promise.all(children.map((c) => c.ready));
  const done = await Promise.all(
    children.map(({ child, failed }) => {
      const result = new Promise<PublisherDone>((resolve) =>
        child.once("message", (m) => resolve(m as PublisherDone)),
      );
      child.send({ go: true });
      return Promise.race([result, failed]);
    }),
  );
  const sum = (f: (d: PublisherDone) => number) => done.reduce((a, d) => a + f(d), 0);
  return {
    sent: sum((d) => d.sent),
    acked: sum((d) => d.acked),
    errors: sum((d) => d.errors),
    achievedRate: sum((d) => d.achievedRate),
    cpuUs: Math.round(
      sum((d) => d.cpuUs * d.sent) /
        Math.max(
          1,
          sum((d) => d.sent),
        ),
    ),
  };
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

/** What every step of a run shares. */
interface Bench {
  readonly broker: Awaited<ReturnType<typeof startLocalBroker>>;
  readonly engineTls: Awaited<ReturnType<Awaited<ReturnType<typeof startLocalBroker>>["tlsFor"]>>;
  readonly ids: readonly string[];
  readonly dir: string;
  readonly seconds: number;
  readonly warmup: number;
  readonly publishers: number;
  readonly maxBatch: number;
  readonly trace: boolean;
}

/** A latency histogram (ms, up to an hour). */
function histogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
}

/** Offered load at `rate` for `seconds` from fresh publisher processes over the bench's vehicles. */
function offer(b: Bench, rate: number, seconds: number): Promise<PublisherDone> {
  const { broker } = b;
  const init = { url: broker.url, pkiDir: broker.pki.dir, seconds, region: "us-east-1" as const };
  return runPublishers(init, b.ids, rate, b.publishers);
}

/** The baseline: the same broker, the same publishers, a subscriber that only acknowledges. */
async function measureBare(b: Bench, rate: number): Promise<Row> {
  let hist = histogram();
  let window = histogram();
  let got = 0;
  const bare: EngineConnection = new EngineConnection({
    url: b.broker.url,
    clientId: engineIdentity,
    filters: [vehicleTelemetryTopic.filter],
    tls: b.engineTls,
    onDelivery: (d) => {
      got++;
      const ms = Math.max(1, Date.now() - Number(VehicleTelemetry.decode(d.payload).timestampMs));
      hist.recordValue(ms);
      if (b.trace) window.recordValue(ms);
      bare.ack(d);
    },
  });
  await bare.start();
  const stopTrace = b.trace
    ? startTrace(`bare ${rate}`, {
        received: () => got,
        stored: () => got,
        takeWindow: () => {
          const w = window;
          window = histogram();
          return w;
        },
        pids: () => ({ broker: b.broker.process.pid, publishers: publisherPids }),
      })
    : () => {};
  let warmupP99: number | undefined;
  if (b.warmup > 0) {
    const w = await offer(b, rate, b.warmup);
    await until(() => got >= w.acked, 30_000);
    warmupP99 = hist.getValueAtPercentile(99);
    hist = histogram();
    got = 0;
  }
  const cpu = process.cpuUsage();
  const p = await offer(b, rate, b.seconds);
  await until(() => got >= p.acked, 30_000);
  stopTrace();
  const bareCpu = process.cpuUsage(cpu);
  await bare.stop();
  return {
    offered: rate,
    kind: "bare subscriber",
    achieved: p.achievedRate,
    delivered: got,
    sent: p.sent,
    lost: p.sent - got,
    dlq: 0,
    p50: hist.getValueAtPercentile(50),
    p99: hist.getValueAtPercentile(99),
    warmupP99,
    cpuUs: Math.round((bareCpu.user + bareCpu.system) / Math.max(1, got)),
    publisherCpuUs: p.cpuUs,
  };
}

/** The pipeline: decoded, validated, deduplicated, written to SQLite in micro-batches. */
async function measurePipeline(b: Bench, rate: number): Promise<Row> {
  const data = join(b.dir, `data-${rate}`);
  const pipeline = await startLocalPipeline({
    brokerUrl: b.broker.url,
    directory: data,
    tls: b.engineTls,
    clientId: engineIdentity,
    ...(b.maxBatch > 0 ? { maxBatch: b.maxBatch } : {}),
  });
  const done = () => pipeline.counters.stored + pipeline.counters.deadLettered;
  // The trace takes the latency windows itself; the row's figures then cover its windows only.
  let traced = histogram();
  const stopTrace = b.trace
    ? startTrace(`pipeline ${rate}`, {
        received: () => pipeline.engine.stats.received,
        stored: done,
        takeWindow: () => {
          const w = pipeline.takeWindow().latency;
          traced.add(w);
          return w;
        },
        pids: () => ({ broker: b.broker.process.pid, publishers: publisherPids }),
      })
    : () => {};
  const window = () => {
    const w = pipeline.takeWindow().latency;
    w.add(traced);
    traced = histogram();
    return w;
  };
  try {
    let warmupP99: number | undefined;
    if (b.warmup > 0) {
      const w = await offer(b, rate, b.warmup);
      await until(() => done() >= w.acked, 60_000);
      await pipeline.engine.idle();
      warmupP99 = window().getValueAtPercentile(99);
    } else window();
    const before = { ...pipeline.counters, batches: pipeline.engine.stats.batches };
    const cpu = process.cpuUsage();
    const threads = threadCpu();
    const p = await offer(b, rate, b.seconds);
    await until(() => done() - before.stored - before.deadLettered >= p.acked, 60_000);
    await pipeline.engine.idle();
    stopTrace();
    const pipeCpu = process.cpuUsage(cpu);
    const threadsAfter = threadCpu();
    const latency = window();
    const stored = pipeline.counters.stored - before.stored;
    const dlq = pipeline.counters.deadLettered - before.deadLettered;
    const perStored = (us: number) => Math.round(us / Math.max(1, stored));
    const row: Row = {
      offered: rate,
      kind: "pipeline",
      achieved: p.achievedRate,
      delivered: stored,
      sent: p.sent,
      lost: p.sent - stored - dlq,
      dlq,
      p50: latency.getValueAtPercentile(50),
      p99: latency.getValueAtPercentile(99),
      warmupP99,
      cpuUs: perStored(pipeCpu.user + pipeCpu.system),
      publisherCpuUs: p.cpuUs,
      batches: pipeline.engine.stats.batches - before.batches,
      mainThreadUs: perStored(threadsAfter.main - threads.main),
      otherThreadsUs: perStored(threadsAfter.others - threads.others),
    };
    console.log(JSON.stringify({ ...row, dlqByReason: pipeline.counters.dlqByReason }));
    return row;
  } finally {
    stopTrace();
    await pipeline.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rates = arg("--rates", "1000,5000,10000").split(",").map(Number);
  const seconds = Number(arg("--seconds", "10"));
  const warmup = Number(arg("--warmup", "5"));
  const vehicles = Number(arg("--vehicles", "200"));
  const publishers = Number(arg("--publishers", "2"));
  const maxBatch = process.argv.includes("--max-batch") ? Number(arg("--max-batch", "0")) : 0;
  const loadStart = loadavg()[0]!;
  const dir = mkdtempSync(join(tmpdir(), "v2c-bench-pipeline-"));
  const broker = await startLocalBroker({
    spec: brokerSpec,
    directory: dir,
    port: await freePort(),
    engineIdentity,
  });
  const ids = vehicleIds(fleet.vehicleId.example, fleet.vehicleId.pattern, vehicles);
  await Promise.all(ids.map((id) => broker.pki.client(id)));
  const bench: Bench = {
    broker,
    engineTls: await broker.tlsFor(engineIdentity),
    ids,
    dir,
    seconds,
    warmup,
    publishers,
    maxBatch,
    trace: process.argv.includes("--trace"),
  };
  const rows: Row[] = [];
  try {
    for (const rate of rates) {
      if (!process.argv.includes("--pipeline-only")) {
        rows.push(await measureBare(bench, rate));
        console.log(JSON.stringify(rows.at(-1)));
      }
      rows.push(await measurePipeline(bench, rate));
    }
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const table = pipelineTable(rows, {
    rates,
    seconds,
    warmup,
    vehicles,
    publishers,
    maxBatch,
    loadStart,
  });
  console.log(`\n${table}`);
  if (process.argv.includes("--readme")) {
    // The shared writer formats the README with prettier (the lint checks it).
    if (await writeReadmeSection("pipeline", table)) console.log("README.md table updated");
    else console.log("README.md has no bench:pipeline markers; nothing written");
  }
}

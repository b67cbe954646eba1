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
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "hdr-histogram-js";
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
import { ENGINE_HEAP_FLAG, relaunchWithEngineHeap } from "./pipeline-heap.js";
import { freePort } from "../runtime/src/testing/ports.js";
import { threadCpu } from "./thread-cpu.js";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};

if (process.argv.includes("--help")) {
  console.log(`Usage: npx tsx --conditions=v2c-source bench/pipeline.bench.ts [options]
  --rates 1000,5000,10000   offered msg/s, one run of each path per rate
  --seconds 10              publishing window per run
  --vehicles 200            vehicle connections (each its own certificate)
  --publishers 2            publisher processes sharing the vehicles and the rate
  --max-batch N             messages per SQLite transaction at most (engine default)
  --pipeline-only           skip the bare-subscriber baseline (quick engine CPU measurements)
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

interface Row {
  offered: number;
  kind: "bare subscriber" | "pipeline";
  achieved: number;
  delivered: number;
  sent: number;
  lost: number;
  /** Dead-lettered (pipeline): accounted for, but not stored. */
  dlq: number;
  p50: number;
  p99: number;
  /** CPU time of the receiving process per delivered message (user + system, µs). */
  cpuUs: number;
  /** The publishers' CPU per message sent (µs). */
  publisherCpuUs: number;
  batches?: number;
  /** Pipeline: the receiver's CPU per stored message on its main thread / all other threads. */
  mainThreadUs?: number;
  otherThreadsUs?: number;
}

async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function main(): Promise<void> {
  const rates = arg("--rates", "1000,5000,10000").split(",").map(Number);
  const seconds = Number(arg("--seconds", "10"));
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
  const region = "us-east-1" as const;
  const ids = vehicleIds(fleet.vehicleId.example, fleet.vehicleId.pattern, vehicles);
  await Promise.all(ids.map((id) => broker.pki.client(id)));
  const engineTls = await broker.tlsFor(engineIdentity);
  const rows: Row[] = [];
  try {
    for (const rate of rates) {
      if (!process.argv.includes("--pipeline-only")) {
        // Baseline: the same broker, the same publishers, a subscriber that only acknowledges.
        const hist = build({
          lowestDiscernibleValue: 1,
          highestTrackableValue: 3_600_000,
          numberOfSignificantValueDigits: 3,
        });
        let got = 0;
        const bare: EngineConnection = new EngineConnection({
          url: broker.url,
          clientId: engineIdentity,
          filters: [vehicleTelemetryTopic.filter],
          tls: engineTls,
          onDelivery: (d) => {
            got++;
            hist.recordValue(
              Math.max(1, Date.now() - Number(VehicleTelemetry.decode(d.payload).timestampMs)),
            );
            bare.ack(d);
          },
        });
        await bare.start();
        const cpu = process.cpuUsage();
        const b = await runPublishers(
          { url: broker.url, pkiDir: broker.pki.dir, seconds, region },
          ids,
          rate,
          publishers,
        );
        await until(() => got >= b.acked, 30_000);
        const bareCpu = process.cpuUsage(cpu);
        await bare.stop();
        rows.push({
          offered: rate,
          kind: "bare subscriber",
          achieved: b.achievedRate,
          delivered: got,
          sent: b.sent,
          lost: b.sent - got,
          dlq: 0,
          p50: hist.getValueAtPercentile(50),
          p99: hist.getValueAtPercentile(99),
          cpuUs: Math.round((bareCpu.user + bareCpu.system) / Math.max(1, got)),
          publisherCpuUs: b.cpuUs,
        });
        console.log(JSON.stringify(rows.at(-1)));
      }

      // The pipeline: decoded, validated, deduplicated, written to SQLite in micro-batches.
      const data = join(dir, `data-${rate}`);
      const pipeline = await startLocalPipeline({
        brokerUrl: broker.url,
        directory: data,
        tls: engineTls,
        clientId: engineIdentity,
        ...(maxBatch > 0 ? { maxBatch } : {}),
      });
      const cpu = process.cpuUsage();
      const threads = threadCpu();
      const p = await runPublishers(
        { url: broker.url, pkiDir: broker.pki.dir, seconds, region },
        ids,
        rate,
        publishers,
      );
      await until(
        () => pipeline.counters.stored + pipeline.counters.deadLettered >= p.acked,
        60_000,
      );
      await pipeline.engine.idle();
      const pipeCpu = process.cpuUsage(cpu);
      const threadsAfter = threadCpu();
      const perStored = (us: number) => Math.round(us / Math.max(1, pipeline.counters.stored));
      rows.push({
        offered: rate,
        kind: "pipeline",
        achieved: p.achievedRate,
        delivered: pipeline.counters.stored,
        sent: p.sent,
        lost: p.sent - pipeline.counters.stored - pipeline.counters.deadLettered,
        dlq: pipeline.counters.deadLettered,
        p50: pipeline.latency.getValueAtPercentile(50),
        p99: pipeline.latency.getValueAtPercentile(99),
        cpuUs: Math.round((pipeCpu.user + pipeCpu.system) / Math.max(1, pipeline.counters.stored)),
        publisherCpuUs: p.cpuUs,
        batches: pipeline.engine.stats.batches,
        mainThreadUs: perStored(threadsAfter.main - threads.main),
        otherThreadsUs: perStored(threadsAfter.others - threads.others),
      });
      console.log(JSON.stringify({ ...rows.at(-1), dlqByReason: pipeline.counters.dlqByReason }));
      await pipeline.stop();
      rmSync(data, { recursive: true, force: true });
    }
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const best = (kind: Row["kind"]) =>
    Math.max(
      0,
      ...rows
        .filter(
          (r) => r.kind === kind && r.p99 < 500 && r.lost === 0 && r.dlq === 0 && r.delivered > 0,
        )
        .map((r) => r.achieved),
    );
  const cmd = [
    `--rates ${rates.join(",")} --seconds ${seconds} --vehicles ${vehicles}`,
    `--publishers ${publishers}`,
    ...(maxBatch > 0 ? [`--max-batch ${maxBatch}`] : []),
  ].join(" ");
  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (load average ${loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end), node ${process.version} (receiving process ${ENGINE_HEAP_FLAG}), ${vehicles} vehicles over mTLS from ${publishers} publisher processes, ${seconds} s per rate (\`npx tsx --conditions=v2c-source bench/pipeline.bench.ts ${cmd}\`).`,
    "",
    "| offered msg/s | path | achieved msg/s | delivered | lost | DLQ | P50 ms | P99 ms | receiver CPU µs/msg | publisher CPU µs/msg |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.offered} | ${r.kind} | ${r.achieved} | ${r.delivered} | ${r.lost} | ${r.dlq} | ${r.p50} | ${r.p99} | ${r.cpuUs} | ${r.publisherCpuUs} |`,
    ),
    "",
    `Highest rate with P99 < 500 ms and nothing lost: pipeline **${best("pipeline")} msg/s**, bare subscriber ${best("bare subscriber")} msg/s (same run, same broker, same publishers).`,
    "Achieved is the publishers' paced rate over the window; delivered counts messages received",
    "(bare subscriber) or records committed (pipeline); latency runs from the publisher's clock",
    "at send to receipt (bare) or to the commit of the batch holding the record (pipeline).",
    "Receiver CPU per message is the receiving process's user + system time over the messages it",
    "delivered or stored: 1,000,000 / that figure is what one free core could sustain.",
  ].join("\n");
  console.log(`\n${table}`);
  if (process.argv.includes("--readme")) {
    // The shared writer formats the README with prettier (the lint checks it).
    if (await writeReadmeSection("pipeline", table)) console.log("README.md table updated");
    else console.log("README.md has no bench:pipeline markers; nothing written");
  }
}

import { cpus, loadavg } from "node:os";
import { ENGINE_HEAP_FLAG } from "./pipeline-heap.js";

/** One measured window of bench/pipeline.bench.ts. */
export interface Row {
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
  /** P99 of the unmeasured warm-up before the window (the first one starts cold); none: no warm-up. */
  warmupP99: number | undefined;
  /** CPU time of the receiving process per delivered message (user + system, µs). */
  cpuUs: number;
  /** The publishers' CPU per message sent (µs). */
  publisherCpuUs: number;
  batches?: number;
  /** Pipeline: the receiver's CPU per stored message on its main thread / all other threads. */
  mainThreadUs?: number;
  otherThreadsUs?: number;
}

/** How the bench ran (the table's caption names the command). */
export interface RunShape {
  rates: readonly number[];
  seconds: number;
  warmup: number;
  vehicles: number;
  publishers: number;
  maxBatch: number;
  loadStart: number;
}

/** The highest achieved rate of a path with P99 < 500 ms, nothing lost and nothing dead-lettered. */
function best(rows: readonly Row[], kind: Row["kind"]): number {
  const ok = rows.filter(
    (r) => r.kind === kind && r.p99 < 500 && r.lost === 0 && r.dlq === 0 && r.delivered > 0,
  );
  return Math.max(0, ...ok.map((r) => r.achieved));
}

/** The README table (Markdown) of a run. */
export function pipelineTable(rows: readonly Row[], run: RunShape): string {
  const cmd = [
    `--rates ${run.rates.join(",")} --seconds ${run.seconds} --warmup ${run.warmup}`,
    `--vehicles ${run.vehicles} --publishers ${run.publishers}`,
    ...(run.maxBatch > 0 ? [`--max-batch ${run.maxBatch}`] : []),
  ].join(" ");
  const cell = (v: number | undefined) => (v === undefined ? "–" : String(v));
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} cores (load average ${run.loadStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end), node ${process.version} (receiving process ${ENGINE_HEAP_FLAG}), ${run.vehicles} vehicles over mTLS from ${run.publishers} publisher processes, ${run.warmup} s of warm-up then ${run.seconds} s measured per rate and path (\`npx tsx --conditions=v2c-source bench/pipeline.bench.ts ${cmd}\`).`,
    "",
    "| offered msg/s | path | achieved msg/s | delivered | lost | DLQ | P50 ms | P99 ms | warm-up P99 ms | receiver CPU µs/msg | publisher CPU µs/msg |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${r.offered} | ${r.kind} | ${r.achieved} | ${r.delivered} | ${r.lost} | ${r.dlq} | ${r.p50} | ${r.p99} | ${cell(r.warmupP99)} | ${r.cpuUs} | ${r.publisherCpuUs} |`,
    ),
    "",
    `Highest rate with P99 < 500 ms and nothing lost: pipeline **${best(rows, "pipeline")} msg/s**, bare subscriber ${best(rows, "bare subscriber")} msg/s (same run, same broker, same publishers).`,
    "Achieved is the publishers' paced rate over the measured window; delivered counts messages",
    "received (bare subscriber) or records committed (pipeline) from it; latency runs from the",
    "publisher's clock at send to receipt (bare) or to the commit of the batch holding the record",
    "(pipeline). Each path first takes the same rate for the warm-up, from fresh publisher",
    "processes, unmeasured except its P99 (the first row's warm-up is a cold start: a fresh",
    "process, database and broker). Receiver CPU per message is the receiving process's user +",
    "system time over the messages it delivered or stored in the window: 1,000,000 / that figure",
    "is what one free core could sustain.",
  ].join("\n");
}

import { readFileSync } from "node:fs";
import type { Histogram } from "hdr-histogram-js";
import { threadCpu } from "./thread-cpu.js";

/** CPU time (µs, user + system) of a process and its threads, from /proc (0 if gone). */
function processCpu(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1_000_000) / 100;
  } catch {
    return 0;
  }
}

/** What the trace samples each interval. */
export interface TraceSource {
  /** Messages the engine (or bare subscriber) received so far. */
  received(): number;
  /** Records committed (or messages acknowledged) so far. */
  stored(): number;
  /** The latency of what completed since the last call (the caller starts a new window). */
  takeWindow(): Histogram;
  /** Other processes whose CPU is shown: the broker and the publishers. */
  pids(): { broker?: number; publishers: readonly number[] };
}

/**
 * A timeline of one bench step (`--trace`): every interval, what arrived and what was stored,
 * the P99 and maximum latency of what completed, and the CPU (% of one core) of the receiving
 * process's main thread, its other threads, the broker and the publishers. It shows where a
 * latency tail comes from (a stall in the receiver, the broker, or the publishers).
 */
export function startTrace(label: string, source: TraceSource, intervalMs = 500): () => void {
  const started = Date.now();
  let last = {
    at: started,
    received: source.received(),
    stored: source.stored(),
    threads: threadCpu(),
    broker: processCpu(source.pids().broker),
    publishers: source.pids().publishers.map(processCpu),
  };
  const timer = setInterval(() => {
    const at = Date.now();
    const pids = source.pids();
    const now = {
      at,
      received: source.received(),
      stored: source.stored(),
      threads: threadCpu(),
      broker: processCpu(pids.broker),
      publishers: pids.publishers.map(processCpu),
    };
    const span = (now.at - last.at) * 1000;
    const pct = (us: number) => Math.round((100 * us) / span);
    const w = source.takeWindow();
    const pub = now.publishers.reduce((a, c, i) => a + c - (last.publishers[i] ?? c), 0);
    console.log(
      [
        `${label} t=${((at - started) / 1000).toFixed(1)}s`,
        `in ${now.received - last.received}`,
        `stored ${now.stored - last.stored}`,
        `backlog ${now.received - now.stored}`,
        `p99 ${w.totalCount ? w.getValueAtPercentile(99) : "-"} max ${w.totalCount ? w.maxValue : "-"} ms`,
        `cpu main ${pct(now.threads.main - last.threads.main)}%`,
        `others ${pct(now.threads.others - last.threads.others)}%`,
        `broker ${pct(now.broker - last.broker)}%`,
        `publishers ${pct(pub)}%`,
      ].join("  "),
    );
    last = now;
  }, intervalMs);
  return () => clearInterval(timer);
}

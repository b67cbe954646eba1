import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const enabled = Boolean(process.env.V2C_GEN_TIMINGS);
let last = 0;

/** CPU time of the main thread so far in ms (Linux: its schedstat), or undefined elsewhere. */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8");
    return Number(stat.split(" ")[0]) / 1e6;
  } catch {
    return undefined;
  }
}

/**
 * With `V2C_GEN_TIMINGS=1`, prints `label: <ms since process start> (+<ms since the previous mark>)`
 * and, where the system tells it, the main thread's CPU time so far, to stderr; otherwise does
 * nothing. Used by the generate benchmark to show where a run goes.
 */
export function mark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  const cpu = mainThreadCpuMs();
  process.stderr.write(
    `v2c-gen timing: ${label}: ${now.toFixed(0)} ms (+${(now - last).toFixed(0)})${cpu === undefined ? "" : `, main thread CPU ${cpu.toFixed(0)} ms`}\n`,
  );
  last = now;
}

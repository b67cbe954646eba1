import { performance } from "node:perf_hooks";

const enabled = Boolean(process.env.V2C_GEN_TIMINGS);
let last = 0;

/**
 * With `V2C_GEN_TIMINGS=1`, prints `label: <ms since process start> (+<ms since the previous mark>)`
 * to stderr; otherwise does nothing. Used by the generate benchmark to show where a run goes.
 */
export function mark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  process.stderr.write(
    `v2c-gen timing: ${label}: ${now.toFixed(0)} ms (+${(now - last).toFixed(0)})\n`,
  );
  last = now;
}

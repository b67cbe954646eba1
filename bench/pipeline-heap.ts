// The pipeline benches run the rules engine in their own process: with V8's default young
// generation (16 MB semi-spaces) the engine's per-message garbage was scavenged ~every
// millisecond at 10k msg/s and much of it promoted, measured ~15 µs of main-thread CPU per
// message; 32 MB semi-spaces took the engine's batch path from ~70 to ~54 µs a message.
// `npm run local` gets the same flag from its package.json script.
import { spawnSync } from "node:child_process";

/** The V8 flag the engine's process runs with. */
export const ENGINE_HEAP_FLAG = "--max-semi-space-size=32";

/**
 * Re-runs this script with ENGINE_HEAP_FLAG (same node, same loader flags, same arguments)
 * unless it already has a semi-space setting, and exits with its status. Heap sizes are fixed
 * when V8 starts, so a running process cannot take the flag itself.
 */
export function relaunchWithEngineHeap(): void {
  const has = (a: string) => a.startsWith("--max-semi-space-size");
  if (process.execArgv.some(has) || (process.env.NODE_OPTIONS ?? "").split(/\s+/).some(has)) {
    return;
  }
  const r = spawnSync(
    process.execPath,
    [...process.execArgv, ENGINE_HEAP_FLAG, ...process.argv.slice(1)],
    { stdio: "inherit" },
  );
  process.exit(r.status ?? 1);
}

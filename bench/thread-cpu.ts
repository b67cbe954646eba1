import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time (µs, user + system) of this process's main thread and of all its other threads (the
 * WAL checkpointer worker, GC helpers, libuv), from /proc (Linux; zeros elsewhere).
 */
export function threadCpu(): { main: number; others: number } {
  const out = { main: 0, others: 0 };
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const us = ((Number(f[11]) + Number(f[12])) * 1_000_000) / 100; // utime + stime, ticks
      if (Number(tid) === process.pid) out.main += us;
      else out.others += us;
    }
  } catch {
    // not Linux
  }
  return out;
}

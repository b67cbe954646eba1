/**
 * Issue 10 defect 4 (locks): another process holds the SQLite write lock. The old adapters
 * waited in `busy_timeout = 5000` inside a synchronous driver — the whole process frozen 5 s
 * per statement — and the breaker never counted the failure. Now the lock is awaited
 * asynchronously for a bounded time, then the failure is the store's `timeout`: counted by its
 * breaker, dead-lettered, and the redelivery after the lock is released stores the message.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { InvocationSummary } from "../../src/handlers/outcome.js";
import { localRig, type LocalRig } from "./rigs.js";
import { CAR_A, KV, encodeReading, reading, recordTopic, ruleEvent } from "./test-spec.js";

const REPO = fileURLToPath(new URL("../../..", import.meta.url));

/** A process that takes the database's write lock and holds it until it is told to stop. */
function holdWriteLock(file: string) {
  const script = `
    const Database = require("better-sqlite3");
    const db = new Database(${JSON.stringify(file)});
    db.pragma("journal_mode = WAL");
    db.exec("BEGIN IMMEDIATE");
    process.stdout.write("locked\\n");
    process.stdin.on("data", () => { db.exec("COMMIT"); db.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ["-e", script], {
    cwd: REPO,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const locked = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => d.toString().includes("locked") && resolve());
    child.once("exit", (code) => reject(new Error(`lock holder exited ${code}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    locked,
    release: async () => {
      child.stdin!.write("go\n");
      await exited;
    },
  };
}

let rig: LocalRig | undefined;
afterEach(() => rig?.close());

describe("defect 4: a lock held by another process", () => {
  it("is awaited without freezing the event loop, fails as the store's timeout, counts in its breaker; the redelivery stores", async () => {
    rig = localRig({ lockWaitMs: 300 });
    const holder = holdWriteLock(join(rig.directory, "handlers.sqlite"));
    await holder.locked;
    let last = performance.now();
    let maxGap = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 5);
    const messages = [reading(), reading(), reading()];
    const events = messages.map((m) => ruleEvent(recordTopic(CAR_A), encodeReading(m)));
    const started = performance.now();
    const results = [];
    try {
      for (const e of events) results.push((await rig.record(e)) as InvocationSummary);
    } finally {
      clearInterval(ticker);
    }
    const elapsed = performance.now() - started;
    expect(results.every((r) => r.deadLettered === 1 && r.stored === 0)).toBe(true);
    // Three bounded waits of 300 ms, not three frozen 5 s waits (bounds tolerate a loaded machine).
    expect(elapsed).toBeLessThan(6000);
    // The loop kept turning: no synchronous wait anywhere near the old 5 s busy_timeout.
    expect(maxGap).toBeLessThan(1000);
    const keys = await rig.ports.dlq.list("dlq/");
    const entries = await Promise.all(keys.map((k) => rig!.ports.dlq.get(k)));
    expect(entries.map((e) => [e!.reasonCode, e!.signal, e!.downstream])).toEqual(
      Array(3).fill(["KV_TIMEOUT", "timeout", KV]),
    );
    expect(rig.breakers.get(KV).failuresInWindow).toBe(3);
    expect(rig.ports.metrics.counter("downErrors", { downstream: KV, signal: "timeout" })).toBe(3);

    await holder.release();
    const replay = await rig.replay();
    expect(replay).toMatchObject({ replayed: 3, failed: 0 });
  });
});

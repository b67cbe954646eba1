import { Worker } from "node:worker_threads";
import type { SqliteDatabase } from "./sqlite.js";

/** Options of `startBackgroundCheckpoint`. */
export interface BackgroundCheckpointOptions {
  /** How often the worker checkpoints; default 250 ms. */
  readonly everyMs?: number;
  /**
   * The writer's own automatic checkpoint, kept as a safety net should the worker stall
   * (pages of WAL); default 50,000 (~200 MB).
   */
  readonly fallbackPages?: number;
}

/** A running background checkpointer. */
export interface BackgroundCheckpoint {
  /** Stops the worker (a last checkpoint first). */
  stop(): Promise<void>;
}

// Plain JavaScript (the worker runs without a TypeScript loader): its own connection to the
// same file, a PASSIVE checkpoint on a timer (never blocks the writer), a last one on stop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createRequire } = require("node:module");
const Database = createRequire(workerData.from)("better-sqlite3");
const db = new Database(workerData.file);
db.pragma("busy_timeout = 1000");
const checkpoint = () => { try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {} };
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on("message", () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage("stopped");
});
`;

/**
 * Moves SQLite's WAL checkpoints off the writer's thread. With `synchronous = NORMAL` a commit
 * does not fsync, but the automatic checkpoint that follows a commit which filled the WAL does
 * (copy the pages back + fsync the database) — with micro-batches of hundreds of messages that
 * was nearly every commit, ~50 ms of a blocked event loop each (measured). A worker thread with
 * its own connection checkpoints instead, PASSIVE (it never waits for or blocks the writer);
 * the writer's automatic checkpoint stays only as a far-off safety net. Durability is unchanged
 * (the same `synchronous` setting; the WAL is the durable copy until checkpointed).
 * Does nothing for an in-memory database.
 */
export function startBackgroundCheckpoint(
  db: SqliteDatabase,
  options: BackgroundCheckpointOptions = {},
): BackgroundCheckpoint {
  const file = db.name;
  if (!file || file === ":memory:" || db.memory) return { stop: async () => undefined };
  db.pragma(`wal_autocheckpoint = ${options.fallbackPages ?? 50_000}`);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, everyMs: options.everyMs ?? 250, from: import.meta.url },
  });
  worker.unref();
  let stopped: Promise<void> | undefined;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          void worker.terminate().finally(resolve);
        };
        const timer = setTimeout(done, 2000);
        worker.once("message", done);
        worker.once("error", done);
        worker.once("exit", done);
        worker.postMessage("stop");
      });
      return stopped;
    },
  };
}

import { Worker } from "node:worker_threads";
import type { SqliteDatabase } from "./sqlite.js";

/** Options of `startBackgroundCheckpoint`. */
export interface BackgroundCheckpointOptions {
  /** How often the worker checkpoints; default 250 ms. */
  readonly everyMs?: number;
  /**
   * WAL size (bytes) past which the writer checkpoints itself after a commit; default 256 MiB.
   * Under a steady writer the worker's checkpoints never catch up with the last frame, and SQLite
   * restarts the WAL only from a checkpoint that did, so the file grew by every commit (measured:
   * 663 MB after 150,000 messages at 10,000 msg/s). The writer's own checkpoint copies only what
   * the worker has not (its last ≤ `everyMs` of frames), then the WAL restarts from its start.
   * That checkpoint syncs on the writer's thread (measured: commits of up to ~140 ms at
   * 10,000 msg/s), once per limit's worth of WAL: the limit trades disk for those pauses.
   */
  readonly walLimitBytes?: number;
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
 * the writer's automatic checkpoint stays, at `walLimitBytes`, for what the worker cannot do:
 * finish a checkpoint at the last frame, so that the WAL restarts (see the option). Durability is unchanged
 * (the same `synchronous` setting; the WAL is the durable copy until checkpointed).
 * Does nothing for an in-memory database.
 */
export function startBackgroundCheckpoint(
  db: SqliteDatabase,
  options: BackgroundCheckpointOptions = {},
): BackgroundCheckpoint {
  const file = db.name;
  if (!file || file === ":memory:" || db.memory) return { stop: async () => undefined };
  const pageSize =
    Number((db.prepare("PRAGMA page_size").get() as { page_size?: number }).page_size) || 4096;
  const limit = options.walLimitBytes ?? 256 * 1024 * 1024;
  db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.ceil(limit / pageSize))}`);
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

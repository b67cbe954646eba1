/**
 * The background checkpointer on a real SQLite file under a steady writer (small transactions
 * of random-key rows with a turn of the event loop between them, as the engine's micro-batches):
 * the WAL restarts and stays near its limit instead of growing with every commit.
 */
import { randomUUID } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqlite } from "../../src/cloud/index.js";
import { startBackgroundCheckpoint } from "../../src/cloud/sqlite-checkpointer.js";

const MiB = 1024 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cloud-sqlite-checkpointer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes `commits` transactions of 20 rows each; answers the largest WAL file size seen. */
async function steadyWriter(file: string, walLimitBytes: number, commits: number) {
  const db = openSqlite(file, { pageSize: 16_384 });
  db.exec("CREATE TABLE t (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID");
  const checkpointer = startBackgroundCheckpoint(db, { everyMs: 20, walLimitBytes });
  const insert = db.prepare("INSERT INTO t (k, v) VALUES (?, ?)");
  const value = Buffer.alloc(300, 7);
  let largest = 0;
  try {
    for (let c = 0; c < commits; c++) {
      db.exec("BEGIN IMMEDIATE");
      for (let r = 0; r < 20; r++) insert.run(randomUUID(), value);
      db.exec("COMMIT");
      if (c % 25 === 0 && existsSync(`${file}-wal`)) {
        largest = Math.max(largest, statSync(`${file}-wal`).size);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const rows = (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
    return { largest, rows };
  } finally {
    await checkpointer.stop();
    db.close();
  }
}

describe("startBackgroundCheckpoint", () => {
  it("keeps the WAL near its limit under a steady writer (without the limit it grows)", async () => {
    const limit = 2 * MiB;
    const bounded = await steadyWriter(join(dir, "bounded.db"), limit, 600);
    // The control: the same writes with a limit far away.
    const unbounded = await steadyWriter(join(dir, "unbounded.db"), 1024 * MiB, 600);
    expect(bounded.rows).toBe(12_000);
    expect(unbounded.rows).toBe(12_000);
    // Measured: ~270 MB without the limit, ~13 MB with it (a writer's checkpoint is skipped
    // while the worker's is running, and every commit adds ~20 random pages of 16 KiB).
    expect(unbounded.largest).toBeGreaterThan(64 * limit);
    expect(bounded.largest).toBeLessThan(16 * limit);
  }, 60_000);
});

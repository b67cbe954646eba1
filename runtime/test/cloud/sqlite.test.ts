/** Local adapters on a real SQLite file (better-sqlite3). */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openSqlite,
  SqliteDedupStore,
  SqliteRecordStore,
  SqliteTimeSeriesSink,
  type SqliteDatabase,
  type TimeSeriesRecord,
} from "../../src/cloud/index.js";

const FIVE_MINUTES = 5 * 60_000;
const HOUR = 60 * 60_000;

let dir: string;
let db: SqliteDatabase;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cloud-sqlite-"));
  db = openSqlite(join(dir, "local.db"));
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const A = (messageId: string) => ({ vehicleId: "car-a", messageId });
const CLAIM = { windowMs: FIVE_MINUTES, leaseMs: 10_000 };

describe("SqliteDedupStore: the dedup ledger", () => {
  it("duplicate only once completed inside the window; in progress until then; taken over after the lease", async () => {
    const store = new SqliteDedupStore({ db });
    const t0 = 1_700_000_000_000;
    expect(await store.claim(A("m-1"), t0, CLAIM)).toEqual({ status: "claimed", done: [] });
    expect(await store.claim(A("m-1"), t0 + 1, CLAIM)).toEqual({ status: "in-progress" });
    await store.complete(A("m-1"), t0 + 2, FIVE_MINUTES);
    expect(await store.claim(A("m-1"), t0 + 2 + FIVE_MINUTES, CLAIM)).toEqual({
      status: "duplicate",
    });
    expect((await store.claim(A("m-1"), t0 + 3 + FIVE_MINUTES, CLAIM)).status).toBe("claimed");
    // Abandoned (crashed) claim: taken over after the lease.
    expect((await store.claim(A("m-2"), t0, CLAIM)).status).toBe("claimed");
    expect((await store.claim(A("m-2"), t0 + 10_000, CLAIM)).status).toBe("in-progress");
    expect((await store.claim(A("m-2"), t0 + 10_001, CLAIM)).status).toBe("claimed");
    // A failed attempt's sinks are handed to the next claim; an empty release forgets it.
    await store.release(A("m-2"), ["kv"]);
    expect(await store.claim(A("m-2"), t0 + 10_002, CLAIM)).toEqual({
      status: "claimed",
      done: ["kv"],
    });
    await store.release(A("m-2"), []);
    expect(await store.claim(A("m-2"), t0 + 10_003, CLAIM)).toEqual({
      status: "claimed",
      done: [],
    });
    // Per vehicle.
    expect((await store.claim({ vehicleId: "car-b", messageId: "m-1" }, t0, CLAIM)).status).toBe(
      "claimed",
    );
  });

  it("completed claims survive reopening the file", async () => {
    const path = join(dir, "reopen.db");
    const first = openSqlite(path);
    const store = new SqliteDedupStore({ db: first });
    await store.claim(A("m-persist"), 10, CLAIM);
    await store.complete(A("m-persist"), 11, FIVE_MINUTES);
    first.close();
    const second = openSqlite(path);
    expect(await new SqliteDedupStore({ db: second }).claim(A("m-persist"), 20, CLAIM)).toEqual({
      status: "duplicate",
    });
    second.close();
  });
});

describe("SqliteRecordStore", () => {
  it("put overwrites by id; batchPut writes all, last duplicate wins", async () => {
    const store = new SqliteRecordStore({ db });
    await store.put({ id: "r1", data: { speed: 1 } });
    await store.put({ id: "r1", data: { speed: 1 } });
    expect(await store.get("r1")).toEqual({ id: "r1", data: { speed: 1 } });
    const result = await store.batchPut([
      { id: "r2", data: { speed: 2 } },
      { id: "r3", data: { speed: 3 } },
      { id: "r2", data: { speed: 22 } },
    ]);
    expect(result).toEqual({ written: 2, unprocessed: [] });
    expect(await store.get("r2")).toEqual({ id: "r2", data: { speed: 22 } });
    expect(await store.get("nope")).toBeUndefined();
  });
});

describe("SqliteTimeSeriesSink", () => {
  const now = Date.UTC(2025, 9, 10, 12);
  const point = (timeMs: number, speed = 1, vehicle = "VIN-1"): TimeSeriesRecord => ({
    dimensions: { vehicle_id: vehicle },
    measureName: "telemetry",
    timeMs,
    measures: { speed_kmh: speed },
  });

  it("FM-15 Timestream out-of-order: records older than memory retention are rejected, the rest stored", async () => {
    // Memory retention shorter than the hourly batch age: the late records are refused.
    const sink = new SqliteTimeSeriesSink({
      db,
      memoryRetentionMs: 30 * 60_000,
      now: () => now,
      table: "ts_a",
    });
    const batch = [
      point(now - HOUR),
      point(now - 10 * 60_000),
      point(now - 45 * 60_000),
      point(now),
    ];
    const result = await sink.write(batch);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, "outside-retention-window"],
      [2, "outside-retention-window"],
    ]);
    const rows = db.prepare(`SELECT time_ms FROM "ts_a" ORDER BY time_ms`).all() as {
      time_ms: number;
    }[];
    expect(rows.map((r) => r.time_ms)).toEqual([now - 10 * 60_000, now]);
  });

  it("a retention covering the batch age accepts the same hourly batch", async () => {
    const sink = new SqliteTimeSeriesSink({
      db,
      memoryRetentionMs: 2 * HOUR,
      now: () => now,
      table: "ts_b",
    });
    const result = await sink.write([point(now - HOUR), point(now - 45 * 60_000)]);
    expect(result.rejected).toEqual([]);
  });

  it("rewriting a point is idempotent; different values at the same point are a version conflict", async () => {
    const sink = new SqliteTimeSeriesSink({
      db,
      memoryRetentionMs: HOUR,
      now: () => now,
      table: "ts_c",
    });
    expect((await sink.write([point(now, 5)])).rejected).toEqual([]);
    expect((await sink.write([point(now, 5)])).rejected).toEqual([]);
    const conflict = await sink.write([point(now, 6), point(now, 6, "VIN-2")]);
    expect(conflict.rejected).toEqual([
      { index: 0, code: "conflicting-version", reason: expect.any(String) },
    ]);
  });

  it("rejects future records beyond the tolerance and invalid ones", async () => {
    const sink = new SqliteTimeSeriesSink({
      db,
      memoryRetentionMs: HOUR,
      maxFutureMs: 15 * 60_000,
      now: () => now,
      table: "ts_d",
    });
    const result = await sink.write([
      point(now + 20 * 60_000),
      point(now + 5 * 60_000),
      { ...point(now), measures: {} },
    ]);
    expect(result.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, "outside-retention-window"],
      [2, "invalid-record"],
    ]);
  });
});

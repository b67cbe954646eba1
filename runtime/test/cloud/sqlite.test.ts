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

describe("SqliteDedupStore (FM-10 duplicate message detection)", () => {
  it("FM-10: new, duplicate inside the window, reclaimable after it, releasable", async () => {
    const store = new SqliteDedupStore({ db });
    const t0 = 1_700_000_000_000;
    expect(await store.claim("m-1", t0, FIVE_MINUTES)).toBe("new");
    expect(await store.claim("m-1", t0 + 1, FIVE_MINUTES)).toBe("duplicate");
    expect(await store.claim("m-1", t0 + FIVE_MINUTES, FIVE_MINUTES)).toBe("duplicate");
    expect(await store.claim("m-1", t0 + FIVE_MINUTES + 1, FIVE_MINUTES)).toBe("new");
    expect(await store.claim("m-1", t0 + FIVE_MINUTES + 2, FIVE_MINUTES)).toBe("duplicate");
    await store.release("m-1");
    expect(await store.claim("m-1", t0 + FIVE_MINUTES + 3, FIVE_MINUTES)).toBe("new");
  });

  it("claims survive reopening the file", async () => {
    const path = join(dir, "reopen.db");
    const first = openSqlite(path);
    await new SqliteDedupStore({ db: first }).claim("m-persist", 10, FIVE_MINUTES);
    first.close();
    const second = openSqlite(path);
    expect(await new SqliteDedupStore({ db: second }).claim("m-persist", 20, FIVE_MINUTES)).toBe(
      "duplicate",
    );
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

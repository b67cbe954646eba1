/**
 * The local stores' table layout (rows found by a 52-bit hash of the key, not its text) on a
 * real SQLite file: hash collisions, files of the earlier layout, the micro-batch's deferred
 * ledger writes, and the time-series sink's canonical JSON.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  openSqlite,
  SqliteDedupStore,
  SqliteRecordStore,
  SqliteTimeSeriesSink,
  type SqliteDatabase,
} from "../../src/cloud/index.js";
import { deferClaimsInTransactions } from "../../src/cloud/sqlite-dedup-store.js";
import { keyHash } from "../../src/cloud/sqlite-key-hash.js";

const WINDOW = 5 * 60_000;
const CLAIM = { windowMs: WINDOW, leaseMs: 10_000 };
/** Every key in one of two slots: most keys collide. */
const colliding = (key: string) => keyHash(key) % 2;

let dir: string;
let db: SqliteDatabase;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "cloud-sqlite-layout-"));
  db = openSqlite(join(dir, "layout.db"), { pageSize: 16_384 });
});
afterAll(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe("keyHash", () => {
  it("is a safe, non-negative integer below 2^52, equal for equal keys", () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        const h = keyHash(key);
        expect(Number.isSafeInteger(h) && h >= 0 && h < 2 ** 52).toBe(true);
        expect(keyHash(`${key}`)).toBe(h);
      }),
    );
    const ids = Array.from({ length: 20_000 }, (_, i) => `VIN${i % 200}/${i}`);
    expect(new Set(ids.map(keyHash)).size).toBe(ids.length);
  });
});

describe("SqliteRecordStore with colliding hashes", () => {
  it("keeps every key apart, overwrites each in place, reads each back", async () => {
    const store = new SqliteRecordStore({ db, table: "records_collide", hash: colliding });
    const keys = Array.from({ length: 12 }, (_, i) => `car/${i}`);
    for (const k of keys) await store.put({ id: k, data: { v: k } });
    await store.put({ id: "car/3", data: { v: "again" } });
    await store.batchPut([
      { id: "car/5", data: { v: "batch" } },
      { id: "car/new", data: { v: "new" } },
    ]);
    for (const k of keys) {
      const want = k === "car/3" ? "again" : k === "car/5" ? "batch" : k;
      expect(await store.get(k)).toEqual({ id: k, data: { v: want } });
    }
    expect(await store.get("car/new")).toEqual({ id: "car/new", data: { v: "new" } });
    expect(await store.get("car/absent")).toBeUndefined();
    const rows = db.prepare(`SELECT key FROM "records_collide"`).all() as { key: string }[];
    expect(rows.map((r) => r.key).sort()).toEqual([...keys, "car/new"].sort());
  });
});

describe("SqliteDedupStore with colliding hashes", () => {
  it("claims, completes and releases each key on its own", async () => {
    const store = new SqliteDedupStore({ db, table: "ledger_collide", hash: colliding });
    const t = 1_700_000_000_000;
    const key = (i: number) => ({ vehicleId: "car", messageId: `m-${i}` });
    for (let i = 0; i < 8; i++)
      expect((await store.claim(key(i), t, CLAIM)).status).toBe("claimed");
    for (let i = 0; i < 8; i += 2) await store.complete(key(i), t, WINDOW);
    await store.release(key(1), ["kv"]);
    await store.release(key(3), []);
    for (let i = 0; i < 8; i += 2) {
      expect(await store.claim(key(i), t + 1, CLAIM)).toEqual({ status: "duplicate" });
    }
    expect(await store.claim(key(1), t + 1, CLAIM)).toEqual({ status: "claimed", done: ["kv"] });
    expect(await store.claim(key(3), t + 1, CLAIM)).toEqual({ status: "claimed", done: [] });
    expect(await store.claim(key(5), t + 1, CLAIM)).toEqual({ status: "in-progress" });
    const n = db.prepare(`SELECT count(*) AS n FROM "ledger_collide"`).get() as { n: number };
    expect(n.n).toBe(8);
  });
});

describe("files of the earlier layout", () => {
  it("records and ledger rows written by the earlier layout are found after opening", async () => {
    const file = join(dir, "legacy.db");
    const old = openSqlite(file);
    old.exec(`CREATE TABLE records (key TEXT PRIMARY KEY, data TEXT NOT NULL);
      INSERT INTO records VALUES ('car/1', '{"v":1}'), ('car/2', '{"v":2}');
      CREATE TABLE dedup_ledger (
        key TEXT PRIMARY KEY, state TEXT NOT NULL, claimed_at_ms INTEGER NOT NULL,
        lease_until_ms INTEGER NOT NULL, window_end_ms INTEGER NOT NULL, done TEXT) WITHOUT ROWID;
      INSERT INTO dedup_ledger VALUES ('car/1', 'done', 10, 10, 9000000000000, NULL),
        ('car/9', 'failed', 10, 0, 0, '["kv"]');`);
    old.close();
    const reopened = openSqlite(file);
    const records = new SqliteRecordStore({ db: reopened });
    const ledger = new SqliteDedupStore({ db: reopened });
    expect(await records.get("car/2")).toEqual({ id: "car/2", data: { v: 2 } });
    const car = (messageId: string) => ({ vehicleId: "car", messageId });
    expect(await ledger.claim(car("1"), 20, CLAIM)).toEqual({ status: "duplicate" });
    expect(await ledger.claim(car("9"), 20, CLAIM)).toEqual({ status: "claimed", done: ["kv"] });
    const tables = reopened
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all() as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual(["dedup_ledger", "records"]);
    reopened.close();
  });
});

describe("SqliteDedupStore inside a micro-batch (deferred claims and completions)", () => {
  it("answers duplicate for a message completed earlier in the transaction, writes it before the commit", async () => {
    const store = new SqliteDedupStore({ db, table: "ledger_batch" });
    const hooks = deferClaimsInTransactions(store);
    const t = 1_700_000_000_000;
    const key = (i: number) => ({ vehicleId: "car", messageId: `b-${i}` });
    const count = () =>
      (db.prepare(`SELECT count(*) AS n FROM "ledger_batch"`).get() as { n: number }).n;
    db.exec("BEGIN IMMEDIATE");
    for (let i = 0; i < 300; i++) {
      expect((await store.claim(key(i), t, CLAIM)).status).toBe("claimed");
      await store.complete(key(i), t, WINDOW);
    }
    expect(await store.claim(key(7), t, CLAIM)).toEqual({ status: "duplicate" });
    expect((await store.claim(key(300), t, CLAIM)).status).toBe("claimed");
    expect(await store.claim(key(300), t, CLAIM)).toEqual({ status: "in-progress" });
    expect(count()).toBe(0); // nothing written until the commit
    hooks.beforeCommit();
    db.exec("COMMIT");
    hooks.ended();
    expect(count()).toBe(300); // b-300 claimed, never completed: not written
    expect(await store.claim(key(299), t + 1, CLAIM)).toEqual({ status: "duplicate" });
    expect((await store.claim(key(300), t + 1, CLAIM)).status).toBe("claimed");

    // A rolled-back batch leaves nothing, and its keys can be claimed again.
    db.exec("BEGIN IMMEDIATE");
    expect((await store.claim(key(500), t, CLAIM)).status).toBe("claimed");
    await store.complete(key(500), t, WINDOW);
    db.exec("ROLLBACK");
    hooks.ended();
    expect((await store.claim(key(500), t + 1, CLAIM)).status).toBe("claimed");
  });

  it("writes a completion at once when units are savepoints (it must roll back with its unit)", async () => {
    const store = new SqliteDedupStore({ db, table: "ledger_savepoints" });
    const hooks = deferClaimsInTransactions(store, false);
    const key = { vehicleId: "car", messageId: "s-1" };
    db.exec("BEGIN IMMEDIATE");
    db.exec("SAVEPOINT unit");
    expect((await store.claim(key, 10, CLAIM)).status).toBe("claimed");
    await store.complete(key, 10, WINDOW);
    db.exec("ROLLBACK TO unit; RELEASE unit");
    hooks.beforeCommit();
    db.exec("COMMIT");
    hooks.ended();
    expect((await store.claim(key, 11, CLAIM)).status).toBe("claimed");
  });
});

describe("SqliteTimeSeriesSink canonical JSON", () => {
  it("stores measures and dimensions as JSON.stringify of a key-sorted copy, whatever the key order", async () => {
    const now = Date.UTC(2025, 9, 10, 12);
    const sink = new SqliteTimeSeriesSink({
      db,
      memoryRetentionMs: 60 * 60_000,
      now: () => now,
      table: "ts_canonical",
    });
    const value = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.string(),
      fc.constant(-0),
      fc.constant(Number.NaN),
    );
    const sortedJson = (o: Record<string, unknown>) =>
      JSON.stringify(
        Object.fromEntries(
          Object.keys(o)
            .sort()
            .map((k) => [k, o[k]]),
        ),
      );
    let time = now - 30 * 60_000;
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string(), value, { minKeys: 1 }),
        fc.dictionary(fc.string(), fc.string()),
        async (measures, dimensions) => {
          time++;
          const point = {
            dimensions,
            measureName: "m",
            timeMs: time,
            measures: measures as Record<string, number | string | boolean>,
          };
          // Twice: the key order is remembered after the first.
          expect((await sink.write([point, point])).rejected).toEqual([]);
          const row = db
            .prepare(`SELECT measures, dimensions FROM "ts_canonical" WHERE time_ms = ?`)
            .get(time) as { measures: string; dimensions: string };
          expect(row.measures).toBe(sortedJson(measures));
          expect(row.dimensions).toBe(sortedJson(dimensions));
        },
      ),
      { numRuns: 300 },
    );
    // Found by the property: an own `__proto__` key is kept (a plain copy would drop it).
    const tricky = { "0": 0, ["__proto__"]: 1, b: true } as Record<string, number | boolean>;
    Object.defineProperty(tricky, "__proto__", { value: 1, enumerable: true });
    time++;
    await sink.write([{ dimensions: {}, measureName: "m", timeMs: time, measures: tricky }]);
    const row = db.prepare(`SELECT measures FROM "ts_canonical" WHERE time_ms = ?`).get(time) as {
      measures: string;
    };
    expect(row.measures).toBe('{"0":0,"__proto__":1,"b":true}');
  });
});

import type {
  TimeSeriesRecord,
  TimeSeriesRejection,
  TimeSeriesSink,
  TimeSeriesWriteResult,
} from "./ports.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";
import { quoteIdent } from "./sqlite-dedup-store.js";

/** Options of SqliteTimeSeriesSink. */
export interface SqliteTimeSeriesSinkOptions {
  readonly db: SqliteDatabase;
  /**
   * Like Timestream's memory-store retention: records older than `now - memoryRetentionMs`
   * are rejected ("outside-retention-window"), so out-of-window rejects reproduce locally.
   */
  readonly memoryRetentionMs: number;
  /** How far in the future a record may be; Timestream allows 15 minutes. Default: no limit. */
  readonly maxFutureMs?: number;
  readonly table?: string;
  /** Clock; default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Local TimeSeriesSink on SQLite (a rowid table: measured, a WITHOUT ROWID table clustered by
 * series cost ~3x per insert, its page splits land mid-tree; the point's key is indexed time
 * first, so new points land at the index's right edge — keyed series first, each commit
 * dirtied one index page per series, ~7 µs a point) with Timestream's acceptance rules: a point is identified by
 * dimensions + measure name + time; rewriting it with the same measures is accepted
 * (idempotent), with different measures rejected ("conflicting-version"); out-of-window
 * times are rejected per record while the rest of the write is stored.
 */
export class SqliteTimeSeriesSink implements TimeSeriesSink {
  private readonly insert: SqliteStatement;
  private readonly existing: SqliteStatement;
  private readonly now: () => number;
  private readonly measureOrder: SortMemo = {
    keys: [],
    sorted: [],
    prefixes: [],
    indexKeys: false,
  };
  private readonly dimensionOrder: SortMemo = {
    keys: [],
    sorted: [],
    prefixes: [],
    indexKeys: false,
  };

  constructor(private readonly options: SqliteTimeSeriesSinkOptions) {
    const table = quoteIdent(options.table ?? "time_series");
    options.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (
         series TEXT NOT NULL, measure_name TEXT NOT NULL, time_ms INTEGER NOT NULL,
         dimensions TEXT NOT NULL, measures TEXT NOT NULL,
         PRIMARY KEY (time_ms, measure_name, series))`,
    );
    this.insert = options.db.prepare(
      `INSERT OR IGNORE INTO ${table} (series, measure_name, time_ms, dimensions, measures)
       VALUES (?, ?, ?, ?, ?)`,
    );
    this.existing = options.db.prepare(
      `SELECT measures FROM ${table} WHERE series = ? AND measure_name = ? AND time_ms = ?`,
    );
    this.now = options.now ?? Date.now;
  }

  /** @inheritdoc */
  async write(records: readonly TimeSeriesRecord[]): Promise<TimeSeriesWriteResult> {
    const now = this.now();
    const oldest = now - this.options.memoryRetentionMs;
    const newest = now + (this.options.maxFutureMs ?? Number.POSITIVE_INFINITY);
    const rejected: TimeSeriesRejection[] = [];
    for (let index = 0; index < records.length; index++) {
      const record = records[index]!;
      const measureKeys = Object.keys(record.measures);
      if (!Number.isFinite(record.timeMs) || measureKeys.length === 0) {
        rejected.push({
          index,
          code: "invalid-record",
          reason: "time must be finite and measures non-empty",
        });
        continue;
      }
      if (record.timeMs < oldest || record.timeMs > newest) {
        rejected.push({
          index,
          code: "outside-retention-window",
          reason: `The record timestamp ${record.timeMs} is outside the time range [${oldest}, ${newest}] of the memory store.`,
        });
        continue;
      }
      const series = canonicalJson(record.dimensions, this.dimensionOrder);
      const measures = canonicalJson(record.measures, this.measureOrder, measureKeys);
      const time = Math.trunc(record.timeMs);
      const { changes } = this.insert.run(series, record.measureName, time, series, measures);
      if (changes === 0) {
        const row = this.existing.get(series, record.measureName, time) as { measures: string };
        if (row.measures !== measures) {
          rejected.push({
            index,
            code: "conflicting-version",
            reason: "A record with the same dimensions, measure name and time holds other values.",
          });
        }
      }
    }
    return { rejected };
  }
}

// The last key order seen, its sorted form and the JSON of each sorted key with the character
// before it (one memo per sink and field is enough: a codec emits its keys in one fixed order).
interface SortMemo {
  keys: readonly string[];
  sorted: readonly string[];
  prefixes: readonly string[];
  /** Integer-like keys: JSON.stringify puts them first, in numeric order (kept as it was). */
  indexKeys: boolean;
}

// JSON with sorted keys, so equal objects give equal strings (the same text as JSON.stringify of
// a copy in sorted order). Keys usually arrive in one fixed order per codec: the sorted order and
// each key's JSON are remembered, and an object of numbers, booleans and strings is written
// straight from them (measured ~2x faster than a sorted copy + stringify, ~5 µs a point).
function canonicalJson(
  value: Readonly<Record<string, unknown>>,
  memo: SortMemo,
  keys: readonly string[] = Object.keys(value),
): string {
  if (!sameKeys(memo.keys, keys)) {
    const sorted = [...keys].sort();
    memo.keys = keys;
    memo.sorted = sorted;
    memo.prefixes = sorted.map((k, i) => `${i === 0 ? "{" : ","}${JSON.stringify(k)}:`);
    memo.indexKeys = keys.some((k) => /^(0|[1-9][0-9]*)$/.test(k));
  }
  const { sorted, prefixes } = memo;
  if (memo.indexKeys) return sortedCopyJson(value, sorted);
  if (sorted.length === 0) return "{}";
  let out = "";
  for (let i = 0; i < sorted.length; i++) {
    const v = value[sorted[i]!];
    if (typeof v === "number") out += prefixes[i]! + (Number.isFinite(v) ? String(v) : "null");
    else if (typeof v === "boolean") out += prefixes[i]! + (v ? "true" : "false");
    else if (typeof v === "string") out += prefixes[i]! + JSON.stringify(v);
    else return sortedCopyJson(value, sorted); // undefined, objects…: JSON.stringify decides
  }
  return out + "}";
}

function sortedCopyJson(
  value: Readonly<Record<string, unknown>>,
  order: readonly string[],
): string {
  // Own data properties (an own `__proto__` key stays a key, as in the fast path).
  return JSON.stringify(Object.fromEntries(order.map((k) => [k, value[k]])));
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

import type { SqliteDatabase } from "./sqlite.js";

/**
 * A 52-bit hash of a key (two 32-bit FNV-1a-style passes), a safe integer for an SQLite
 * INTEGER column. The local stores index it instead of the key text: a key is a random id
 * (`vehicle/uuid`, ~55 bytes), so every commit dirties about one index page per key, and an
 * index of 8-byte integers has ~5x fewer pages than one of the keys — fewer pages written to
 * the WAL per commit and copied back by the checkpoint as the tables grow. Equal keys give
 * equal hashes; different keys may collide (the stores compare the key itself).
 */
export function keyHash(key: string): number {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // Final mixes so that keys differing only in their last characters spread over every bit.
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b ^= b >>> 13;
  b = Math.imul(b, 0xc2b2ae35);
  b ^= b >>> 16;
  return (a >>> 0) * 0x100000 + (b >>> 12);
}

/** The names of a table's columns (empty when the table does not exist). */
export function tableColumns(db: SqliteDatabase, quotedTable: string): string[] {
  return (db.prepare(`PRAGMA table_info(${quotedTable})`).all() as { name: string }[]).map(
    (c) => c.name,
  );
}

/**
 * A cache of prepared multi-row statements by row count (`sql(n)` builds the statement for n
 * rows): a micro-batch's rows are written by a few statements instead of one each.
 */
export class MultiRowStatements {
  private readonly byCount = new Map<number, ReturnType<SqliteDatabase["prepare"]>>();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly sql: (rows: number) => string,
    /** Rows per statement at most. */
    readonly maxRows: number,
  ) {}

  /** Runs the statement for `rows` rows with their parameters, flattened, in order. */
  run(rows: number, params: readonly unknown[]): void {
    let s = this.byCount.get(rows);
    if (s === undefined) {
      s = this.db.prepare(this.sql(rows));
      this.byCount.set(rows, s);
    }
    s.run(params);
  }
}

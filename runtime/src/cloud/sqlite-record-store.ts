import type { BatchPutResult, RecordStore, StoredRecord } from "./ports.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";
import { quoteIdent } from "./sqlite-dedup-store.js";
import { keyHash, tableColumns } from "./sqlite-key-hash.js";

/** Options of SqliteRecordStore. */
export interface SqliteRecordStoreOptions {
  readonly db: SqliteDatabase;
  /** Table name; default "records". */
  readonly table?: string;
  /** The key's hash (tests pass a colliding one); default `keyHash`. */
  readonly hash?: (key: string) => number;
}

const LAST_SLOT = 2 ** 52 - 1;

/**
 * Local RecordStore: one row per key, an upsert (idempotent overwrite). Rows are appended in
 * write order (rowid) and found through a unique index on the key's 52-bit hash, not on the
 * key text: keys are random ids, so each write dirties one page of that index — a small index
 * of integers keeps the pages a commit writes (and the checkpoint copies back) few as the table
 * grows (measured with the engine bench). Two keys with one hash take the next free slots
 * (open addressing; rows are never deleted, so a lookup stops at the first empty slot).
 */
export class SqliteRecordStore implements RecordStore {
  private readonly upsert: SqliteStatement;
  private readonly select: SqliteStatement;
  private readonly writeMany: (records: readonly StoredRecord[]) => void;
  private readonly hash: (key: string) => number;

  constructor(options: SqliteRecordStoreOptions) {
    const { db } = options;
    const name = options.table ?? "records";
    const table = quoteIdent(name);
    this.hash = options.hash ?? keyHash;
    const old = tableColumns(db, table);
    const legacy = old.length > 0 && !old.includes("h") ? quoteIdent(`${name}__legacy`) : "";
    // A file written by the earlier layout (`key TEXT PRIMARY KEY, data`) is converted, all
    // or nothing: renamed, its rows copied into the new table, dropped.
    if (legacy) db.exec(`SAVEPOINT migrate; ALTER TABLE ${table} RENAME TO ${legacy}`);
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (key TEXT NOT NULL, h INTEGER NOT NULL, data TEXT NOT NULL);
       CREATE UNIQUE INDEX IF NOT EXISTS ${quoteIdent(`${name}_by_hash`)} ON ${table} (h)`,
    );
    // Idempotent overwrite in place when the slot holds this key; no change when it holds
    // another (a hash collision: the caller tries the next slot).
    this.upsert = db.prepare(
      `INSERT INTO ${table} (h, key, data) VALUES (?, ?, ?)
       ON CONFLICT (h) DO UPDATE SET data = excluded.data WHERE key = excluded.key`,
    );
    this.select = db.prepare(`SELECT key, data FROM ${table} WHERE h = ?`);
    this.writeMany = db.transaction((records: readonly StoredRecord[]) => {
      for (const r of records) this.write(r.id, JSON.stringify(r.data));
    });
    if (legacy) {
      try {
        const rows = db.prepare(`SELECT key, data FROM ${legacy}`).all() as {
          key: string;
          data: string;
        }[];
        for (const r of rows) this.write(r.key, r.data);
        db.exec(`DROP TABLE ${legacy}; RELEASE migrate`);
      } catch (error) {
        db.exec("ROLLBACK TO migrate; RELEASE migrate");
        throw error;
      }
    }
  }

  /** @inheritdoc */
  async put(record: StoredRecord): Promise<void> {
    this.write(record.id, JSON.stringify(record.data));
  }

  /** @inheritdoc — one transaction: all or nothing, so nothing is ever left unprocessed. */
  async batchPut(records: readonly StoredRecord[]): Promise<BatchPutResult> {
    this.writeMany(records);
    return { written: new Set(records.map((r) => r.id)).size, unprocessed: [] };
  }

  /** @inheritdoc */
  async get(id: string): Promise<StoredRecord | undefined> {
    for (let h = this.hash(id); ; h = h >= LAST_SLOT ? 0 : h + 1) {
      const row = this.select.get(h) as { key: string; data: string } | undefined;
      if (!row) return undefined;
      if (row.key === id) return { id, data: JSON.parse(row.data) as Record<string, unknown> };
    }
  }

  private write(id: string, data: string): void {
    for (let h = this.hash(id); ; h = h >= LAST_SLOT ? 0 : h + 1) {
      if (this.upsert.run(h, id, data).changes > 0) return;
    }
  }
}

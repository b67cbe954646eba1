import type { BatchPutResult, RecordStore, StoredRecord } from "./ports.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";
import { quoteIdent } from "./sqlite-dedup-store.js";

/** Options of SqliteRecordStore. */
export interface SqliteRecordStoreOptions {
  readonly db: SqliteDatabase;
  /** Table name; default "records". */
  readonly table?: string;
}

/** Local RecordStore: one row per key, an upsert (idempotent overwrite). */
export class SqliteRecordStore implements RecordStore {
  private readonly upsert: SqliteStatement;
  private readonly select: SqliteStatement;
  private readonly writeMany: (records: readonly StoredRecord[]) => void;

  constructor(options: SqliteRecordStoreOptions) {
    const table = quoteIdent(options.table ?? "records");
    options.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, data TEXT NOT NULL)`,
    );
    // Idempotent overwrite in place (INSERT OR REPLACE would delete and re-insert the row).
    this.upsert = options.db.prepare(
      `INSERT INTO ${table} (key, data) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET data = excluded.data`,
    );
    this.select = options.db.prepare(`SELECT data FROM ${table} WHERE key = ?`);
    this.writeMany = options.db.transaction((records: readonly StoredRecord[]) => {
      for (const r of records) this.upsert.run(r.id, JSON.stringify(r.data));
    });
  }

  /** @inheritdoc */
  async put(record: StoredRecord): Promise<void> {
    this.upsert.run(record.id, JSON.stringify(record.data));
  }

  /** @inheritdoc — one transaction: all or nothing, so nothing is ever left unprocessed. */
  async batchPut(records: readonly StoredRecord[]): Promise<BatchPutResult> {
    this.writeMany(records);
    return { written: new Set(records.map((r) => r.id)).size, unprocessed: [] };
  }

  /** @inheritdoc */
  async get(id: string): Promise<StoredRecord | undefined> {
    const row = this.select.get(id) as { data: string } | undefined;
    return row ? { id, data: JSON.parse(row.data) as Record<string, unknown> } : undefined;
  }
}

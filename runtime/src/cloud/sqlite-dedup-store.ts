import type { ClaimResult, DedupStore } from "./ports.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite.js";

/** Options of SqliteDedupStore. */
export interface SqliteDedupStoreOptions {
  readonly db: SqliteDatabase;
  /** Table name; default "dedup_claims". */
  readonly table?: string;
}

/**
 * Local DedupStore with the DynamoDB adapter's semantics: a claim is taken when absent or
 * expired (`expires_at_ms < now`), in one conditional upsert so concurrent claims race safely.
 */
export class SqliteDedupStore implements DedupStore {
  private readonly upsert: SqliteStatement;
  private readonly remove: SqliteStatement;

  constructor(options: SqliteDedupStoreOptions) {
    const table = quoteIdent(options.table ?? "dedup_claims");
    options.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (
         message_id TEXT PRIMARY KEY,
         claimed_at_ms INTEGER NOT NULL,
         expires_at_ms INTEGER NOT NULL)`,
    );
    // The WHERE of an upsert is the condition: only an expired claim is overwritten.
    this.upsert = options.db.prepare(
      `INSERT INTO ${table} (message_id, claimed_at_ms, expires_at_ms) VALUES (?, ?, ?)
       ON CONFLICT(message_id) DO UPDATE SET
         claimed_at_ms = excluded.claimed_at_ms, expires_at_ms = excluded.expires_at_ms
       WHERE ${table}.expires_at_ms < excluded.claimed_at_ms`,
    );
    this.remove = options.db.prepare(`DELETE FROM ${table} WHERE message_id = ?`);
  }

  /** @inheritdoc */
  async claim(messageId: string, nowMs: number, windowMs: number): Promise<ClaimResult> {
    const { changes } = this.upsert.run(messageId, nowMs, nowMs + windowMs);
    return changes === 1 ? "new" : "duplicate";
  }

  /** @inheritdoc */
  async release(messageId: string): Promise<void> {
    this.remove.run(messageId);
  }
}

/** Quotes an SQL identifier (table names come from configuration). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

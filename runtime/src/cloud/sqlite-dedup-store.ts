import {
  messageKeyId,
  type ClaimOptions,
  type ClaimResult,
  type DedupStore,
  type MessageKey,
} from "./ports.js";
import { SYNC_CLAIM, type SyncClaimStore } from "../handlers/dedup.js";
import type { SqliteDatabase, SqliteStatement, SqliteTransaction } from "./sqlite.js";

/** Options of SqliteDedupStore. */
export interface SqliteDedupStoreOptions {
  readonly db: SqliteDatabase;
  /** Table name; default "dedup_ledger". */
  readonly table?: string;
}

interface LedgerRow {
  state: "in-progress" | "done" | "failed";
  lease_until_ms: number;
  window_end_ms: number;
  done: string | null;
}

/**
 * Local dedup ledger with the DynamoDB adapter's semantics (see DedupStore): claims are rows
 * keyed by `vehicleId/messageId`; claim is a read + conditional write in one IMMEDIATE
 * transaction, so concurrent processes race safely. Inside a transaction that is already open
 * (the handler's unit of work, a micro-batch) the claim runs in it directly: the enclosing
 * transaction makes it atomic, and a stale read cannot be upgraded to a write (SQLite refuses
 * it with SQLITE_BUSY_SNAPSHOT), so two processes never both claim a message.
 * The ledger is a WITHOUT ROWID table (one B-tree, updated in place: a claim and its
 * completion are one upsert each, no delete + insert).
 */
export class SqliteDedupStore implements DedupStore, SyncClaimStore {
  private readonly select: SqliteStatement;
  private readonly upsert: SqliteStatement;
  private readonly remove: SqliteStatement;
  private readonly db: SqliteDatabase;
  private readonly claimNow: (key: string, nowMs: number, o: ClaimOptions) => ClaimResult;
  private readonly claimTx: SqliteTransaction<[string, number, ClaimOptions], ClaimResult>;
  /** Claims of the open transaction not written (see `deferClaimsInTransactions`). */
  private readonly deferred = new Set<string>();
  private deferring = false;

  constructor(options: SqliteDedupStoreOptions) {
    const table = quoteIdent(options.table ?? "dedup_ledger");
    this.db = options.db;
    options.db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (
         key TEXT PRIMARY KEY, state TEXT NOT NULL, claimed_at_ms INTEGER NOT NULL,
         lease_until_ms INTEGER NOT NULL, window_end_ms INTEGER NOT NULL, done TEXT)
       WITHOUT ROWID`,
    );
    this.select = options.db.prepare(
      `SELECT state, lease_until_ms, window_end_ms, done FROM ${table} WHERE key = ?`,
    );
    // An upsert that updates in place (INSERT OR REPLACE would delete and re-insert the row).
    this.upsert = options.db.prepare(
      `INSERT INTO ${table} (key, state, claimed_at_ms, lease_until_ms, window_end_ms, done)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET state = excluded.state,
         claimed_at_ms = excluded.claimed_at_ms, lease_until_ms = excluded.lease_until_ms,
         window_end_ms = excluded.window_end_ms, done = excluded.done`,
    );
    this.remove = options.db.prepare(`DELETE FROM ${table} WHERE key = ?`);
    this.claimNow = (key: string, nowMs: number, o: ClaimOptions): ClaimResult => {
      const defer = this.deferring && this.db.inTransaction;
      if (defer && this.deferred.has(key)) return { status: "in-progress" };
      const row = this.select.get(key) as LedgerRow | undefined;
      if (row?.state === "done" && row.window_end_ms >= nowMs) return { status: "duplicate" };
      if (row?.state === "in-progress" && row.lease_until_ms >= nowMs) {
        return { status: "in-progress" };
      }
      // Sinks an earlier attempt wrote (failed, or abandoned by a crash); none once done.
      const done =
        row && row.state !== "done" && row.done ? (JSON.parse(row.done) as string[]) : [];
      if (defer) {
        this.deferred.add(key);
        return { status: "claimed", done };
      }
      this.upsert.run(
        key,
        "in-progress",
        nowMs,
        nowMs + o.leaseMs,
        nowMs + Math.max(o.windowMs, o.leaseMs),
        JSON.stringify(done),
      );
      return { status: "claimed", done };
    };
    this.claimTx = options.db.transaction(this.claimNow);
  }

  /** See `deferClaimsInTransactions`. */
  deferClaims(): () => void {
    this.deferring = true;
    return () => this.deferred.clear();
  }

  /** @inheritdoc */
  async claim(key: MessageKey, nowMs: number, options: ClaimOptions): Promise<ClaimResult> {
    return this[SYNC_CLAIM](key, nowMs, options);
  }

  /** The same claim, answered synchronously (better-sqlite3 is synchronous: nothing to await). */
  [SYNC_CLAIM](key: MessageKey, nowMs: number, options: ClaimOptions): ClaimResult {
    const id = messageKeyId(key);
    return this.db.inTransaction
      ? this.claimNow(id, nowMs, options)
      : this.claimTx.immediate(id, nowMs, options);
  }

  /** @inheritdoc */
  async complete(key: MessageKey, nowMs: number, windowMs: number): Promise<void> {
    const id = messageKeyId(key);
    this.upsert.run(id, "done", nowMs, nowMs, nowMs + windowMs, null);
    this.deferred.delete(id);
  }

  /** @inheritdoc */
  async release(key: MessageKey, done: readonly string[]): Promise<void> {
    const id = messageKeyId(key);
    this.deferred.delete(id);
    if (done.length === 0) this.remove.run(id);
    else this.upsert.run(id, "failed", Date.now(), 0, 0, JSON.stringify(done));
  }
}

/**
 * For a writer that holds one transaction around many claims (the local rules engine's
 * micro-batch, BEGIN IMMEDIATE): a claim made inside an open transaction is kept in memory
 * instead of written as an in-progress row, and the completion (or release) is the one write.
 * Nobody else can see the row before the commit anyway, and a second claim of the same message
 * in that transaction still answers in-progress. What changes is only a unit that neither
 * completes nor releases (it threw) — its message is left unclaimed instead of in progress
 * until the lease ends, so a redelivery processes it again at once (writes are idempotent by
 * key). Saves one upsert a message. Returns the hook to call when the transaction ended
 * (commit or rollback); a store of another kind: a no-op.
 */
export function deferClaimsInTransactions(store: unknown): () => void {
  if (!(store instanceof SqliteDedupStore)) return () => undefined;
  return store.deferClaims();
}

/** Quotes an SQL identifier (table names come from configuration). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

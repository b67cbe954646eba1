import {
  messageKeyId,
  type ClaimOptions,
  type ClaimResult,
  type DedupStore,
  type MessageKey,
} from "./ports.js";
import { SYNC_CLAIM, type SyncClaimStore } from "../handlers/dedup.js";
import type { SqliteDatabase, SqliteStatement, SqliteTransaction } from "./sqlite.js";
import { keyHash, MultiRowStatements, tableColumns } from "./sqlite-key-hash.js";

/** Options of SqliteDedupStore. */
export interface SqliteDedupStoreOptions {
  readonly db: SqliteDatabase;
  /** Table name; default "dedup_ledger". */
  readonly table?: string;
  /** The key's hash (tests pass a colliding one); default `keyHash`. */
  readonly hash?: (key: string) => number;
}

interface LedgerRow {
  id: number;
  state: "in-progress" | "done" | "failed";
  lease_until_ms: number;
  window_end_ms: number;
  done: string | null;
}

/** A claim of the open transaction not written yet (see `deferClaimsInTransactions`). */
interface DeferredClaim {
  /** The ledger row of an earlier attempt (failed, or its lease ended), else none. */
  readonly row: number | undefined;
  /** Completed in this transaction (its row is written before the commit). */
  completed: boolean;
}

const COLUMNS = "key, h, state, claimed_at_ms, lease_until_ms, window_end_ms, done";
/** Completions written by one INSERT at most (7 parameters each). */
const ROWS_PER_INSERT = 128;

/**
 * Local dedup ledger with the DynamoDB adapter's semantics (see DedupStore): claims are rows
 * keyed by `vehicleId/messageId`; claim is a read + conditional write in one IMMEDIATE
 * transaction, so concurrent processes race safely. Inside a transaction that is already open
 * (the handler's unit of work, a micro-batch) the claim runs in it directly: the enclosing
 * transaction makes it atomic, and a stale read cannot be upgraded to a write (SQLite refuses
 * it with SQLITE_BUSY_SNAPSHOT), so two processes never both claim a message.
 * Rows are appended in write order (rowid) and found through an index on the key's 52-bit
 * hash (`keyHash`), not on the key text: keys are random ids, so each new row dirties one
 * index page, and an index of integers has ~5x fewer pages than one of the keys — fewer pages
 * written per commit and checkpointed as the ledger grows. Every write is a read of the key
 * first, inside a write transaction (the one row per key is kept by that, not by a constraint).
 */
export class SqliteDedupStore implements DedupStore, SyncClaimStore {
  private readonly select: SqliteStatement;
  private readonly insert: SqliteStatement;
  private readonly update: SqliteStatement;
  private readonly remove: SqliteStatement;
  private readonly inserts: MultiRowStatements;
  private readonly db: SqliteDatabase;
  private readonly hash: (key: string) => number;
  private readonly claimNow: (key: string, nowMs: number, o: ClaimOptions) => ClaimResult;
  private readonly claimTx: SqliteTransaction<[string, number, ClaimOptions], ClaimResult>;
  private readonly writeNow: SqliteTransaction<[string, LedgerWrite], void>;
  /** Claims of the open transaction not written (see `deferClaimsInTransactions`). */
  private readonly deferred = new Map<string, DeferredClaim>();
  /** Completions of new keys to insert before the commit, by key (see `flush`). */
  private readonly pending = new Map<string, unknown[]>();
  private deferring = false;
  private deferringCompletions = false;

  constructor(options: SqliteDedupStoreOptions) {
    const { db } = options;
    const name = options.table ?? "dedup_ledger";
    const table = quoteIdent(name);
    this.db = db;
    this.hash = options.hash ?? keyHash;
    const old = tableColumns(db, table);
    const legacy = old.length > 0 && !old.includes("h") ? quoteIdent(`${name}__legacy`) : "";
    // A ledger of the earlier layout (WITHOUT ROWID, keyed by the text) is converted, all or
    // nothing: renamed, its rows copied with their hash, dropped.
    if (legacy) db.exec(`SAVEPOINT migrate; ALTER TABLE ${table} RENAME TO ${legacy}`);
    // No column constraints (the store writes every column): a multi-row INSERT that cannot
    // fail half-way needs no statement journal (measured: 8.2 -> 5.0 µs a row with 16 KiB pages).
    db.exec(
      `CREATE TABLE IF NOT EXISTS ${table} (
         key TEXT, h INTEGER, state TEXT, claimed_at_ms INTEGER, lease_until_ms INTEGER,
         window_end_ms INTEGER, done TEXT);
       CREATE INDEX IF NOT EXISTS ${quoteIdent(`${name}_by_hash`)} ON ${table} (h)`,
    );
    this.select = db.prepare(
      `SELECT rowid AS id, state, lease_until_ms, window_end_ms, done FROM ${table}
       WHERE h = ? AND key = ?`,
    );
    this.insert = db.prepare(`INSERT INTO ${table} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.update = db.prepare(
      `UPDATE ${table} SET state = ?, claimed_at_ms = ?, lease_until_ms = ?, window_end_ms = ?,
         done = ? WHERE rowid = ?`,
    );
    this.remove = db.prepare(`DELETE FROM ${table} WHERE rowid = ?`);
    this.inserts = new MultiRowStatements(
      db,
      (n) =>
        `INSERT INTO ${table} (${COLUMNS}) VALUES ${Array(n).fill("(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
      ROWS_PER_INSERT,
    );
    if (legacy) {
      try {
        const rows = db
          .prepare(
            `SELECT key, state, claimed_at_ms, lease_until_ms, window_end_ms, done FROM ${legacy}`,
          )
          .all() as Record<string, unknown>[];
        for (const r of rows) {
          const key = r["key"] as string;
          this.insert.run(
            key,
            this.hash(key),
            r["state"],
            r["claimed_at_ms"],
            r["lease_until_ms"],
            r["window_end_ms"],
            r["done"],
          );
        }
        db.exec(`DROP TABLE ${legacy}; RELEASE migrate`);
      } catch (error) {
        db.exec("ROLLBACK TO migrate; RELEASE migrate");
        throw error;
      }
    }
    this.claimNow = (key: string, nowMs: number, o: ClaimOptions): ClaimResult => {
      const defer = this.deferring && this.db.inTransaction;
      if (defer) {
        const mine = this.deferred.get(key);
        if (mine) return mine.completed ? { status: "duplicate" } : { status: "in-progress" };
      }
      const row = this.select.get(this.hash(key), key) as LedgerRow | undefined;
      if (row?.state === "done" && row.window_end_ms >= nowMs) return { status: "duplicate" };
      if (row?.state === "in-progress" && row.lease_until_ms >= nowMs) {
        return { status: "in-progress" };
      }
      // Sinks an earlier attempt wrote (failed, or abandoned by a crash); none once done.
      const done =
        row && row.state !== "done" && row.done ? (JSON.parse(row.done) as string[]) : [];
      if (defer) {
        this.deferred.set(key, { row: row?.id, completed: false });
        return { status: "claimed", done };
      }
      const windowEnd = nowMs + Math.max(o.windowMs, o.leaseMs);
      this.put(key, row?.id, [
        "in-progress",
        nowMs,
        nowMs + o.leaseMs,
        windowEnd,
        JSON.stringify(done),
      ]);
      return { status: "claimed", done };
    };
    this.claimTx = db.transaction(this.claimNow);
    // A write outside a transaction: the key's row read and written in one.
    this.writeNow = db.transaction((key: string, values: LedgerWrite) => {
      const row = this.select.get(this.hash(key), key) as LedgerRow | undefined;
      this.put(key, row?.id, values);
    });
  }

  /** See `deferClaimsInTransactions`. */
  deferClaims(completions = true): { beforeCommit: () => void; ended: () => void } {
    this.deferring = true;
    this.deferringCompletions = completions;
    return {
      beforeCommit: () => this.flush(),
      ended: () => {
        this.deferred.clear();
        this.pending.clear();
      },
    };
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
    const mine = this.deferring && this.db.inTransaction ? this.deferred.get(id) : undefined;
    if (mine && mine.row === undefined && this.deferringCompletions) {
      // A new key claimed in this transaction: inserted with the others before the commit.
      mine.completed = true;
      this.pending.set(id, [id, this.hash(id), "done", nowMs, nowMs, nowMs + windowMs, null]);
      return;
    }
    this.deferred.delete(id);
    this.write(id, mine?.row, ["done", nowMs, nowMs, nowMs + windowMs, null]);
  }

  /** @inheritdoc */
  async release(key: MessageKey, done: readonly string[]): Promise<void> {
    const id = messageKeyId(key);
    const mine = this.deferred.get(id);
    this.deferred.delete(id);
    // A new key claimed in this transaction has no row yet (and its completion, if any, is
    // withdrawn): a release with sinks inserts one, an empty one has nothing to forget.
    if (mine && mine.row === undefined) {
      this.pending.delete(id);
      if (done.length > 0)
        this.insert.run(id, this.hash(id), "failed", Date.now(), 0, 0, JSON.stringify(done));
      return;
    }
    if (done.length > 0) {
      this.write(id, mine?.row, ["failed", Date.now(), 0, 0, JSON.stringify(done)]);
      return;
    }
    const row = mine?.row ?? (this.select.get(this.hash(id), id) as LedgerRow | undefined)?.id;
    if (row !== undefined) this.remove.run(row);
  }

  // The completions waiting for the commit, as multi-row INSERTs. Called once, after every
  // unit of the transaction ran (so never inside a unit's savepoint).
  private flush(): void {
    if (this.pending.size === 0) return;
    let params: unknown[] = [];
    let rows = 0;
    for (const values of this.pending.values()) {
      for (const v of values) params.push(v);
      if (++rows === ROWS_PER_INSERT) {
        this.inserts.run(rows, params);
        params = [];
        rows = 0;
      }
    }
    if (rows > 0) this.inserts.run(rows, params);
    this.pending.clear();
  }

  // The key's row by its id when known, else read first (outside a transaction: read and
  // written in one).
  private write(key: string, row: number | undefined, values: LedgerWrite): void {
    if (row !== undefined) this.put(key, row, values);
    else if (this.db.inTransaction) {
      const found = this.select.get(this.hash(key), key) as LedgerRow | undefined;
      this.put(key, found?.id, values);
    } else this.writeNow.immediate(key, values);
  }

  private put(key: string, row: number | undefined, v: LedgerWrite): void {
    if (row === undefined) this.insert.run(key, this.hash(key), ...v);
    else this.update.run(...v, row);
  }
}

/** state, claimed_at_ms, lease_until_ms, window_end_ms, done */
type LedgerWrite = [string, number, number, number, string | null];

/**
 * For a writer that holds one transaction around many claims (the local rules engine's
 * micro-batch, BEGIN IMMEDIATE): a claim made inside an open transaction is kept in memory
 * instead of written as an in-progress row, and the completion (or release) is the one write.
 * Nobody else can see the row before the commit anyway, and a second claim of the same message
 * in that transaction still answers in-progress. What changes is only a unit that neither
 * completes nor releases (it threw) — its message is left unclaimed instead of in progress
 * until the lease ends, so a redelivery processes it again at once (writes are idempotent by
 * key). Saves one upsert a message. The completions of new messages are kept too and written
 * together just before the commit (a few multi-row INSERTs instead of one statement each); a
 * second claim in the transaction answers duplicate — unless `completions` is false: a writer
 * that runs each unit as a savepoint must have the completion rolled back with its unit, so it
 * is written at once. Returns the hooks to call before the commit (inside the transaction) and
 * once it ended (commit or rollback); a store of another kind: no-ops.
 */
export function deferClaimsInTransactions(
  store: unknown,
  completions = true,
): {
  beforeCommit: () => void;
  ended: () => void;
} {
  if (!(store instanceof SqliteDedupStore))
    return { beforeCommit: () => undefined, ended: () => undefined };
  return store.deferClaims(completions);
}

/** Quotes an SQL identifier (table names come from configuration). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

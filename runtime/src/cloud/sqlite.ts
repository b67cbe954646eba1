import { createRequire } from "node:module";
import { DownstreamError } from "./errors.js";

/** The part of a better-sqlite3 statement the local adapters use. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** A better-sqlite3 transaction function and its locking variants. */
export interface SqliteTransaction<A extends unknown[], R> {
  (...args: A): R;
  immediate(...args: A): R;
}

/** The part of a better-sqlite3 database the local adapters use. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransaction<A, R>;
  readonly inTransaction: boolean;
  /** The file name the database was opened with. */
  readonly name?: string;
  /** True for an in-memory database. */
  readonly memory?: boolean;
  close(): unknown;
}

type SqliteConstructor = new (filename: string) => SqliteDatabase;

// better-sqlite3 ships no TypeScript types and @types/better-sqlite3 is not installed; loading
// it through require with the small interface above keeps the typing local to this file
// (an ambient `declare module` could clash with another package's declaration).
const require = createRequire(import.meta.url);

/**
 * The longest a single statement may block the event loop waiting for another process's
 * write lock. better-sqlite3 is synchronous: a busy_timeout is a frozen process, so it stays
 * tiny and longer waits happen asynchronously (`SqliteUnitOfWork`).
 */
export const SQLITE_SYNC_LOCK_WAIT_MS = 10;

/**
 * Opens (or creates) a SQLite file for the local adapters, in WAL mode so a local pipeline
 * can read while a handler writes. Several adapters may share one database. `pageSize`
 * applies when the file is created.
 */
export function openSqlite(
  filename: string,
  options: { readonly pageSize?: number } = {},
): SqliteDatabase {
  const Database = require("better-sqlite3") as SqliteConstructor;
  const db = new Database(filename);
  db.pragma(`busy_timeout = ${SQLITE_SYNC_LOCK_WAIT_MS}`);
  // Takes effect on a new (empty) file only, so before WAL mode is set; ignored afterwards.
  if (options.pageSize !== undefined) db.pragma(`page_size = ${Math.trunc(options.pageSize)}`);
  db.pragma("journal_mode = WAL");
  return db;
}

/** True for SQLite's lock errors (another connection holds the write lock). */
export function isSqliteBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** Options of SqliteUnitOfWork. */
export interface SqliteUnitOfWorkOptions {
  readonly db: SqliteDatabase;
  /** How long to wait, asynchronously, for the write lock before failing; default 2000 ms. */
  readonly lockWaitMs?: number;
  /** Pause between lock attempts; default 5 ms. */
  readonly retryEveryMs?: number;
}

/**
 * Runs async work as one SQLite transaction (BEGIN IMMEDIATE … COMMIT, ROLLBACK on a throw):
 * a crash anywhere inside leaves nothing behind. Units on one connection run one at a time
 * (an async lock), so concurrent invocations never share a transaction. The write lock is
 * awaited without blocking the event loop, at most `lockWaitMs`; then a DownstreamError of
 * kind "timeout" (SQLITE_BUSY) is thrown.
 */
export class SqliteUnitOfWork {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SqliteUnitOfWorkOptions) {}

  /** Runs `work` inside one transaction. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const next = this.tail.then(() => this.runNow(work));
    this.tail = next.catch(() => undefined);
    return next;
  }

  private async runNow<T>(work: () => Promise<T>): Promise<T> {
    const { db } = this.options;
    await this.begin();
    let result: T;
    try {
      result = await work();
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
    db.exec("COMMIT");
    return result;
  }

  private async begin(): Promise<void> {
    const { db } = this.options;
    const deadline = Date.now() + (this.options.lockWaitMs ?? 2000);
    for (;;) {
      try {
        db.exec("BEGIN IMMEDIATE");
        return;
      } catch (error) {
        if (!isSqliteBusy(error)) throw error;
        if (Date.now() >= deadline) {
          throw new DownstreamError(
            "sqlite",
            "timeout",
            true,
            `SQLITE_BUSY: write lock not obtained within ${this.options.lockWaitMs ?? 2000} ms`,
            { cause: error },
          );
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.retryEveryMs ?? 5));
      }
    }
  }
}

import { createRequire } from "node:module";

/** The part of a better-sqlite3 statement the local adapters use. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The part of a better-sqlite3 database the local adapters use. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): unknown;
}

type SqliteConstructor = new (filename: string) => SqliteDatabase;

// better-sqlite3 ships no TypeScript types and @types/better-sqlite3 is not installed; loading
// it through require with the small interface above keeps the typing local to this file
// (an ambient `declare module` could clash with another package's declaration).
const require = createRequire(import.meta.url);

/**
 * Opens (or creates) a SQLite file for the local adapters, in WAL mode so a local pipeline
 * can read while a handler writes. Several adapters may share one database.
 */
export function openSqlite(filename: string): SqliteDatabase {
  const Database = require("better-sqlite3") as SqliteConstructor;
  const db = new Database(filename);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 5000");
  return db;
}

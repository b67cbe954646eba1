import { createRequire } from "node:module";
import type { LocalQueuePolicy } from "../policy.js";
import type { ClientEvents } from "./events.js";
import { InflightJournal, type InflightEntry } from "./inflight-journal.js";

/** One message as the vehicle's flash stores it: always the full topic, never an alias-only packet. */
export interface QueueEntryInput {
  readonly messageId: string;
  /** The full topic name (aliases are per connection and meaningless after a restart). */
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly qos: 0 | 1 | 2;
  /** The spec's alias number for the topic (a hint for the next connection, not wire state). */
  readonly alias?: number | undefined;
  /** The operation's retain flag. */
  readonly retain?: boolean | undefined;
  /** MQTT 5 message expiry interval (s) at enqueue time; the flush sends what is left of it. */
  readonly messageExpiryS?: number | undefined;
}

/** A stored entry; `seq` orders the queue and is what `ack` takes. */
export interface QueueEntry extends QueueEntryInput {
  readonly seq: number;
  readonly enqueuedAt: number;
}

export interface PersistentQueueOptions {
  /** Cap and overflow behaviour (built from the spec by generated code). */
  readonly policy: LocalQueuePolicy;
  /** Event bus for `queueDropped`. */
  readonly events?: ClientEvents;
  /** Clock for `enqueuedAt` (ms since epoch). */
  readonly clock?: () => number;
}

/*
 * better-sqlite3 ships no types and @types/better-sqlite3 is not a dependency; a global
 * `declare module` could clash with other packages of this repo, so the few calls used here
 * are typed locally and the module is loaded through createRequire (it is CommonJS anyway).
 */
interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  pluck(): Statement;
}
interface Transaction<T> {
  (): T;
  immediate(): T;
}
interface SqliteDatabase {
  readonly open: boolean;
  pragma(source: string): unknown;
  exec(source: string): void;
  prepare(source: string): Statement;
  transaction<T>(fn: () => T): Transaction<T>;
  close(): void;
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (
  path: string,
) => SqliteDatabase;

interface Row {
  seq: number;
  message_id: string;
  topic: string;
  payload: Buffer;
  qos: number;
  alias: number | null;
  enqueued_at: number;
  retain: number | null;
  expiry_s: number | null;
}

/**
 * An on-disk FIFO queue standing in for the vehicle's flash.
 *
 * Why SQLite (better-sqlite3) rather than a hand-written journal: each enqueue/ack is one
 * transaction, so a crash or power cut leaves either the old or the new state, never a torn
 * record. WAL mode makes the common case (append, delete a prefix) a sequential write, and
 * `synchronous = FULL` fsyncs the WAL on every commit, so an entry that `enqueue` returned
 * survives a power loss. The API is synchronous, which keeps ordering trivial in the session:
 * nothing can interleave between "queue is empty" and "go live".
 *
 * Delivery uses peek/ack: a flush reads entries without removing them and acks each one only
 * after its PUBACK, so a flush that dies midway loses nothing (it may resend, which QoS 1 and
 * cloud-side dedup by message id allow).
 *
 * The session also writes ahead on a live connection: every kept publish is appended to the
 * in-flight journal (`appendInflight`, a file next to this one, see `InflightJournal`) before
 * it is sent, and acknowledged there after its PUBACK; `requeue` moves an entry whose
 * connection died into the queue (fsynced). Opening the queue takes over whatever a killed
 * process left in the journal, so a process killed with messages in flight finds them here.
 */
export class PersistentQueue {
  private readonly db: SqliteDatabase;
  private readonly policy: LocalQueuePolicy;
  private readonly events: ClientEvents | undefined;
  private readonly clock: () => number;
  /** Entries stored (kept in memory: COUNT(*) per commit costs a scan). */
  private count: number;
  private readonly journal: InflightJournal;
  private readonly stmts: {
    insert: Statement;
    count: Statement;
    oldest: Statement;
    deleteSeq: Statement;
    peek: Statement;
    getDropped: Statement;
    addDropped: Statement;
  };

  private constructor(
    readonly path: string,
    options: PersistentQueueOptions,
  ) {
    if (!Number.isInteger(options.policy.maxMessages) || options.policy.maxMessages < 1) {
      throw new RangeError(
        `queue maxMessages must be a positive integer, got ${options.policy.maxMessages}`,
      );
    }
    this.policy = options.policy;
    this.events = options.events;
    this.clock = options.clock ?? Date.now;
    this.db = new Database(path);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS queue (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload BLOB NOT NULL,
        qos INTEGER NOT NULL,
        alias INTEGER,
        enqueued_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('dropped', 0);
    `);
    // Files written before retain/expiry were stored get the columns (NULL: not retained, no expiry).
    const columns = (this.db.prepare("PRAGMA table_info(queue)").all() as { name: string }[]).map(
      (c) => c.name,
    );
    if (!columns.includes("retain")) this.db.exec("ALTER TABLE queue ADD COLUMN retain INTEGER");
    if (!columns.includes("expiry_s"))
      this.db.exec("ALTER TABLE queue ADD COLUMN expiry_s INTEGER");
    this.stmts = {
      insert: this.db.prepare(
        "INSERT INTO queue (message_id, topic, payload, qos, alias, enqueued_at, retain, expiry_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      count: this.db.prepare("SELECT COUNT(*) AS n FROM queue").pluck(),
      oldest: this.db.prepare("SELECT * FROM queue ORDER BY seq ASC LIMIT ?"),
      deleteSeq: this.db.prepare("DELETE FROM queue WHERE seq = ?"),
      peek: this.db.prepare("SELECT * FROM queue ORDER BY seq ASC LIMIT ?"),
      getDropped: this.db.prepare("SELECT value FROM meta WHERE key = 'dropped'").pluck(),
      addDropped: this.db.prepare("UPDATE meta SET value = value + ? WHERE key = 'dropped'"),
    };
    this.count = this.stmts.count.get() as number;
    // Messages a killed process had in flight come back into the queue, in order, fsynced.
    const memory = path === "" || path === ":memory:";
    this.journal = InflightJournal.open(memory ? undefined : `${path}-inflight`, (left) =>
      this.insert(left),
    );
  }

  /** Opens (or creates) the queue file at `path`; entries of a previous process are kept. */
  static open(path: string, options: PersistentQueueOptions): PersistentQueue {
    return new PersistentQueue(path, options);
  }

  /**
   * Appends an entry; if that puts the queue over its cap, the oldest entries are dropped in
   * the same transaction, counted, and reported through `queueDropped`.
   */
  enqueue(input: QueueEntryInput): QueueEntry {
    return this.enqueueMany([input])[0] as QueueEntry;
  }

  /**
   * Appends several entries in one transaction (one fsync: the write-ahead group commit), in
   * order; overflow beyond the cap drops the oldest entries in the same transaction.
   */
  enqueueMany(inputs: readonly QueueEntryInput[]): QueueEntry[] {
    if (inputs.length === 0) return [];
    const enqueuedAt = this.clock();
    return this.insert(inputs.map((input) => ({ ...input, enqueuedAt })));
  }

  /**
   * Appends in-flight messages to the journal (one write, no fsync: safe against a crash of
   * the process, which is what a message not yet acknowledged to anyone needs). Returns their
   * journal ids, for `ackInflight` / `requeue`.
   */
  appendInflight(inputs: readonly QueueEntryInput[]): number[] {
    return this.journal.append(inputs, this.clock());
  }

  /** The broker has an in-flight message (or refused it for good): out of the journal. */
  ackInflight(id: number): void {
    this.journal.ack(id);
  }

  /** Writes the journal's pending acks (they otherwise go with the next append). */
  flushInflight(): void {
    this.journal.flush();
  }

  /**
   * Moves in-flight messages whose connection died into the queue, in order, keeping their
   * enqueue time: one fsynced transaction, then their journal acks (a crash in between only
   * duplicates them).
   */
  requeue(ids: readonly number[]): void {
    const entries = ids
      .map((id) => this.journal.get(id))
      .filter((e): e is InflightEntry => e !== undefined);
    if (entries.length > 0) this.insert(entries);
    for (const e of entries) this.journal.ack(e.id);
    this.journal.flush();
  }

  /** One fsynced transaction appending `inputs` (with their enqueue times); overflow drops the oldest. */
  private insert(inputs: readonly (QueueEntryInput & { enqueuedAt: number })[]): QueueEntry[] {
    const run = this.db.transaction(() => {
      const seqs: number[] = [];
      for (const input of inputs) {
        const info = this.stmts.insert.run(
          input.messageId,
          input.topic,
          Buffer.from(input.payload.buffer, input.payload.byteOffset, input.payload.byteLength),
          input.qos,
          input.alias ?? null,
          input.enqueuedAt,
          input.retain ? 1 : null,
          input.messageExpiryS ?? null,
        );
        seqs.push(Number(info.lastInsertRowid));
      }
      let count = this.count + inputs.length;
      const excess = count - this.policy.maxMessages;
      let dropped: Row[] = [];
      if (excess > 0) {
        dropped = this.stmts.oldest.all(excess) as Row[];
        for (const row of dropped) count -= this.stmts.deleteSeq.run(row.seq).changes;
        this.stmts.addDropped.run(dropped.length);
      }
      return { seqs, dropped, count };
    });
    const { seqs, dropped, count } = run.immediate();
    this.count = count;
    if (dropped.length > 0) {
      const total = this.dropped;
      for (const row of dropped) {
        this.events?.emit("queueDropped", {
          messageId: row.message_id,
          topic: row.topic,
          enqueuedAt: row.enqueued_at,
          droppedTotal: total,
        });
      }
    }
    return inputs.map((input, i) => ({ ...input, seq: seqs[i] as number }));
  }

  /** The oldest `limit` entries, without removing them. */
  peek(limit: number): QueueEntry[] {
    return (this.stmts.peek.all(limit) as Row[]).map(toEntry);
  }

  /** Removes delivered entries by `seq` (unknown seqs, e.g. already dropped, are ignored). */
  ack(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    // A delete that a power cut rolls back only means one resend (QoS 1 + cloud dedup allow
    // it), so acks skip the fsync that every enqueue pays: half the write-ahead cost.
    this.db.pragma("synchronous = NORMAL");
    try {
      this.db.transaction(() => {
        for (const seq of seqs) this.count -= this.stmts.deleteSeq.run(seq).changes;
      })();
    } finally {
      this.db.pragma("synchronous = FULL");
    }
  }

  /** Number of stored entries: queued, and in flight on a live connection (journal). */
  size(): number {
    return (this.stmts.count.get() as number) + this.journal.size;
  }

  /** Entries dropped by overflow since the file was created (persisted across restarts). */
  get dropped(): number {
    return this.stmts.getDropped.get() as number;
  }

  /** The queue's clock (what `enqueuedAt` is measured with). */
  now(): number {
    return this.clock();
  }

  /** The cap this queue enforces. */
  get capacity(): number {
    return this.policy.maxMessages;
  }

  /** Closes the file (checkpointing the WAL). */
  close(): void {
    if (!this.db.open) return;
    this.journal.close();
    this.db.close();
  }
}

function toEntry(row: Row): QueueEntry {
  return {
    seq: row.seq,
    messageId: row.message_id,
    topic: row.topic,
    payload: new Uint8Array(row.payload),
    qos: row.qos === 0 || row.qos === 2 ? row.qos : 1,
    alias: row.alias ?? undefined,
    enqueuedAt: row.enqueued_at,
    ...(row.retain ? { retain: true } : {}),
    ...(row.expiry_s !== null ? { messageExpiryS: row.expiry_s } : {}),
  };
}

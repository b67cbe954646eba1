import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { FsDeadLetterQueue } from "../cloud/fs-dlq.js";
import { MemoryMetricsSink } from "../cloud/memory-metrics.js";
import { openSqlite, SqliteUnitOfWork, type SqliteDatabase } from "../cloud/sqlite.js";
import { SqliteDedupStore } from "../cloud/sqlite-dedup-store.js";
import { SqliteRecordStore } from "../cloud/sqlite-record-store.js";
import { SqliteTimeSeriesSink } from "../cloud/sqlite-time-series-sink.js";
import type { DownstreamPolicy } from "./policy.js";
import type { AtomicUnit, DownstreamPort, HandlerLogger, HandlerPorts } from "./ports.js";

/** Options of `createLocalPorts`. */
export interface LocalPortsOptions {
  /** Directory holding `handlers.sqlite` and the `dlq/` tree. */
  readonly directory: string;
  /** Every declared downstream; each gets its own table(s) in the one SQLite file. */
  readonly downstream: DownstreamPolicy;
  /** Time-series memory retention (the spec's), so out-of-window rejects reproduce locally. */
  readonly memoryRetentionMs: number;
  /** How long a unit of work waits (asynchronously) for another process's lock; default 2 s. */
  readonly lockWaitMs?: number;
  readonly now?: () => number;
  readonly logger?: HandlerLogger;
  /**
   * The unit of work to use instead of one BEGIN IMMEDIATE transaction per invocation (e.g. a
   * savepoint inside a runner's micro-batch transaction).
   */
  readonly atomic?: AtomicUnit;
}

/** Local ports plus what a caller needs to inspect and close them. */
export interface LocalPorts extends HandlerPorts {
  readonly metrics: MemoryMetricsSink;
  readonly db: SqliteDatabase;
  close(): void;
}

/** The SQLite table of a downstream participant: `records_<id>` or `series_<id>`. */
export function localTableName(kind: "key-value-store" | "time-series-store", id: string): string {
  return `${kind === "key-value-store" ? "records" : "series"}_${id.replace(/[^A-Za-z0-9]+/g, "_")}`;
}

/**
 * The local adapters behind the same ports: one SQLite file (a records table per
 * key-value-store participant, a series table per time-series-store participant, the dedup
 * ledger), a filesystem DLQ with the S3 key layout, in-memory metrics with percentiles.
 * Claim + writes + completion of an invocation run as one transaction (`atomic`).
 */
export function createLocalPorts(options: LocalPortsOptions): LocalPorts {
  mkdirSync(options.directory, { recursive: true });
  // 16 KiB pages: a row keyed by a random id dirties one page per commit whatever its size,
  // and a WAL frame costs about the same at 4 or 16 KiB — bigger pages, fewer distinct pages
  // per micro-batch (measured: commit + checkpoint ~30 -> ~19 µs per message).
  const db = openSqlite(join(options.directory, "handlers.sqlite"), { pageSize: 16_384 });
  // WAL + synchronous=NORMAL: no fsync per commit (durable across a process crash, not a
  // power cut) — a local stand-in for the cloud stores, measured at ~10x the throughput.
  db.pragma("synchronous = NORMAL");
  // The hot B-trees (dedup ledger and record keys are random ids) stay in memory: with the
  // default 2 MB cache a micro-batch's dirty pages spilled to the WAL before its commit.
  db.pragma("cache_size = -65536");
  const downstreams: Record<string, DownstreamPort> = {};
  for (const [id, spec] of Object.entries(options.downstream.downstreams)) {
    downstreams[id] =
      spec.kind === "key-value-store"
        ? {
            kind: "key-value-store",
            store: new SqliteRecordStore({ db, table: localTableName(spec.kind, id) }),
          }
        : {
            kind: "time-series-store",
            sink: new SqliteTimeSeriesSink({
              db,
              table: localTableName(spec.kind, id),
              memoryRetentionMs: options.memoryRetentionMs,
              ...(options.now ? { now: options.now } : {}),
            }),
          };
  }
  const unit = new SqliteUnitOfWork({
    db,
    ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
  });
  return {
    dedup: new SqliteDedupStore({ db }),
    downstreams,
    dlq: new FsDeadLetterQueue({ root: options.directory }),
    metrics: new MemoryMetricsSink(),
    atomic: options.atomic ?? ((work) => unit.run(work)),
    db,
    ...(options.now ? { now: options.now } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    close: () => void db.close(),
  };
}

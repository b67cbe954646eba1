import type { FailedInvocationQueue } from "../cloud/failed-invocations.js";
import type {
  DeadLetterQueue,
  DedupStore,
  MetricsSink,
  RecordStore,
  TimeSeriesSink,
} from "../cloud/ports.js";

/** Structured logging as the handlers use it (Powertools Logger fits it). */
export interface HandlerLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  /** Adds the invocation context (request id, function name) to later entries (Powertools). */
  addContext?(context: object): void;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: HandlerLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** The adapter of one declared downstream, by its component kind. */
export type DownstreamPort =
  | { readonly kind: "key-value-store"; readonly store: RecordStore }
  | { readonly kind: "time-series-store"; readonly sink: TimeSeriesSink };

/**
 * Runs `work` as one unit: either everything it wrote is kept or nothing is (a crash inside
 * leaves no trace). The local adapters provide it (one SQLite transaction); AWS has none, and
 * the claim lease + completion mark protect the same invariant there.
 */
export type AtomicUnit = <T>(work: () => Promise<T>) => Promise<T>;

/**
 * The ports a handler runs on. AWS (DynamoDB, Timestream, S3, EMF) and local (SQLite,
 * filesystem, memory) adapters both fit; the pipeline never knows which.
 */
export interface HandlerPorts {
  /** The dedup ledger on the `x-handler.dedup` participant (required when a handler dedups). */
  readonly dedup?: DedupStore;
  /** One adapter per declared downstream participant id. */
  readonly downstreams: Readonly<Record<string, DownstreamPort>>;
  readonly dlq: DeadLetterQueue;
  readonly metrics: MetricsSink;
  readonly logger?: HandlerLogger;
  /** Cloud clock (epoch ms); default `Date.now`. */
  readonly now?: () => number;
  /**
   * Claim + writes + completion as one unit (local adapters). Read on every invocation, so a
   * runner that batches invocations into one transaction may swap it (e.g. for savepoints).
   */
  atomic?: AtomicUnit;
  /** On-failure queues of the asynchronously invoked functions (the DLQ replay drains them). */
  readonly failedInvocations?: readonly FailedInvocationQueue[];
}

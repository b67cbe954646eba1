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
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: HandlerLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * The ports a handler runs on. AWS (DynamoDB, Timestream, S3, EMF) and local (SQLite,
 * filesystem, memory) adapters both fit; the pipeline never knows which.
 */
export interface HandlerPorts {
  readonly dedup: DedupStore;
  readonly records: RecordStore;
  readonly timeSeries: TimeSeriesSink;
  readonly dlq: DeadLetterQueue;
  readonly metrics: MetricsSink;
  readonly logger?: HandlerLogger;
  /** Cloud clock (epoch ms); default `Date.now`. */
  readonly now?: () => number;
}

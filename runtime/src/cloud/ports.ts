/**
 * Ports: the interfaces the generated Lambda handlers use without knowing which adapter
 * (AWS or local) sits behind them. Adapters live in the sibling files; every adapter of a
 * port must behave the same way for the behaviours documented here.
 */

/** Outcome of a dedup claim. */
export type ClaimResult = "new" | "duplicate";

/**
 * Remembers message ids seen inside a rolling window (FM-10).
 *
 * The window is a parameter of each call (it comes from the spec), not of the store.
 */
export interface DedupStore {
  /**
   * Claims `messageId` at `nowMs`. Returns "new" when no claim exists or the existing claim is
   * older than `windowMs` (it is then taken over), "duplicate" otherwise.
   */
  claim(messageId: string, nowMs: number, windowMs: number): Promise<ClaimResult>;
  /**
   * Drops a claim. A handler calls this when processing of a claimed message failed, so the
   * redelivery (IoT async retry, DLQ replay) is not discarded as a duplicate.
   */
  release(messageId: string): Promise<void>;
}

/** One record to store, keyed by the message id. `data` must be JSON-compatible. */
export interface StoredRecord {
  readonly id: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** A record that could not be written, and why. */
export interface UnprocessedRecord {
  readonly record: StoredRecord;
  readonly reason: string;
}

/** Result of a batch write: what was written and what could not be, after retries. */
export interface BatchPutResult {
  readonly written: number;
  readonly unprocessed: readonly UnprocessedRecord[];
}

/**
 * Stores telemetry records idempotently by message id: writing the same id twice overwrites
 * with the same content (a replay outside the dedup window must not create a second row).
 */
export interface RecordStore {
  /** Writes one record (overwrite by id). Throws a DownstreamError when it cannot. */
  put(record: StoredRecord): Promise<void>;
  /** Writes many records; returns the ones still unwritten after the retry policy (FM-12). */
  batchPut(records: readonly StoredRecord[]): Promise<BatchPutResult>;
  /** Reads one record back (for tests, replay checks and the local pipeline). */
  get(id: string): Promise<StoredRecord | undefined>;
}

/** One time-series point: dimensions + measure name + time identify it, measures are values. */
export interface TimeSeriesRecord {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly measureName: string;
  readonly timeMs: number;
  readonly measures: Readonly<Record<string, number | string | boolean>>;
}

/** Why a time-series store refused a record. */
export type TimeSeriesRejectCode =
  "outside-retention-window" | "conflicting-version" | "invalid-record" | "unknown";

/** One refused record: `index` points into the array given to `write`. */
export interface TimeSeriesRejection {
  readonly index: number;
  readonly code: TimeSeriesRejectCode;
  readonly reason: string;
}

/** Result of a time-series write: records not listed in `rejected` were stored. */
export interface TimeSeriesWriteResult {
  readonly rejected: readonly TimeSeriesRejection[];
}

/**
 * A time-series store (Timestream for LiveAnalytics in AWS, SQLite locally).
 * Per-record rejections (FM-15) are returned; an unavailable store (FM-19) throws.
 */
export interface TimeSeriesSink {
  write(records: readonly TimeSeriesRecord[]): Promise<TimeSeriesWriteResult>;
}

/** What a dead-letter entry holds: enough to understand the failure and to replay it. */
export interface DeadLetterEntry {
  /** Machine-readable reason, e.g. "FM-11" or "decompression-failed". */
  readonly reasonCode: string;
  /** Error class / category; the first key segment, so operators can list by type. */
  readonly errorType: string;
  /** Human-readable detail (error message). */
  readonly detail: string;
  readonly vehicleId: string;
  readonly topic: string;
  /** ISO 8601 UTC time the cloud received the message; the key's date comes from it. */
  readonly receivedAt: string;
  /** The payload exactly as received (still compressed for batches), base64. */
  readonly payloadBase64: string;
  readonly messageId?: string;
  readonly batchId?: string;
  /** How many times processing was attempted before dead-lettering (1 = first try). */
  readonly attempt: number;
}

/** A dead-letter queue keyed by `dlqKey(entry)`. */
export interface DeadLetterQueue {
  /** Stores the entry (overwriting an entry with the same key) and returns its key. */
  put(entry: DeadLetterEntry): Promise<string>;
  /** All keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  get(key: string): Promise<DeadLetterEntry | undefined>;
  delete(key: string): Promise<void>;
}

/** Metric dimensions (CloudWatch: at most 30 per metric). */
export type MetricDimensions = Readonly<Record<string, string>>;

/** Units a metric can carry (a subset of CloudWatch's). */
export type MetricUnitName = "Count" | "Milliseconds" | "Seconds" | "Bytes" | "Percent" | "None";

/**
 * Where handlers send metrics. Values are recorded raw (never averaged) so percentiles
 * (P50/P99/P99.9) can be computed downstream.
 */
export interface MetricsSink {
  /** Adds `value` (default 1) to a counter. */
  count(name: string, value?: number, dimensions?: MetricDimensions): void;
  /** Records one raw observation. */
  observe(name: string, value: number, unit: MetricUnitName, dimensions?: MetricDimensions): void;
  /** Records one duration in milliseconds. */
  timing(name: string, ms: number, dimensions?: MetricDimensions): void;
  /** Emits everything buffered (end of invocation). */
  flush(): Promise<void>;
}

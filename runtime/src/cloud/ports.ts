/**
 * Ports: the interfaces the generated Lambda handlers use without knowing which adapter
 * (AWS or local) sits behind them. Adapters live in the sibling files; every adapter of a
 * port must behave the same way for the behaviours documented here.
 */

/**
 * Identifies one message for dedup and storage: the vehicle id the topic (and the certificate
 * behind it) proves, plus the message id the vehicle chose. Two vehicles may reuse a message
 * id without touching each other's claims or records.
 */
export interface MessageKey {
  readonly vehicleId: string;
  readonly messageId: string;
}

/**
 * The single string form of a key, used as the partition key of claims and records:
 * `{vehicleId}/{messageId}`. Unambiguous because a topic segment (the vehicle id) never holds "/".
 */
export function messageKeyId(key: MessageKey): string {
  return `${key.vehicleId}/${key.messageId}`;
}

/**
 * Outcome of a dedup claim:
 * - `claimed`: this invocation owns the message; `done` lists the sinks (downstream ids) that
 *   already hold it from an earlier, partly failed attempt — only the others are written.
 * - `duplicate`: the message was completely stored inside the dedup window.
 * - `in-progress`: another invocation claimed it less than a function timeout ago and has not
 *   finished; the caller must not drop it (fail the invocation so it is redelivered).
 */
export type ClaimResult =
  | { readonly status: "claimed"; readonly done: readonly string[] }
  | { readonly status: "duplicate" }
  | { readonly status: "in-progress" };

/** Options of `DedupStore.claim`, from the spec. */
export interface ClaimOptions {
  /** The dedup window: a completed message is a duplicate until `completedAt + windowMs`. */
  readonly windowMs: number;
  /** The function timeout: an in-progress claim older than this is taken over. */
  readonly leaseMs: number;
}

/**
 * The dedup ledger (the effectively-once protocol). A claim is *in progress* until
 * `complete` marks it done after every write succeeded; only a done claim makes a redelivery a
 * duplicate. A claim whose writes failed is released with the sinks that did succeed, so the
 * redelivery or DLQ replay writes only the rest. An in-progress claim older than `leaseMs`
 * (its invocation crashed or was killed) is taken over.
 */
export interface DedupStore {
  claim(key: MessageKey, nowMs: number, options: ClaimOptions): Promise<ClaimResult>;
  /** Marks the message done: a duplicate until `nowMs + windowMs`. */
  complete(key: MessageKey, nowMs: number, windowMs: number): Promise<void>;
  /**
   * Gives the claim up after a failure, remembering the sinks that hold the message (empty:
   * the claim is simply dropped).
   */
  release(key: MessageKey, done: readonly string[]): Promise<void>;
}

/** One record to store, keyed by `messageKeyId(key)`. `data` must be JSON-compatible. */
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
 * Stores records idempotently by key: writing the same key twice overwrites with the same
 * content (a replay outside the dedup window must not create a second row).
 */
export interface RecordStore {
  /** Writes one record (overwrite by id). Throws a DownstreamError when it cannot. */
  put(record: StoredRecord): Promise<void>;
  /** Writes many records; returns the ones still unwritten after the retry policy. */
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
 * Per-record rejections are returned; an unavailable store throws.
 */
export interface TimeSeriesSink {
  write(records: readonly TimeSeriesRecord[]): Promise<TimeSeriesWriteResult>;
}

/** What a DLQ entry holds: one record, or a whole batch (re-driven as a batch on replay). */
export type DeadLetterType = "record" | "batch";

/** What a dead-letter entry holds: enough to understand the failure and to replay it. */
export interface DeadLetterEntry {
  /** `record` (payload = one encoded message) or `batch` (payload = the batch as received). */
  readonly type: DeadLetterType;
  /** The operation (handler route) that replays it; absent on entries from older runtimes. */
  readonly operation?: string;
  /** Machine-readable reason (the DLQ reason code from the FMEA, or a runtime default). */
  readonly reasonCode: string;
  /** The first key segment, so operators can list by type; equals `reasonCode` for handlers. */
  readonly errorType: string;
  /** Human-readable detail (error message). */
  readonly detail: string;
  /** The vocabulary signal that was raised, and the downstream it came from (if any). */
  readonly signal?: string;
  readonly downstream?: string;
  /**
   * Sinks (downstream ids) that do not hold the message yet; a replay writes only these.
   * Absent: all of them.
   */
  readonly pendingSinks?: readonly string[];
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

/**
 * A dead-letter queue. `put` never overwrites: every entry gets a key of its own (two batches
 * reusing an id, or a message dead-lettered twice, keep both entries).
 */
export interface DeadLetterQueue {
  /** Stores the entry under a new key and returns that key. */
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

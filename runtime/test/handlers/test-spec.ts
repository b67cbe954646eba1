/**
 * A small spec of our own for the handler runtime's tests, independent of the seed and of the
 * generated packages: a `Reading` record and a `ReadingBatch` envelope written with the
 * protobuf wire format by hand (ts-proto-like decoding: an enum number outside the enum is
 * kept as a number and written as "UNRECOGNIZED" by `toJSON`), two downstreams named `kv`
 * (key-value-store) and `series` (time-series-store), operations `sendReading`/`sendBatch`.
 */
import { crc32 } from "node:zlib";
import { compress } from "@mongodb-js/zstd";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { ConstraintChecker } from "../../src/constraints.js";
import type { BatchCodec, RecordCodec } from "../../src/handlers/codec.js";
import { EnumCheck, toTimeSeriesRecord } from "../../src/handlers/codec.js";
import type { RuleEvent } from "../../src/handlers/event.js";
import type { HandlerMetricNames } from "../../src/handlers/metric-roles.js";
import type {
  BatchHandlerPolicy,
  DownstreamPolicy,
  HandlerPolicy,
} from "../../src/handlers/policy.js";
import type { ReasonTable } from "../../src/handlers/reasons.js";
import type { ReplayRoutes } from "../../src/handlers/replay.js";

/** The record message. */
export interface Reading {
  messageId: string;
  vehicleId: string;
  timeMs: number;
  schemaVersion: number;
  value: number;
  /** Enum: 0 OFF, 1 ON, 2 STANDBY. */
  mode: number;
}

/** The batch envelope. */
export interface ReadingBatch {
  batchId: string;
  vehicleId: string;
  schemaVersion: number;
  records: Uint8Array[];
  crc: number;
}

const MODES = ["OFF", "ON", "STANDBY"];

/** Encodes a Reading. */
export function encodeReading(r: Partial<Reading>): Uint8Array {
  const w = new BinaryWriter();
  if (r.messageId) w.uint32(10).string(r.messageId);
  if (r.vehicleId) w.uint32(18).string(r.vehicleId);
  if (r.timeMs) w.uint32(24).uint64(r.timeMs);
  if (r.schemaVersion) w.uint32(32).uint32(r.schemaVersion);
  if (r.value) w.uint32(41).double(r.value);
  if (r.mode) w.uint32(48).int32(r.mode);
  return w.finish();
}

/** Decodes a Reading (throws on malformed wire data, like a generated decoder). */
export function decodeReading(bytes: Uint8Array): Reading {
  const r = new BinaryReader(bytes);
  const m: Reading = {
    messageId: "",
    vehicleId: "",
    timeMs: 0,
    schemaVersion: 0,
    value: 0,
    mode: 0,
  };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) m.messageId = r.string();
    else if (field === 2 && wire === 2) m.vehicleId = r.string();
    else if (field === 3 && wire === 0) m.timeMs = Number(r.uint64());
    else if (field === 4 && wire === 0) m.schemaVersion = r.uint32();
    else if (field === 5 && wire === 1) m.value = r.double();
    else if (field === 6 && wire === 0) m.mode = r.int32();
    else r.skip(wire);
  }
  return m;
}

/** Encodes a batch envelope. */
export function encodeBatch(b: ReadingBatch): Uint8Array {
  const w = new BinaryWriter();
  if (b.batchId) w.uint32(10).string(b.batchId);
  if (b.vehicleId) w.uint32(18).string(b.vehicleId);
  if (b.schemaVersion) w.uint32(24).uint32(b.schemaVersion);
  for (const rec of b.records) w.uint32(34).bytes(rec);
  w.uint32(45).fixed32(b.crc);
  return w.finish();
}

/** Decodes a batch envelope. */
export function decodeBatch(bytes: Uint8Array): ReadingBatch {
  const r = new BinaryReader(bytes);
  const b: ReadingBatch = { batchId: "", vehicleId: "", schemaVersion: 0, records: [], crc: 0 };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === 2) b.batchId = r.string();
    else if (field === 2 && wire === 2) b.vehicleId = r.string();
    else if (field === 3 && wire === 0) b.schemaVersion = r.uint32();
    else if (field === 4 && wire === 2) b.records.push(r.bytes());
    else if (field === 5 && wire === 5) b.crc = r.fixed32();
    else r.skip(wire);
  }
  return b;
}

/** The JSON mapping (ts-proto style: unknown enum numbers become "UNRECOGNIZED"). */
export function readingToJson(m: Reading): Record<string, unknown> {
  return {
    messageId: m.messageId,
    vehicleId: m.vehicleId,
    timeMs: m.timeMs,
    schemaVersion: m.schemaVersion,
    value: m.value,
    mode: MODES[m.mode] ?? "UNRECOGNIZED",
  };
}

const readingChecker = new ConstraintChecker({
  message: "test.v1.Reading",
  schemaVersion: 1,
  minSupportedSchemaVersion: 1,
  fields: [
    {
      path: "value",
      protoPath: "value",
      kind: "number",
      repeated: false,
      required: false,
      min: -1000,
      max: 1000,
    },
  ],
});

const batchChecker = new ConstraintChecker({
  message: "test.v1.ReadingBatch",
  schemaVersion: 1,
  minSupportedSchemaVersion: 1,
  fields: [
    {
      path: "records",
      protoPath: "records",
      kind: "bytes",
      repeated: true,
      required: false,
      maxItems: 50,
    },
  ],
});

/** The record codec of the test spec. */
export const readingCodec: RecordCodec<Reading> = {
  message: "test.v1.Reading",
  decode: decodeReading,
  checker: readingChecker,
  messageId: (r) => r.messageId,
  vehicleId: (r) => r.vehicleId,
  timestampMs: (r) => r.timeMs,
  schemaVersion: (r) => r.schemaVersion,
  // As a generator would list it from the proto: `mode` holds a `Mode` (0 OFF, 1 ON, 2 STANDBY).
  enums: new EnumCheck("test.v1.Reading", {
    "test.v1.Reading": [{ key: "mode", values: [0, 1, 2] }],
  }),
  toStored: readingToJson,
  toTimeSeries: (r) =>
    toTimeSeriesRecord(readingToJson(r), {
      measureName: "reading",
      dimensions: { vehicle: r.vehicleId },
      timeMs: r.timeMs,
      exclude: ["timeMs"],
    }),
};

/** The batch codec of the test spec. */
export const batchCodec: BatchCodec<ReadingBatch> = {
  message: "test.v1.ReadingBatch",
  decode: decodeBatch,
  checker: batchChecker,
  batchId: (b) => b.batchId,
  vehicleId: (b) => b.vehicleId,
  schemaVersion: (b) => b.schemaVersion,
  records: (b) => b.records,
  checksum: (b) => b.crc,
};

/** Downstream participant ids of the test spec. */
export const KV = "kv";
export const SERIES = "series";

/** Vehicle ids and topics. */
export const CAR_A = "car-a";
export const CAR_B = "car-b";
export const recordTopic = (vehicle: string) => `fleet/${vehicle}/reading`;
export const batchTopic = (vehicle: string) => `fleet/${vehicle}/batch`;
export const parseRecordTopic = (topic: string) => /^fleet\/([^/]+)\/reading$/.exec(topic)?.[1];
export const parseBatchTopic = (topic: string) => /^fleet\/([^/]+)\/batch$/.exec(topic)?.[1];

/** The cloud clock the tests start at. */
export const T0 = Date.UTC(2026, 0, 15, 12);

export const downstreamPolicy: DownstreamPolicy = {
  retry: { attempts: 2, delaysMs: [100, 200], jitter: "full" },
  downstreams: {
    [KV]: {
      kind: "key-value-store",
      breaker: {
        openAfterFailures: 5,
        windowMs: 60_000,
        halfOpenAfterMs: 30_000,
        halfOpenTraffic: 0.1,
      },
    },
    [SERIES]: {
      kind: "time-series-store",
      breaker: {
        openAfterFailures: 5,
        windowMs: 60_000,
        halfOpenAfterMs: 30_000,
        halfOpenTraffic: 0.1,
      },
    },
  },
};

/** Reasons as a generator would build them from an FMEA (one per (component, signal)). */
export const reasons: ReasonTable = {
  "decode-error": { code: "BAD_PAYLOAD", failureMode: "T-1" },
  "kv:throttled": { code: "KV_BUSY", failureMode: "T-2" },
  "series:rejected": { code: "SERIES_REFUSED", failureMode: "T-3" },
  "series:unavailable": { code: "SERIES_DOWN", failureMode: "T-4" },
  "checksum-mismatch": { code: "BAD_CRC", failureMode: "T-5" },
};

export const metrics: HandlerMetricNames = {
  "messages-received": "received",
  "messages-processed": "processed",
  "messages-failed": "failed",
  duplicates: "dupes",
  rejected: "rejects",
  "dlq-count": "dlq",
  "records-written": "written",
  "downstream-errors": "downErrors",
  "partial-writes": "partial",
  "circuit-open": "circuit",
  "replay-progress": "replayed",
};

/** Packet limit of the test spec (small, so size tests stay small). */
export const MAX_PACKET = 4096;

export const recordPolicy: HandlerPolicy = {
  operation: "sendReading",
  handlerName: "reading-handler",
  writes: [KV, SERIES],
  dedup: { downstream: KV, windowMs: 300_000 },
  timeoutMs: 10_000,
  deadlineSafetyMarginMs: 500,
  maxPayloadBytes: MAX_PACKET,
  maxClockSkewMs: 60_000,
  maxAgeMs: 7 * 86_400_000,
  reasons,
  metrics,
};

export const batchPolicy: BatchHandlerPolicy = {
  ...recordPolicy,
  operation: "sendBatch",
  handlerName: "batch-handler",
  maxCompressedBytes: MAX_PACKET,
  maxDecompressedBytes: 512 * 1024,
};

export const replayRoutes: ReplayRoutes = {
  routes: {
    sendReading: {
      kind: "record",
      policy: recordPolicy,
      codec: readingCodec as RecordCodec<unknown>,
      parseVehicleId: parseRecordTopic,
    },
    sendBatch: {
      kind: "batch",
      policy: batchPolicy,
      codec: batchCodec as BatchCodec<unknown>,
      recordCodec: readingCodec as RecordCodec<unknown>,
      parseVehicleId: parseBatchTopic,
    },
  },
  metrics,
  deadlineSafetyMarginMs: 500,
};

let seq = 0;
/** A fresh message id. */
export function nextId(prefix = "m"): string {
  seq++;
  return `${prefix}-${process.pid}-${seq}`;
}

/** A valid reading of `vehicle` at T0 - 60 s. */
export function reading(overrides: Partial<Reading> = {}): Reading {
  const messageId = nextId();
  return {
    messageId,
    vehicleId: CAR_A,
    // Distinct times: a time-series point is identified by vehicle + time.
    timeMs: T0 - 60_000 + (seq % 50_000),
    schemaVersion: 1,
    value: 42.5,
    mode: 1,
    ...overrides,
  };
}

/** The CRC-32 the envelope carries over `records`. */
export function recordsCrc(records: readonly Uint8Array[]): number {
  let crc = 0;
  for (const r of records) crc = crc32(r, crc);
  return crc >>> 0;
}

/** A zstd batch of `records` for `vehicle` (`crcDelta` corrupts the checksum). */
export async function zstdBatch(
  records: readonly Uint8Array[],
  options: { vehicle?: string; batchId?: string; crcDelta?: number } = {},
): Promise<Uint8Array> {
  const envelope = encodeBatch({
    batchId: options.batchId ?? nextId("b"),
    vehicleId: options.vehicle ?? CAR_A,
    schemaVersion: 1,
    records: [...records],
    crc: (recordsCrc(records) ^ (options.crcDelta ?? 0)) >>> 0,
  });
  return compress(Buffer.from(envelope), 3);
}

/** The rule event of `payload` on `topic`. */
export function ruleEvent(topic: string, payload: Uint8Array | string, receivedAt = T0): RuleEvent {
  return {
    payload: typeof payload === "string" ? payload : Buffer.from(payload).toString("base64"),
    topic,
    clientId: parseRecordTopic(topic) ?? parseBatchTopic(topic) ?? "",
    receivedAt,
  };
}

/**
 * Builders for handler tests: valid telemetry, zstd batches, IoT rule events, and the handler
 * wiring on AWS adapters (dynalite, s3rver, mocked Timestream) with a recording sleep.
 */
import { crc32 } from "node:zlib";
import { compress } from "@mongodb-js/zstd";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";
import type { S3Client } from "@aws-sdk/client-s3";
import { TelemetryBatch, VehicleTelemetry } from "@v2c/spec";
import {
  createBatchProcessor,
  createDlqReplayHandler,
  createTelemetryProcessor,
  downstreamPolicy,
  handlerMetrics,
} from "@v2c/handlers";
import {
  DynamoDbDedupStore,
  DynamoDbRecordStore,
  MemoryMetricsSink,
  S3DeadLetterQueue,
  TimestreamSink,
  classifyAwsError,
  type RetryOptions,
} from "../../src/cloud/index.js";
import { CircuitBreakers } from "../../src/handlers/breakers.js";
import type { HandlerPorts } from "../../src/handlers/ports.js";
import type { RuleEvent } from "../../src/handlers/event.js";

export const VIN = "VIN-1HGBH41JXMN109186";
export const OTHER_VIN = "VIN-2HGBH41JXMN109187";
export const RECORD_TOPIC = `v2c/v1/us-east-1/${VIN}/telemetry/vehicle`;
export const BATCH_TOPIC = `v2c/v1/us-east-1/${VIN}/telemetry/batch`;
export const T0 = Date.UTC(2026, 0, 15, 12);
export const RECORDS_TABLE = "telemetry";
export const DEDUP_TABLE = "dedup";

let seq = 0;
/** A fresh UUIDv4-shaped id. */
export function nextId(): string {
  seq++;
  return `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`;
}

/** A valid VehicleTelemetry, overridable. */
export function telemetry(overrides: Partial<VehicleTelemetry> = {}): VehicleTelemetry {
  return VehicleTelemetry.fromPartial({
    messageId: nextId(),
    vehicleId: VIN,
    timestampMs: T0 - 60_000,
    schemaVersion: 1,
    sequence: seq,
    powertrain: { speedKph: 88, engineRpm: 2100 },
    ...overrides,
  });
}

/** Encoded telemetry. */
export function encode(t: VehicleTelemetry): Uint8Array {
  return VehicleTelemetry.encode(t).finish();
}

/** A batch envelope (uncompressed bytes) over `records`; `crcDelta` corrupts the checksum. */
export function batchBytes(records: readonly Uint8Array[], crcDelta = 0): Uint8Array {
  let crc = 0;
  for (const r of records) crc = crc32(r, crc);
  return TelemetryBatch.encode(
    TelemetryBatch.fromPartial({
      batchId: nextId(),
      vehicleId: VIN,
      schemaVersion: 1,
      createdAtMs: T0 - 1000,
      records: records.map((r) => Buffer.from(r)),
      recordsCrc32: (crc ^ crcDelta) >>> 0,
    }),
  ).finish();
}

/** A zstd-compressed batch (level 3, as the client sends it). */
export async function zstdBatch(records: readonly Uint8Array[], crcDelta = 0): Promise<Uint8Array> {
  return compress(Buffer.from(batchBytes(records, crcDelta)), 3);
}

/** The IoT rule event for `payload` on `topic`. */
export function ruleEvent(topic: string, payload: Uint8Array): RuleEvent {
  return { payload: Buffer.from(payload).toString("base64"), topic, clientId: VIN, receivedAt: T0 };
}

/** Options of `awsHandlers`. */
export interface AwsHandlersOptions {
  readonly dedupClient: DynamoDBClient;
  readonly recordsClient: DynamoDBClient;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly now?: () => number;
}

/**
 * The generated handlers on the AWS adapters (retry schedule from the generated policy, full
 * jitter pinned to its upper bound, sleeps recorded instead of waited).
 */
export function awsHandlers(options: AwsHandlersOptions) {
  const delays: number[] = [];
  const metrics = new MemoryMetricsSink();
  const retry: RetryOptions = {
    policy: downstreamPolicy.retry,
    random: () => 1,
    sleep: async (ms) => void delays.push(ms),
    onRetry: ({ error }) => {
      if (classifyAwsError(error) === "throttled") metrics.count(handlerMetrics.throttled);
    },
  };
  const ports: HandlerPorts = {
    dedup: new DynamoDbDedupStore({ client: options.dedupClient, tableName: DEDUP_TABLE, retry }),
    records: new DynamoDbRecordStore({
      client: options.recordsClient,
      tableName: RECORDS_TABLE,
      retry,
    }),
    timeSeries: new TimestreamSink({
      client: new TimestreamWriteClient({
        region: "us-east-1",
        credentials: { accessKeyId: "x", secretAccessKey: "x" },
      }),
      databaseName: "v2c",
      tableName: "telemetry",
      retry,
    }),
    dlq: new S3DeadLetterQueue({ client: options.s3, bucket: options.bucket }),
    metrics,
    now: options.now ?? (() => T0),
  };
  const breakers = new CircuitBreakers(downstreamPolicy, { random: () => 0 });
  return {
    ports,
    metrics,
    delays,
    breakers,
    record: createTelemetryProcessor(ports, breakers),
    batch: createBatchProcessor(ports, breakers),
    replay: createDlqReplayHandler(ports, breakers),
  };
}

/**
 * The failure-mode test kit: the generated handlers wired on real local peers (dynalite for
 * DynamoDB, s3rver for the S3 DLQ) and a per-rig mocked Timestream client (no implementation of
 * its API runs locally), with the retry sleep recorded instead of waited and a settable clock.
 * Generated per-failure-mode tests (`generated/handlers/test/fmea/`) start one kit per file and
 * call the scenarios of `scenarios.ts`; they pass in what is spec-specific (the handler
 * factories and payload builders) so that this library never imports generated code.
 */
import { compress } from "@mongodb-js/zstd";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TimestreamWriteClient, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import {
  DynamoDbDedupStore,
  DynamoDbRecordStore,
  MemoryMetricsSink,
  S3DeadLetterQueue,
  TimestreamSink,
  classifyAwsError,
  type RetryOptions,
} from "../../cloud/index.js";
import { CircuitBreakers } from "../breakers.js";
import type { InvocationContext, RuleEvent } from "../event.js";
import type { RuleEventHandler } from "../handlers.js";
import type { InvocationSummary } from "../outcome.js";
import type { DownstreamPolicy, HandlerMetricNames } from "../policy.js";
import type { HandlerPorts } from "../ports.js";
import type { ReplayRequest, ReplaySummary } from "../replay.js";
import { startDynalite, type DynaliteHandle } from "../../../test/support/dynalite.js";
import { startS3rver, type S3rverHandle } from "../../../test/support/s3rver.js";

/** A generated handler factory (`createTelemetryProcessor`, `createBatchProcessor`). */
export type HandlerFactory = (ports: HandlerPorts, breakers: CircuitBreakers) => RuleEventHandler;

/** The generated replay factory (`createDlqReplayHandler`). */
export type ReplayFactory = (
  ports: HandlerPorts,
  breakers: CircuitBreakers,
) => (request: ReplayRequest, context?: InvocationContext) => Promise<ReplaySummary>;

/** Spec-shaped payloads, built by the generated harness from the contract's field names. */
export interface SpecPayloads {
  /** A topic of the individual-telemetry channel (spec parameter examples). */
  readonly recordTopic: string;
  /** A topic of the batch channel. */
  readonly batchTopic: string;
  /** The vehicle id of both topics (the rule event's client id). */
  readonly vehicleId: string;
  /** A valid encoded record with a fresh message id, taken at `timestampMs`. */
  record(timestampMs: number): { readonly messageId: string; readonly bytes: Uint8Array };
  /** The uncompressed batch envelope of `records`; `crcDelta` is XORed into its checksum. */
  batch(records: readonly Uint8Array[], createdAtMs: number, crcDelta?: number): Uint8Array;
}

/** What the generated package provides to the kit. */
export interface HandlersUnderTest {
  readonly record: HandlerFactory;
  readonly batch: HandlerFactory;
  readonly replay: ReplayFactory;
  readonly downstreamPolicy: DownstreamPolicy;
  readonly metrics: HandlerMetricNames;
  readonly payloads: SpecPayloads;
}

/** Table names the kit creates in dynalite (local only; the deployed names come from the CDK app). */
export const KIT_TABLES = { records: "telemetry", dedup: "dedup" } as const;

/** The cloud clock every rig starts at (a fixed instant: DLQ keys and freshness are reproducible). */
export const KIT_T0 = Date.UTC(2026, 0, 15, 12);

/** One generated handler set over fresh clients of the kit's peers. */
export interface Rig {
  readonly ports: HandlerPorts;
  readonly metrics: MemoryMetricsSink;
  /** Retry waits requested so far (full jitter pinned to its upper bound: the schedule itself). */
  readonly delays: number[];
  readonly breakers: CircuitBreakers;
  /** This rig's Timestream client, mocked (resolves `{}` unless a scenario says otherwise). */
  readonly timestream: AwsClientStub<TimestreamWriteClient>;
  /** The records table client (scenarios add fault middleware to it). */
  readonly recordsClient: DynamoDBClient;
  /** Cloud clock, epoch ms; settable. */
  clock: number;
  /** Invokes the record handler with `payload` on the spec's record topic. */
  record(payload: Uint8Array, context?: InvocationContext): Promise<InvocationSummary>;
  /** Invokes the batch handler with `payload` (already compressed) on the batch topic. */
  batch(payload: Uint8Array, context?: InvocationContext): Promise<InvocationSummary>;
  replay(request: ReplayRequest): Promise<ReplaySummary>;
}

/** Options of `ScenarioKit.rig`. */
export interface RigOptions {
  /** The records-table client (default: a fresh client of the kit's dynalite). */
  readonly recordsClient?: DynamoDBClient;
}

/** Running peers plus the generated handlers: one per test file (beforeAll / afterAll). */
export interface ScenarioKit {
  readonly handlers: HandlersUnderTest;
  readonly dynalite: DynaliteHandle;
  readonly s3: S3rverHandle;
  /** A fresh rig: own clients, metrics, breakers, delays and Timestream mock. */
  rig(options?: RigOptions): Rig;
  /** A valid record at `clock - 60 s` (inside every freshness window). */
  freshRecord(rig: Rig): { readonly messageId: string; readonly bytes: Uint8Array };
  /** A zstd-compressed batch (level 3, as the client sends it) of `records`. */
  zstdBatch(rig: Rig, records: readonly Uint8Array[], crcDelta?: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Starts dynalite (records + dedup tables) and s3rver (the DLQ bucket) for `handlers`. */
export async function startScenarioKit(handlers: HandlersUnderTest): Promise<ScenarioKit> {
  const [dynalite, s3] = await Promise.all([
    startDynalite([
      { name: KIT_TABLES.records, partitionKey: "message_id" },
      { name: KIT_TABLES.dedup, partitionKey: "pk" },
    ]),
    startS3rver("v2c-dlq"),
  ]);
  const p = handlers.payloads;
  const event = (topic: string, payload: Uint8Array, receivedAt: number): RuleEvent => ({
    payload: Buffer.from(payload).toString("base64"),
    topic,
    clientId: p.vehicleId,
    receivedAt,
  });
  const stubs: AwsClientStub<TimestreamWriteClient>[] = [];

  function rig(options: RigOptions = {}): Rig {
    const delays: number[] = [];
    const metrics = new MemoryMetricsSink();
    const retry: RetryOptions = {
      policy: handlers.downstreamPolicy.retry,
      random: () => 1,
      sleep: async (ms) => void delays.push(ms),
      onRetry: ({ error }) => {
        if (classifyAwsError(error) === "throttled") metrics.count(handlers.metrics.throttled);
      },
    };
    const timestreamClient = new TimestreamWriteClient({
      region: "us-east-1",
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
    });
    const timestream = mockClient(timestreamClient);
    timestream.on(WriteRecordsCommand).resolves({});
    stubs.push(timestream);
    const recordsClient = options.recordsClient ?? dynalite.newClient();
    const state = { clock: KIT_T0 };
    const ports: HandlerPorts = {
      dedup: new DynamoDbDedupStore({
        client: dynalite.newClient(),
        tableName: KIT_TABLES.dedup,
        retry,
      }),
      records: new DynamoDbRecordStore({
        client: recordsClient,
        tableName: KIT_TABLES.records,
        retry,
      }),
      timeSeries: new TimestreamSink({
        client: timestreamClient,
        databaseName: "v2c",
        tableName: "telemetry",
        retry,
      }),
      dlq: new S3DeadLetterQueue({ client: s3.client, bucket: s3.bucket }),
      metrics,
      now: () => state.clock,
    };
    const breakers = new CircuitBreakers(handlers.downstreamPolicy, {
      random: () => 0,
      now: () => state.clock,
    });
    const recordHandler = handlers.record(ports, breakers);
    const batchHandler = handlers.batch(ports, breakers);
    const replay = handlers.replay(ports, breakers);
    return {
      ports,
      metrics,
      delays,
      breakers,
      timestream,
      recordsClient,
      get clock() {
        return state.clock;
      },
      set clock(value: number) {
        state.clock = value;
      },
      record: (payload, context) =>
        recordHandler(event(p.recordTopic, payload, state.clock), context),
      batch: (payload, context) => batchHandler(event(p.batchTopic, payload, state.clock), context),
      replay: (request) => replay(request),
    };
  }

  return {
    handlers,
    dynalite,
    s3,
    rig,
    freshRecord: (r) => p.record(r.clock - 60_000),
    zstdBatch: async (r, records, crcDelta = 0) =>
      compress(Buffer.from(p.batch(records, r.clock - 1000, crcDelta)), 3),
    close: async () => {
      for (const s of stubs) s.restore();
      await Promise.all([dynalite.close(), s3.close()]);
    },
  };
}

/** The DLQ reason code of a key `dlq/<REASON>/yyyy/mm/dd/<vehicle>/<id>`. */
export function dlqReasonOf(key: string): string {
  return key.split("/")[1] ?? "";
}

/**
 * The test spec's handlers wired on real adapters: locally (SQLite + filesystem DLQ) and on
 * the AWS adapters (dynalite for the key-value store and the dedup ledger, s3rver for the DLQ,
 * a mocked Timestream client — no implementation of its API runs locally).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TimestreamWriteClient, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { DynamoDbDedupStore } from "../../src/cloud/dynamodb-dedup-store.js";
import { DynamoDbRecordStore } from "../../src/cloud/dynamodb-record-store.js";
import { MemoryMetricsSink } from "../../src/cloud/memory-metrics.js";
import type { RetryOptions } from "../../src/cloud/retry.js";
import { S3DeadLetterQueue } from "../../src/cloud/s3-dlq.js";
import { TimestreamSink } from "../../src/cloud/timestream-sink.js";
import { CircuitBreakers } from "../../src/handlers/breakers.js";
import type { InvocationContext, RuleEvent } from "../../src/handlers/event.js";
import {
  createBatchHandler,
  createRecordHandler,
  type RuleEventHandler,
} from "../../src/handlers/handlers.js";
import { createLocalPorts, type LocalPorts } from "../../src/handlers/local-ports.js";
import type { HandlerPorts } from "../../src/handlers/ports.js";
import {
  replayDeadLetters,
  type ReplayRequest,
  type ReplaySummary,
} from "../../src/handlers/replay.js";
import type { DynaliteHandle } from "../support/dynalite.js";
import type { S3rverHandle } from "../support/s3rver.js";
import {
  KV,
  SERIES,
  T0,
  batchCodec,
  batchPolicy,
  downstreamPolicy,
  parseBatchTopic,
  parseRecordTopic,
  readingCodec,
  recordPolicy,
  replayRoutes,
} from "./test-spec.js";

/** The handlers of the test spec on some ports. */
export interface Rig {
  readonly ports: HandlerPorts;
  readonly metrics: MemoryMetricsSink;
  readonly breakers: CircuitBreakers;
  readonly record: RuleEventHandler;
  readonly batch: RuleEventHandler;
  replay(request?: ReplayRequest, context?: InvocationContext): Promise<ReplaySummary>;
  /** Cloud clock (settable). */
  clock: number;
}

/** Builds the handlers over `ports` (their clock must read `state.clock`). */
export function wire(
  ports: HandlerPorts,
  metrics: MemoryMetricsSink,
  state: { clock: number },
): Rig {
  const breakers = new CircuitBreakers(downstreamPolicy, {
    random: () => 0,
    now: () => state.clock,
  });
  breakers.reportTo(metrics, recordPolicy.metrics["circuit-open"]);
  const common = { ports, breakers };
  const record = createRecordHandler({
    policy: recordPolicy,
    codec: readingCodec,
    parseVehicleId: parseRecordTopic,
    ...common,
  });
  const batch = createBatchHandler({
    policy: batchPolicy,
    batchCodec,
    recordCodec: readingCodec,
    parseVehicleId: parseBatchTopic,
    ...common,
  });
  return {
    ports,
    metrics,
    breakers,
    record,
    batch,
    replay: (request = {}, context) =>
      replayDeadLetters(replayRoutes, ports, breakers, request, context),
    get clock() {
      return state.clock;
    },
    set clock(value: number) {
      state.clock = value;
    },
  };
}

/** A local rig in a fresh directory (SQLite + filesystem DLQ). */
export interface LocalRig extends Rig {
  readonly ports: LocalPorts;
  readonly directory: string;
  close(): void;
}

/** Starts a local rig; `directory` reuses an existing one (another process's, say). */
export function localRig(
  options: { directory?: string; lockWaitMs?: number; memoryRetentionMs?: number } = {},
): LocalRig {
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), "h4-local-"));
  const state = { clock: T0 };
  const ports = createLocalPorts({
    directory,
    downstream: downstreamPolicy,
    memoryRetentionMs: options.memoryRetentionMs ?? 3 * 86_400_000,
    now: () => state.clock,
    ...(options.lockWaitMs !== undefined ? { lockWaitMs: options.lockWaitMs } : {}),
  });
  const rig = wire(ports, ports.metrics, state);
  return Object.assign(rig, {
    ports,
    directory,
    close: () => {
      ports.close();
      if (!options.directory) rmSync(directory, { recursive: true, force: true });
    },
  }) as LocalRig;
}

/** Table names the AWS rig uses in dynalite. */
export const AWS_TABLES = { records: "records", dedup: "ledger" } as const;

/** An AWS rig (dynalite, s3rver, mocked Timestream). */
export interface AwsRig extends Rig {
  readonly timestream: AwsClientStub<TimestreamWriteClient>;
  readonly delays: number[];
}

/** Wires the test spec on the AWS adapters; `recordsClient` may carry fault middleware. */
export function awsRig(
  dynalite: DynaliteHandle,
  s3: S3rverHandle,
  options: { recordsClient?: DynamoDBClient; dedupClient?: DynamoDBClient } = {},
): AwsRig {
  const state = { clock: T0 };
  const delays: number[] = [];
  const metrics = new MemoryMetricsSink();
  const retry: RetryOptions = {
    policy: downstreamPolicy.retry,
    random: () => 1,
    sleep: async (ms) => void delays.push(ms),
  };
  const timestreamClient = new TimestreamWriteClient({
    region: "eu-west-3",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
  });
  const timestream = mockClient(timestreamClient);
  timestream.on(WriteRecordsCommand).resolves({});
  const ports: HandlerPorts = {
    dedup: new DynamoDbDedupStore({
      client: options.dedupClient ?? dynalite.newClient(),
      tableName: AWS_TABLES.dedup,
      retry,
      downstream: KV,
    }),
    downstreams: {
      [KV]: {
        kind: "key-value-store",
        store: new DynamoDbRecordStore({
          client: options.recordsClient ?? dynalite.newClient(),
          tableName: AWS_TABLES.records,
          retry,
          downstream: KV,
        }),
      },
      [SERIES]: {
        kind: "time-series-store",
        sink: new TimestreamSink({
          client: timestreamClient,
          databaseName: "db",
          tableName: "series",
          retry,
          downstream: SERIES,
        }),
      },
    },
    dlq: new S3DeadLetterQueue({ client: s3.client, bucket: s3.bucket }),
    metrics,
    now: () => state.clock,
  };
  return Object.assign(wire(ports, metrics, state), { timestream, delays }) as AwsRig;
}

/** Invokes a handler and returns its summary or the error it threw. */
export async function invoke(
  handler: RuleEventHandler,
  event: RuleEvent,
  context?: InvocationContext,
): Promise<Awaited<ReturnType<RuleEventHandler>> | Error> {
  try {
    return await handler(event, context);
  } catch (error) {
    return error as Error;
  }
}

/** The keys of every record a key-value store holds, via the DLQ-independent store API. */
export async function storedIn(ports: HandlerPorts, id: string, keys: readonly string[]) {
  const port = ports.downstreams[id];
  if (port?.kind !== "key-value-store") throw new Error(`${id} is not a key-value store`);
  const found: string[] = [];
  for (const key of keys) if (await port.store.get(key)) found.push(key);
  return found;
}

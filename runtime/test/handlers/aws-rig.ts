/**
 * The test spec's handlers on the AWS adapters: dynalite for the key-value store and the dedup
 * ledger, s3rver for the DLQ, a mocked Timestream client (no implementation of its API runs
 * locally).
 */
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { TimestreamWriteClient, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import { DynamoDbDedupStore } from "../../src/cloud/dynamodb-dedup-store.js";
import { DynamoDbRecordStore } from "../../src/cloud/dynamodb-record-store.js";
import { MemoryMetricsSink } from "../../src/cloud/memory-metrics.js";
import type { RetryOptions } from "../../src/cloud/retry.js";
import { S3DeadLetterQueue } from "../../src/cloud/s3-dlq.js";
import { TimestreamSink } from "../../src/cloud/timestream-sink.js";
import type { HandlerPorts } from "../../src/handlers/ports.js";
import type { DynaliteHandle } from "../support/dynalite.js";
import type { S3rverHandle } from "../support/s3rver.js";
import { wire, type Rig } from "./rigs.js";
import { KV, SERIES, T0, downstreamPolicy } from "./test-spec.js";

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

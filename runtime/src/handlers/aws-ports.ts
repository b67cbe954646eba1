import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";
import { Logger } from "@aws-lambda-powertools/logger";
import { DynamoDbDedupStore } from "../cloud/dynamodb-dedup-store.js";
import { DynamoDbRecordStore } from "../cloud/dynamodb-record-store.js";
import { EmfMetricsSink } from "../cloud/emf-metrics.js";
import type { MetricsSink, TimeSeriesSink } from "../cloud/ports.js";
import { classifyAwsError, type RetryOptions } from "../cloud/retry.js";
import { S3DeadLetterQueue } from "../cloud/s3-dlq.js";
import { sqsFailedInvocationQueues } from "../cloud/sqs-failed-invocations.js";
import { TimestreamSink } from "../cloud/timestream-sink.js";
import { DEDUP_PARTITION_KEY, RECORDS_PARTITION_KEY, deployEnvName } from "../deploy-env.js";
import { RoleMetrics, type HandlerMetricNames } from "./metric-roles.js";
import type { DownstreamPolicy, DownstreamSpec } from "./policy.js";
import type { DownstreamPort, HandlerLogger, HandlerPorts } from "./ports.js";

/** The sink used when no time-series store is deployed: accepts and drops every point. */
export const disabledTimeSeriesSink: TimeSeriesSink = {
  write: async () => ({ rejected: [] }),
};

/** Options of `createAwsPorts`. */
export interface AwsPortsOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Every declared downstream (participant id → kind, breaker, retry, timeouts). */
  readonly downstream: DownstreamPolicy;
  /** The key-value-store participant holding dedup claims (`x-handler.dedup`), if any. */
  readonly dedup?: string;
  /** The object-store participant of the DLQ (`x-handler.dead-letter`). */
  readonly deadLetter: string;
  /** CloudWatch namespace and service (function) name of the EMF metrics. */
  readonly namespace: string;
  readonly serviceName: string;
  /** Metric names by role; `throttled` is counted on every throttled attempt that is retried. */
  readonly metrics: HandlerMetricNames;
}

function required(env: AwsPortsOptions["env"], name: string): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Wraps Powertools Logger (structured JSON logs with the Lambda context) as a HandlerLogger. */
export function powertoolsLogger(serviceName: string): HandlerLogger {
  const logger = new Logger({ serviceName });
  return {
    info: (message, extra) => (extra ? logger.info(message, extra) : logger.info(message)),
    warn: (message, extra) => (extra ? logger.warn(message, extra) : logger.warn(message)),
    error: (message, extra) => (extra ? logger.error(message, extra) : logger.error(message)),
    addContext: (context) => logger.addContext(context as Parameters<Logger["addContext"]>[0]),
  };
}

function clientConfig(spec: DownstreamSpec | undefined) {
  const timeouts = spec?.timeouts;
  return {
    maxAttempts: 1,
    ...(timeouts
      ? {
          requestHandler: {
            connectionTimeout: timeouts.connectMs,
            requestTimeout: timeouts.requestMs,
          },
        }
      : {}),
  };
}

/**
 * The AWS adapters behind the handler ports, one per declared downstream by component kind:
 * key-value-store = DynamoDB table, time-series-store = Timestream table (a disabled sink when
 * the deployment has none: Timestream is closed to new accounts), the dedup ledger in the
 * dedup participant's table, the S3 DLQ, EMF metrics, Powertools logs. Resource names come
 * from the environment (`deployEnvName(participant, resource)`). SDK retries are off
 * (`maxAttempts: 1`): the spec's retry policy is the only retry layer.
 */
export function createAwsPorts(options: AwsPortsOptions): HandlerPorts {
  const { env, downstream } = options;
  const metrics: MetricsSink = new EmfMetricsSink({
    namespace: options.namespace,
    serviceName: options.serviceName,
  });
  const roles = new RoleMetrics(metrics, options.metrics);
  const retryOf = (id: string): RetryOptions => ({
    policy: downstream.downstreams[id]?.retry ?? downstream.retry,
    onRetry: ({ error }) => {
      if (classifyAwsError(error) === "throttled") roles.count("throttled", 1, { downstream: id });
    },
  });
  const dynamoClients = new Map<string, DynamoDBClient>();
  const dynamo = (id: string) => {
    let client = dynamoClients.get(id);
    if (!client) {
      client = new DynamoDBClient(clientConfig(downstream.downstreams[id]));
      dynamoClients.set(id, client);
    }
    return client;
  };
  const ports: Record<string, DownstreamPort> = {};
  for (const [id, spec] of Object.entries(downstream.downstreams)) {
    if (spec.kind === "key-value-store") {
      const table = env[deployEnvName(id, "records-table")];
      if (!table) continue; // a dedup-only participant has no records table
      ports[id] = {
        kind: "key-value-store",
        store: new DynamoDbRecordStore({
          client: dynamo(id),
          tableName: table,
          partitionKey: RECORDS_PARTITION_KEY,
          retry: retryOf(id),
          downstream: id,
        }),
      };
    } else {
      const database = env[deployEnvName(id, "database")];
      ports[id] = {
        kind: "time-series-store",
        sink: database
          ? new TimestreamSink({
              client: new TimestreamWriteClient(clientConfig(spec)),
              databaseName: database,
              tableName: required(env, deployEnvName(id, "table")),
              retry: retryOf(id),
              downstream: id,
            })
          : disabledTimeSeriesSink,
      };
    }
  }
  return {
    ...(options.dedup !== undefined
      ? {
          dedup: new DynamoDbDedupStore({
            client: dynamo(options.dedup),
            tableName: required(env, deployEnvName(options.dedup, "dedup-table")),
            partitionKey: DEDUP_PARTITION_KEY,
            retry: retryOf(options.dedup),
            downstream: options.dedup,
          }),
        }
      : {}),
    downstreams: ports,
    dlq: new S3DeadLetterQueue({
      client: new S3Client({ maxAttempts: 1 }),
      bucket: required(env, deployEnvName(options.deadLetter, "bucket")),
      retry: { policy: downstream.retry },
    }),
    metrics,
    logger: powertoolsLogger(options.serviceName),
    // Set on the replay function only (ON_FAILURE_QUEUES_ENV): the queues it may drain.
    failedInvocations: sqsFailedInvocationQueues(env),
  };
}

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
import { TimestreamSink } from "../cloud/timestream-sink.js";
import type { DownstreamPolicy } from "./policy.js";
import type { HandlerLogger, HandlerPorts } from "./ports.js";

/**
 * Environment variables the deployed functions read; the same names as the generated infra's
 * HANDLER_ENVIRONMENT (which sets them). The time-series pair is unset when the deployment
 * has no Timestream (closed to new AWS accounts): records then go to DynamoDB only.
 */
export const HANDLER_ENV = {
  recordsTable: "TELEMETRY_TABLE_NAME",
  dedupTable: "DEDUP_TABLE_NAME",
  dlqBucket: "DLQ_BUCKET_NAME",
  timeSeriesDatabase: "TIME_SERIES_DATABASE_NAME",
  timeSeriesTable: "TIME_SERIES_TABLE_NAME",
} as const;

/** The sink used when no time-series store is deployed: accepts and drops every point. */
export const disabledTimeSeriesSink: TimeSeriesSink = {
  write: async () => ({ rejected: [] }),
};

/** Options of `createAwsPorts`. */
export interface AwsPortsOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly downstream: DownstreamPolicy;
  /** CloudWatch namespace and service (function) name of the EMF metrics. */
  readonly namespace: string;
  readonly serviceName: string;
  /** Counted on every throttled attempt that is retried (FM-08 detection). */
  readonly throttledMetric: string;
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
  };
}

/**
 * The AWS adapters behind the handler ports: DynamoDB (dedup claims with TTL, records),
 * Timestream, the S3 DLQ, EMF metrics, Powertools logs. SDK retries are off
 * (`maxAttempts: 1`): the spec's retry policy is the only retry layer.
 */
export function createAwsPorts(options: AwsPortsOptions): HandlerPorts {
  const { env, downstream } = options;
  const timeouts = downstream.timeouts;
  const clientConfig = {
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
  const metrics: MetricsSink = new EmfMetricsSink({
    namespace: options.namespace,
    serviceName: options.serviceName,
  });
  const retry: RetryOptions = {
    policy: downstream.retry,
    onRetry: ({ error }) => {
      if (classifyAwsError(error) === "throttled") metrics.count(options.throttledMetric);
    },
  };
  const dynamodb = new DynamoDBClient(clientConfig);
  return {
    dedup: new DynamoDbDedupStore({
      client: dynamodb,
      tableName: required(env, HANDLER_ENV.dedupTable),
      retry,
    }),
    records: new DynamoDbRecordStore({
      client: dynamodb,
      tableName: required(env, HANDLER_ENV.recordsTable),
      retry,
    }),
    timeSeries: env[HANDLER_ENV.timeSeriesDatabase]
      ? new TimestreamSink({
          client: new TimestreamWriteClient(clientConfig),
          databaseName: required(env, HANDLER_ENV.timeSeriesDatabase),
          tableName: required(env, HANDLER_ENV.timeSeriesTable),
          retry,
        })
      : disabledTimeSeriesSink,
    dlq: new S3DeadLetterQueue({
      client: new S3Client(clientConfig),
      bucket: required(env, HANDLER_ENV.dlqBucket),
      retry: { policy: downstream.retry },
    }),
    metrics,
    logger: powertoolsLogger(options.serviceName),
  };
}

import { describe, expect, it } from "vitest";
import { downstreamPolicy, handlerMetrics, metricsNamespace } from "@v2c/handlers";
import { DynamoDbDedupStore, S3DeadLetterQueue, TimestreamSink } from "../../src/cloud/index.js";
import {
  createAwsPorts,
  disabledTimeSeriesSink,
  HANDLER_ENV,
} from "../../src/handlers/aws-ports.js";

const base = {
  downstream: downstreamPolicy,
  namespace: metricsNamespace,
  serviceName: "telemetry-processor",
  throttledMetric: handlerMetrics.throttled,
};
const env = {
  AWS_REGION: "us-east-1",
  [HANDLER_ENV.recordsTable]: "telemetry",
  [HANDLER_ENV.dedupTable]: "dedup",
  [HANDLER_ENV.dlqBucket]: "dlq",
};

describe("AWS port wiring of the Lambda entries", () => {
  it("builds the DynamoDB, S3 and Timestream adapters from the environment", () => {
    const ports = createAwsPorts({
      ...base,
      env: { ...env, [HANDLER_ENV.timeSeriesDatabase]: "v2c", [HANDLER_ENV.timeSeriesTable]: "t" },
    });
    expect(ports.dedup).toBeInstanceOf(DynamoDbDedupStore);
    expect(ports.dlq).toBeInstanceOf(S3DeadLetterQueue);
    expect(ports.timeSeries).toBeInstanceOf(TimestreamSink);
  });

  it("runs without a time-series store when the deployment has none", () => {
    expect(createAwsPorts({ ...base, env }).timeSeries).toBe(disabledTimeSeriesSink);
  });

  it("names the missing variable instead of failing on the first request", () => {
    const { [HANDLER_ENV.dlqBucket]: _dropped, ...partial } = env;
    expect(() => createAwsPorts({ ...base, env: partial })).toThrow(
      `environment variable ${HANDLER_ENV.dlqBucket} is not set`,
    );
  });
});

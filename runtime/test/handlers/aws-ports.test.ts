import { describe, expect, it } from "vitest";
import { DynamoDbDedupStore, S3DeadLetterQueue, TimestreamSink } from "../../src/cloud/index.js";
import { deployEnvName } from "../../src/deploy-env.js";
import { createAwsPorts, disabledTimeSeriesSink } from "../../src/handlers/aws-ports.js";
import { downstreamPolicy, metrics } from "./test-spec.js";

const base = {
  downstream: downstreamPolicy,
  dedup: "kv",
  deadLetter: "bucket",
  namespace: "Test/Handlers",
  serviceName: "reading-handler",
  metrics,
};
const env = {
  AWS_REGION: "eu-west-3",
  [deployEnvName("kv", "records-table")]: "records",
  [deployEnvName("kv", "dedup-table")]: "ledger",
  [deployEnvName("bucket", "bucket")]: "dlq",
};

describe("AWS port wiring of the function entries", () => {
  it("builds an adapter per declared downstream by kind, named from the environment", () => {
    const ports = createAwsPorts({
      ...base,
      env: {
        ...env,
        [deployEnvName("series", "database")]: "db",
        [deployEnvName("series", "table")]: "t",
      },
    });
    expect(ports.dedup).toBeInstanceOf(DynamoDbDedupStore);
    expect(ports.dlq).toBeInstanceOf(S3DeadLetterQueue);
    expect(ports.downstreams.kv?.kind).toBe("key-value-store");
    const series = ports.downstreams.series;
    expect(series?.kind === "time-series-store" && series.sink).toBeInstanceOf(TimestreamSink);
  });

  it("runs without a time-series store when the deployment has none", () => {
    const series = createAwsPorts({ ...base, env }).downstreams.series;
    expect(series?.kind === "time-series-store" && series.sink).toBe(disabledTimeSeriesSink);
  });

  it("names the missing variable instead of failing on the first request", () => {
    const name = deployEnvName("bucket", "bucket");
    const { [name]: _dropped, ...partial } = env;
    expect(() => createAwsPorts({ ...base, env: partial })).toThrow(
      `environment variable ${name} is not set`,
    );
  });
});

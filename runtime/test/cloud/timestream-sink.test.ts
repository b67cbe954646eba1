/**
 * TimestreamSink through aws-sdk-client-mock: no Timestream implementation can run locally
 * (and LiveAnalytics is closed to new AWS accounts), so the service's documented answers are
 * scripted. The local equivalent of FM-15 runs for real in sqlite.test.ts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { mockClient } from "aws-sdk-client-mock";
import {
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from "@aws-sdk/client-timestream-write";
import type { RetryPolicy } from "../../src/policy.js";
import { DownstreamError, TimestreamSink, type TimeSeriesRecord } from "../../src/cloud/index.js";
import { awsError, recordingSleep } from "./faults.js";

const EXACT_RETRY: RetryPolicy = { attempts: 3, delaysMs: [100, 200, 400], jitter: "none" };
const mock = mockClient(TimestreamWriteClient);
afterEach(() => mock.reset());

function point(i: number, timeMs = 1_700_000_000_000 + i): TimeSeriesRecord {
  return {
    dimensions: { vehicle_id: `VIN-${i % 3}`, region: "us-east-1" },
    measureName: "telemetry",
    timeMs,
    measures: { speed_kmh: i, ignition: true, gear: "D" },
  };
}

function sink(retry?: { sleep: (ms: number) => Promise<void> }) {
  return new TimestreamSink({
    client: new TimestreamWriteClient({ region: "us-east-1" }),
    databaseName: "v2c",
    tableName: "telemetry",
    ...(retry ? { retry: { policy: EXACT_RETRY, sleep: retry.sleep } } : {}),
  });
}

describe("TimestreamSink (mocked Timestream)", () => {
  it("writes multi-measure records with millisecond time, in requests of at most 100", async () => {
    mock.on(WriteRecordsCommand).resolves({});
    const result = await sink().write(Array.from({ length: 150 }, (_, i) => point(i)));
    expect(result.rejected).toEqual([]);
    const inputs = mock
      .commandCalls(WriteRecordsCommand)
      .map((c) => c.args[0].input as WriteRecordsCommandInput);
    expect(inputs.map((i) => i.Records?.length)).toEqual([100, 50]);
    expect(inputs[0]?.Records?.[7]).toEqual({
      Dimensions: [
        { Name: "vehicle_id", Value: "VIN-1", DimensionValueType: "VARCHAR" },
        { Name: "region", Value: "us-east-1", DimensionValueType: "VARCHAR" },
      ],
      MeasureName: "telemetry",
      MeasureValueType: "MULTI",
      MeasureValues: [
        { Name: "speed_kmh", Value: "7", Type: "DOUBLE" },
        { Name: "ignition", Value: "true", Type: "BOOLEAN" },
        { Name: "gear", Value: "D", Type: "VARCHAR" },
      ],
      Time: "1700000000007",
      TimeUnit: "MILLISECONDS",
    });
  });

  it("FM-15 Timestream out-of-order: RejectedRecords become per-record rejections, indices across requests", async () => {
    mock
      .on(WriteRecordsCommand)
      .rejectsOnce(
        new RejectedRecordsException({
          message: "One or more records have been rejected.",
          $metadata: { httpStatusCode: 419 },
          RejectedRecords: [
            {
              RecordIndex: 3,
              Reason:
                "The record timestamp is outside the time range [2025-10-10T10:00:00Z, 2025-10-10T16:00:00Z) of the memory store.",
            },
            {
              RecordIndex: 5,
              Reason: "A record with the same dimensions already exists with a different version.",
              ExistingVersion: 2,
            },
          ],
        }),
      )
      .rejectsOnce(
        new RejectedRecordsException({
          message: "rejected",
          $metadata: { httpStatusCode: 419 },
          RejectedRecords: [{ RecordIndex: 0, Reason: "Invalid measure value." }],
        }),
      );
    const result = await sink().write(Array.from({ length: 120 }, (_, i) => point(i)));
    expect(result.rejected).toEqual([
      { index: 3, code: "outside-retention-window", reason: expect.stringMatching(/memory store/) },
      { index: 5, code: "conflicting-version", reason: expect.stringMatching(/version/) },
      { index: 100, code: "invalid-record", reason: "Invalid measure value." },
    ]);
  });

  it("FM-19 Timestream unavailable: 503 retried on the schedule, then succeeds", async () => {
    const { delays, sleep } = recordingSleep();
    mock
      .on(WriteRecordsCommand)
      .rejectsOnce(awsError("ServiceUnavailable", 503))
      .rejectsOnce(awsError("ThrottlingException", 429))
      .resolves({});
    expect(await sink({ sleep }).write([point(1)])).toEqual({ rejected: [] });
    expect(mock.commandCalls(WriteRecordsCommand)).toHaveLength(3);
    expect(delays).toEqual([100, 200]);
  });

  it("FM-19 Timestream unavailable: retries exhausted → retryable DownstreamError", async () => {
    const { delays, sleep } = recordingSleep();
    mock.on(WriteRecordsCommand).rejects(awsError("ServiceUnavailable", 503));
    const error = await sink({ sleep })
      .write([point(1)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownstreamError);
    expect(error).toMatchObject({
      downstream: "time-series-store",
      kind: "unavailable",
      retryable: true,
    });
    expect(mock.commandCalls(WriteRecordsCommand)).toHaveLength(4);
    expect(delays).toEqual([100, 200, 400]);
  });
});

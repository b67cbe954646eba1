import {
  WriteRecordsCommand,
  type _Record as TimestreamRecord,
  type MeasureValue,
  type TimestreamWriteClient,
} from "@aws-sdk/client-timestream-write";
import type {
  TimeSeriesRecord,
  TimeSeriesRejection,
  TimeSeriesSink,
  TimeSeriesWriteResult,
} from "./ports.js";
import { callDownstream, type RetryOptions } from "./retry.js";
import { timestreamRejectCode } from "./timestream-reject.js";

/** WriteRecords accepts at most 100 records per call. */
export const TIMESTREAM_WRITE_LIMIT = 100;

/** Options of TimestreamSink. */
export interface TimestreamSinkOptions {
  /** Build it with `maxAttempts: 1` so `retry` is the only retry layer. */
  readonly client: TimestreamWriteClient;
  readonly databaseName: string;
  readonly tableName: string;
  /** Retry policy for 503/throttling; none when omitted. */
  readonly retry?: RetryOptions;
  /** Name of the downstream (its participant id) in errors; default "time-series-store". */
  readonly downstream?: string;
}

interface RejectedRecordsError {
  name: string;
  RejectedRecords?: { RecordIndex?: number; Reason?: string; ExistingVersion?: number }[];
}

/**
 * Time-series writes to Timestream for LiveAnalytics (multi-measure records, millisecond time).
 * RejectedRecordsException becomes per-record rejections (the other records of the request
 * were stored); ServiceUnavailable/503 and throttling are retried, then thrown as a retryable
 * DownstreamError. Kept behind TimeSeriesSink: LiveAnalytics is closed to new AWS customers.
 */
export class TimestreamSink implements TimeSeriesSink {
  constructor(private readonly options: TimestreamSinkOptions) {}

  /** @inheritdoc */
  async write(records: readonly TimeSeriesRecord[]): Promise<TimeSeriesWriteResult> {
    const rejected: TimeSeriesRejection[] = [];
    for (let offset = 0; offset < records.length; offset += TIMESTREAM_WRITE_LIMIT) {
      const chunk = records.slice(offset, offset + TIMESTREAM_WRITE_LIMIT);
      rejected.push(...(await this.writeChunk(chunk, offset)));
    }
    return { rejected };
  }

  private async writeChunk(
    chunk: readonly TimeSeriesRecord[],
    offset: number,
  ): Promise<TimeSeriesRejection[]> {
    return callDownstream(
      this.options.downstream ?? "time-series-store",
      async () => {
        try {
          await this.options.client.send(
            new WriteRecordsCommand({
              DatabaseName: this.options.databaseName,
              TableName: this.options.tableName,
              Records: chunk.map(toTimestreamRecord),
            }),
          );
          return [];
        } catch (error) {
          const e = error as RejectedRecordsError;
          if (e.name !== "RejectedRecordsException") throw error;
          return (e.RejectedRecords ?? []).map((r) => {
            const reason = r.Reason ?? "rejected";
            return {
              index: offset + (r.RecordIndex ?? 0),
              code: timestreamRejectCode(reason, r.ExistingVersion),
              reason,
            };
          });
        }
      },
      this.options.retry,
    );
  }
}

/** Converts a port record to a Timestream MULTI-measure record. */
export function toTimestreamRecord(record: TimeSeriesRecord): TimestreamRecord {
  const measures: MeasureValue[] = Object.entries(record.measures).map(([name, value]) => ({
    Name: name,
    Value: String(value),
    Type: typeof value === "number" ? "DOUBLE" : typeof value === "boolean" ? "BOOLEAN" : "VARCHAR",
  }));
  return {
    Dimensions: Object.entries(record.dimensions).map(([Name, Value]) => ({
      Name,
      Value,
      DimensionValueType: "VARCHAR",
    })),
    MeasureName: record.measureName,
    MeasureValueType: "MULTI",
    MeasureValues: measures,
    Time: String(Math.trunc(record.timeMs)),
    TimeUnit: "MILLISECONDS",
  };
}

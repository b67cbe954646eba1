import type { ConstraintChecker } from "../constraints.js";
import type { TimeSeriesRecord } from "../cloud/ports.js";
import type { EnumCheck } from "./enum-fields.js";

export { EnumCheck, type EnumField, type EnumFieldTable } from "./enum-fields.js";

/**
 * How the pipeline reads one record type. Generated per proto message: `decode` is
 * the ts-proto decoder, `checker` the constraint checker generated from the proto options,
 * and the accessors name the fields the spec marks as message id, vehicle id and sample time.
 */
export interface RecordCodec<T> {
  /** Fully-qualified proto name (in logs and DLQ details). */
  readonly message: string;
  decode(bytes: Uint8Array): T;
  readonly checker: ConstraintChecker;
  messageId(record: T): string;
  vehicleId(record: T): string;
  timestampMs(record: T): number;
  schemaVersion(record: T): number;
  /** The record type's enum fields (generated from the protos): values outside their enums. */
  readonly enums: EnumCheck;
  /** The JSON document stored in key-value stores (keyed by vehicle id + message id). */
  toStored(record: T): Readonly<Record<string, unknown>>;
  /**
   * The point written to time-series stores. `document` is the record's `toStored` document
   * when the caller holds it already (the point is read from it instead of a second toJSON).
   */
  toTimeSeries(record: T, document?: Readonly<Record<string, unknown>>): TimeSeriesRecord;
}

/** How the pipeline reads a batch envelope (records carried as bytes + their CRC-32). */
export interface BatchCodec<B> {
  readonly message: string;
  decode(bytes: Uint8Array): B;
  readonly checker: ConstraintChecker;
  batchId(batch: B): string;
  vehicleId(batch: B): string;
  schemaVersion(batch: B): number;
  records(batch: B): readonly Uint8Array[];
  checksum(batch: B): number;
}

/** Options of `toTimeSeriesRecord`. */
export interface TimeSeriesMapping {
  readonly measureName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timeMs: number;
  /** Leaf paths left out of the measures (ids and the time are dimensions or the key). */
  readonly exclude?: readonly string[] | ReadonlySet<string>;
}

/**
 * A multi-measure time-series point from a JSON document: every number and boolean leaf
 * becomes a measure named by its dotted path (`engine.rpmValue`).
 */
export function toTimeSeriesRecord(
  json: Readonly<Record<string, unknown>>,
  mapping: TimeSeriesMapping,
): TimeSeriesRecord {
  const measures: Record<string, number | boolean> = {};
  // Generated codecs pass one Set for every record; a list is turned into one per call.
  const exclude: ReadonlySet<string> =
    mapping.exclude instanceof Set ? mapping.exclude : new Set(mapping.exclude ?? []);
  const walk = (value: unknown, path: string): void => {
    if (exclude.has(path)) return;
    if (typeof value === "number" || typeof value === "boolean") measures[path] = value;
    else if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  walk(json, "");
  return {
    dimensions: mapping.dimensions,
    measureName: mapping.measureName,
    timeMs: mapping.timeMs,
    measures,
  };
}

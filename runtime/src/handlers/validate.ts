import type { ConstraintChecker } from "../constraints.js";
import type { RecordCodec } from "./codec.js";
import { PipelineFailure } from "./failure.js";

/** The timestamp policy (`platform.maxClockSkewMs`, `platform.maxAgeMs`). */
export interface FreshnessPolicy {
  readonly maxClockSkewMs: number;
  readonly maxAgeMs: number;
}

/** Decodes protobuf bytes; any decoder exception is FM-07. */
export function decodeOrFail<T>(
  decode: (bytes: Uint8Array) => T,
  bytes: Uint8Array,
  message: string,
): T {
  try {
    return decode(bytes);
  } catch (error) {
    throw new PipelineFailure(
      "protobuf-parse",
      `cannot decode ${message}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Checks the sender's schema version against the message option (before the range checks,
 * whose schema_version bounds would otherwise report it as a range violation).
 */
export function checkSchemaVersion(checker: ConstraintChecker, version: number): void {
  const { schemaVersion, minSupportedSchemaVersion, message } = checker.table;
  if (version < minSupportedSchemaVersion || version > schemaVersion) {
    throw new PipelineFailure(
      "schema-version",
      `${message} schema_version ${version} outside supported [${minSupportedSchemaVersion}, ${schemaVersion}]`,
    );
  }
}

/** Runs the generated range/pattern checks; every violation is listed in the detail. */
export function checkConstraints(checker: ConstraintChecker, message: object): void {
  const violations = checker.check(message);
  if (violations.length > 0) {
    throw new PipelineFailure("range-violation", violations.map((v) => v.message).join("; "));
  }
}

/** The topic's vehicle id must be the payload's (a vehicle may only publish as itself). */
export function checkVehicle(topicVehicleId: string, payloadVehicleId: string): void {
  if (topicVehicleId !== payloadVehicleId) {
    throw new PipelineFailure(
      "vehicle-mismatch",
      `topic vehicle ${topicVehicleId} differs from payload vehicle ${payloadVehicleId}`,
    );
  }
}

/** Rejects a sample time too far in the future (clock skew) or too old (FM-21). */
export function checkFreshness(timestampMs: number, nowMs: number, policy: FreshnessPolicy): void {
  if (timestampMs > nowMs + policy.maxClockSkewMs) {
    throw new PipelineFailure(
      "clock-skew",
      `timestamp ${timestampMs} is ${timestampMs - nowMs} ms ahead of the cloud clock (max ${policy.maxClockSkewMs})`,
    );
  }
  if (timestampMs < nowMs - policy.maxAgeMs) {
    throw new PipelineFailure(
      "clock-skew",
      `timestamp ${timestampMs} is ${nowMs - timestampMs} ms old (max ${policy.maxAgeMs})`,
    );
  }
}

/**
 * Decodes and validates one telemetry record: protobuf, schema version, generated range
 * checks, topic/payload vehicle id, timestamp freshness. Throws a PipelineFailure.
 */
export function validateRecord<T>(
  codec: RecordCodec<T>,
  bytes: Uint8Array,
  topicVehicleId: string,
  nowMs: number,
  policy: FreshnessPolicy,
): T {
  const record = decodeOrFail((b) => codec.decode(b), bytes, codec.message);
  checkSchemaVersion(codec.checker, codec.schemaVersion(record));
  checkConstraints(codec.checker, record as object);
  checkVehicle(topicVehicleId, codec.vehicleId(record));
  checkFreshness(codec.timestampMs(record), nowMs, policy);
  return record;
}

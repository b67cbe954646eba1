import type { ConstraintChecker } from "../constraints.js";
import type { RecordCodec } from "./codec.js";
import { PipelineFailure } from "./failure.js";

/** The timestamp policy (`platform.maxClockSkewMs`, `platform.maxAgeMs`). */
export interface FreshnessPolicy {
  readonly maxClockSkewMs: number;
  readonly maxAgeMs: number;
}

/**
 * Decodes protobuf bytes with a decode function or a codec's `decode`; an empty payload or any decoder exception is a decode error (an
 * empty payload decodes to all defaults in protobuf, which would otherwise surface later as a
 * misleading schema-version or range failure).
 */
export function decodeOrFail<T>(
  decoder: ((bytes: Uint8Array) => T) | { decode(bytes: Uint8Array): T },
  bytes: Uint8Array,
  message: string,
): T {
  if (bytes.byteLength === 0) {
    throw new PipelineFailure("decode-error", `cannot decode ${message}: empty payload`);
  }
  try {
    // A codec is called as a method (no closure per record on the hot path).
    return typeof decoder === "function" ? decoder(bytes) : decoder.decode(bytes);
  } catch (error) {
    throw new PipelineFailure(
      "decode-error",
      `cannot decode ${message}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Checks the sender's schema version against the message option (before the range checks,
 * whose schema-version bounds would otherwise report it as a range violation).
 */
export function checkSchemaVersion(checker: ConstraintChecker, version: number): void {
  const { schemaVersion, minSupportedSchemaVersion, message } = checker.table;
  if (version < minSupportedSchemaVersion || version > schemaVersion) {
    throw new PipelineFailure(
      "schema-version",
      `${message} schema version ${version} outside supported [${minSupportedSchemaVersion}, ${schemaVersion}]`,
    );
  }
}

/** Runs the generated range/pattern checks; every violation is listed in the detail. */
export function checkConstraints(checker: ConstraintChecker, message: object): void {
  if (checker.valid(message)) return;
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

/** Rejects a sample time too far in the future or too old (clock skew). */
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

/** A validated record and the document the key-value stores receive. */
export interface ValidRecord<T> {
  readonly record: T;
  readonly document: Readonly<Record<string, unknown>>;
}

/**
 * A validated record whose JSON document is built on first use: a record the pipeline drops
 * (a duplicate, a failed claim) never pays for it, and validation no longer needs it.
 */
class Validated<T> implements ValidRecord<T> {
  private stored: Readonly<Record<string, unknown>> | undefined;

  constructor(
    readonly record: T,
    private readonly codec: RecordCodec<T>,
  ) {}

  get document(): Readonly<Record<string, unknown>> {
    return (this.stored ??= this.codec.toStored(this.record));
  }
}

/**
 * Decodes and validates one record: protobuf (empty is a decode error), schema version,
 * generated range checks, enum values inside their enums, a message id, topic/payload
 * vehicle id, timestamp freshness. Throws a PipelineFailure.
 */
export function validateRecord<T>(
  codec: RecordCodec<T>,
  bytes: Uint8Array,
  topicVehicleId: string,
  nowMs: number,
  policy: FreshnessPolicy,
): ValidRecord<T> {
  const record = decodeOrFail(codec, bytes, codec.message);
  checkSchemaVersion(codec.checker, codec.schemaVersion(record));
  checkConstraints(codec.checker, record as object);
  checkEnums(codec, record);
  if (codec.messageId(record) === "") {
    // The dedup and storage key: a message without one cannot be told from any other.
    throw new PipelineFailure("range-violation", `${codec.message} has an empty message id`);
  }
  checkVehicle(topicVehicleId, codec.vehicleId(record));
  checkFreshness(codec.timestampMs(record), nowMs, policy);
  return new Validated(record, codec);
}

/** Enum numbers outside their enums (the codec's generated enum fields, read on the record). */
export function checkEnums<T>(codec: RecordCodec<T>, record: T): void {
  if (codec.enums.allKnown(record as object)) return;
  throw new PipelineFailure(
    "range-violation",
    `enum value outside its enum: ${codec.enums.unknownPaths(record as object).join("; ")}`,
  );
}

import type { FieldConstraintModel, MessageModel, Model } from "../../model/types.js";

/**
 * The envelope fields of a payload message that the client fills itself, recognised from the
 * message's constraints (not from field names): a required UUID string, a required string
 * with the vehicle id pattern, required epoch-millisecond numbers, the schema version.
 */
export interface EnvelopeFields {
  /** Required string with a UUID pattern (message id, batch id, command id). */
  readonly id?: string;
  /** Required string with the same pattern as the channel's vehicle id parameter. */
  readonly vehicle?: string;
  /** Required `ms` numbers, in declaration order (timestamp; issued/expires for commands). */
  readonly timestamps: readonly string[];
  /** Required number pinned to the message's schema version (min = max = version). */
  readonly schemaVersion?: string;
  /** Required repeated bytes (a batch's records). */
  readonly records?: string;
  /** Required fixed number named like a CRC-32 (a batch's records checksum). */
  readonly checksum?: string;
}

const UUID_HINT = /\[89ab\]/;

/** The pattern of the first channel parameter that carries the vehicle id (the client id template's parameter). */
export function vehicleIdPattern(model: Model): string | undefined {
  const name = /\{([^}]+)\}/.exec(model.servers[0]?.clientIdTemplate ?? "")?.[1];
  for (const c of model.channels) {
    const p = c.parameters.find((x) => x.name === name);
    if (p?.pattern) return p.pattern;
  }
  return undefined;
}

/** Classifies the top-level required fields of `message`. */
export function envelopeFields(message: MessageModel, model: Model): EnvelopeFields {
  const vinPattern = vehicleIdPattern(model);
  const top = message.constraints.filter((c) => !c.path.includes(".") && c.required);
  const is = (c: FieldConstraintModel, kind: FieldConstraintModel["kind"]) =>
    c.kind === kind || (kind === "number" && c.kind === "bigint-number");
  const id = top.find(
    (c) => is(c, "string") && !c.repeated && c.pattern !== undefined && UUID_HINT.test(c.pattern),
  );
  const vehicle = top.find(
    (c) => is(c, "string") && !c.repeated && vinPattern !== undefined && c.pattern === vinPattern,
  );
  const timestamps = top
    .filter((c) => is(c, "number") && !c.repeated && c.unit === "ms")
    .map((c) => c.path);
  const schemaVersion = top.find(
    (c) => is(c, "number") && c.min === message.schemaVersion && c.max === message.schemaVersion,
  );
  const records = top.find((c) => c.kind === "bytes" && c.repeated);
  const checksum = top.find((c) => is(c, "number") && !c.repeated && /crc32/i.test(c.path));
  return {
    ...(id ? { id: id.path } : {}),
    ...(vehicle ? { vehicle: vehicle.path } : {}),
    timestamps,
    ...(schemaVersion ? { schemaVersion: schemaVersion.path } : {}),
    ...(records ? { records: records.path } : {}),
    ...(checksum ? { checksum: checksum.path } : {}),
  };
}

/** Envelope paths as a TypeScript union of string literals (for `Omit<...>`). */
export function envelopeKeys(f: EnvelopeFields): string[] {
  return [f.id, f.vehicle, ...f.timestamps, f.schemaVersion].filter(
    (x): x is string => x !== undefined,
  );
}

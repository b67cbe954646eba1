import { getOption, hasOption, type DescExtension, type DescMessage } from "@bufbuild/protobuf";
import { NO_POSITION, type Position } from "../diagnostics.js";
import { sourcePath, type LoadedProto } from "./proto.js";

/** Fully-qualified name of the message-level envelope option. */
export const ENVELOPE_OPTION = "v2c.options.v1.envelope";
/** Fully-qualified name of the field-level unit option. */
export const UNIT_OPTION = "v2c.options.v1.unit";

/** The role names of `(v2c.options.v1.envelope)` that name a field of the message. */
export const ENVELOPE_FIELD_ROLES = [
  "messageId",
  "correlationId",
  "vehicleId",
  "eventTime",
  "expiresAt",
  "schemaVersion",
  "records",
  "checksum",
] as const;
export type EnvelopeFieldRole = (typeof ENVELOPE_FIELD_ROLES)[number];

/** `(v2c.options.v1.envelope)` as written: every role a field name or "" when unset. */
export type RawEnvelope = Record<EnvelopeFieldRole, string> & {
  vehicleParameter: string;
  recordMessage: string;
};

/** The envelope option of a message with where each role is written, or undefined when absent. */
export interface LocatedEnvelope {
  readonly value: RawEnvelope;
  readonly file: string;
  /** Position of the whole option (falls back to the message). */
  readonly pos: Position;
  /** Position of one role's value (falls back to the option). */
  at(role: keyof RawEnvelope): Position;
}

/** Proto field numbers of the roles in `Envelope` (envelope.proto), for source positions. */
const ROLE_NUMBERS: Record<keyof RawEnvelope, number> = {
  messageId: 1,
  correlationId: 2,
  vehicleId: 3,
  vehicleParameter: 4,
  eventTime: 5,
  expiresAt: 6,
  schemaVersion: 7,
  records: 8,
  checksum: 9,
  recordMessage: 10,
};

/** Reads a message's `(v2c.options.v1.envelope)` with source positions. */
export function messageEnvelope(
  proto: LoadedProto,
  message: DescMessage,
): LocatedEnvelope | undefined {
  const ext = proto.registry.getExtension(ENVELOPE_OPTION) as DescExtension | undefined;
  if (!ext || !hasOption(message as never, ext as never)) return undefined;
  const value = getOption(message as never, ext as never) as RawEnvelope;
  const where = proto.locate(message);
  const base = [...sourcePath(message), 7, ext.number];
  const find = (path: number[]): Position | undefined => {
    const loc = message.file.proto.sourceCodeInfo?.location.find(
      (l) => l.path.length === path.length && l.path.every((v, i) => v === path[i]),
    );
    const span = loc?.span;
    return span && span.length >= 2 ? { line: span[0]! + 1, column: span[1]! + 1 } : undefined;
  };
  const pos = find(base) ?? where.pos;
  return {
    value,
    file: where.file,
    pos: pos === NO_POSITION ? where.pos : pos,
    at: (role) => find([...base, ROLE_NUMBERS[role]]) ?? pos,
  };
}

/** Reads a field's `(v2c.options.v1.unit)`, if any. */
export function fieldUnit(
  proto: LoadedProto,
  field: DescMessage["fields"][number],
): string | undefined {
  const ext = proto.registry.getExtension(UNIT_OPTION) as DescExtension | undefined;
  if (!ext || !hasOption(field as never, ext as never)) return undefined;
  return (getOption(field as never, ext as never) as string) || undefined;
}

import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { DiagnosticBag, Position } from "../diagnostics.js";
import {
  ENVELOPE_FIELD_ROLES,
  messageEnvelope,
  type EnvelopeFieldRole,
  type LocatedEnvelope,
  type RawEnvelope,
} from "../load/proto-envelope.js";
import type { LoadedProto } from "../load/proto.js";
import type {
  ChannelModel,
  ConstraintKind,
  EnvelopeFieldModel,
  EnvelopeModel,
  MessageModel,
  OperationModel,
  ServerModel,
} from "./types.js";

/** A role's name as written in the option (`eventTime` -> `event_time`), for messages. */
function protoRole(role: keyof RawEnvelope): string {
  return role.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

// ScalarType numbers from descriptor.proto.
const STRING = [9];
const INT64 = [3, 4, 6, 16, 18];
const INT32 = [5, 7, 13, 15, 17];
const CRC = [7, 13];
const BYTES = [12];

/** What each role's field must be: allowed scalar types, repeated or not, and how to say it. */
const ROLE_TYPES: Record<EnvelopeFieldRole, { scalars: number[]; list: boolean; text: string }> = {
  messageId: { scalars: STRING, list: false, text: "a string" },
  correlationId: { scalars: STRING, list: false, text: "a string" },
  vehicleId: { scalars: STRING, list: false, text: "a string" },
  eventTime: { scalars: INT64, list: false, text: "a 64-bit integer (epoch milliseconds)" },
  expiresAt: { scalars: INT64, list: false, text: "a 64-bit integer (epoch milliseconds)" },
  schemaVersion: { scalars: INT32, list: false, text: "a 32-bit integer" },
  records: { scalars: BYTES, list: true, text: "repeated bytes" },
  checksum: { scalars: CRC, list: false, text: "fixed32 or uint32 (CRC-32)" },
};

/** Where a message's envelope is declared, kept for the usage checks after operations are built. */
export interface EnvelopeSite {
  readonly file: string;
  readonly pos: Position;
  readonly located?: LocatedEnvelope;
}

function kindOf(field: DescField): ConstraintKind {
  const scalar =
    field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")
      ? field.scalar
      : undefined;
  if (scalar === undefined) return field.fieldKind === "enum" ? "enum" : "message";
  if (scalar === 9) return "string";
  if (scalar === 12) return "bytes";
  if (INT64.includes(scalar)) return "bigint-number";
  return "number";
}

/**
 * Reads `(v2c.options.v1.envelope)` of `desc`, checking that every role names a top-level field
 * of the right type. Errors are located at the role inside the option.
 */
export function buildEnvelope(
  proto: LoadedProto,
  desc: DescMessage,
  servers: readonly ServerModel[],
  bag: DiagnosticBag,
): { envelope: EnvelopeModel; site: EnvelopeSite } {
  const located = messageEnvelope(proto, desc);
  const where = proto.locate(desc);
  if (!located) return { envelope: {}, site: { file: where.file, pos: where.pos } };
  const raw = located.value;
  const out: { -readonly [K in keyof EnvelopeModel]: EnvelopeModel[K] } = {};
  for (const role of ENVELOPE_FIELD_ROLES) {
    const name = raw[role];
    if (!name) continue;
    const field = desc.fields.find((f) => f.name === name);
    if (!field) {
      bag.error(
        located.file,
        located.at(role),
        "proto/envelope-unknown-field",
        `${desc.typeName}: envelope role ${protoRole(role)} names "${name}", which is not a field of the message (fields: ${desc.fields.map((f) => f.name).join(", ")})`,
      );
      continue;
    }
    const want = ROLE_TYPES[role];
    const scalar =
      field.fieldKind === "scalar" || (field.fieldKind === "list" && field.listKind === "scalar")
        ? field.scalar
        : undefined;
    const isList = field.fieldKind === "list";
    if (scalar === undefined || !want.scalars.includes(scalar) || isList !== want.list) {
      bag.error(
        located.file,
        located.at(role),
        "proto/envelope-field-type",
        `${desc.typeName}: envelope role ${protoRole(role)} needs ${want.text}; field "${name}" is not`,
      );
      continue;
    }
    out[role] = {
      field: field.name,
      path: field.localName,
      kind: kindOf(field),
    } satisfies EnvelopeFieldModel;
  }
  if (raw.vehicleParameter) out.vehicleParameter = raw.vehicleParameter;
  else if (out.vehicleId) {
    const param = /\{([^}]+)\}/.exec(servers[0]?.clientIdTemplate ?? "")?.[1];
    if (param) out.vehicleParameter = param;
    else
      bag.error(
        located.file,
        located.at("vehicleId"),
        "proto/envelope-vehicle-parameter",
        `${desc.typeName}: envelope role ${protoRole("vehicleId")} needs ${protoRole("vehicleParameter")} (no server's MQTT clientId names a "{parameter}")`,
      );
  }
  if (raw.recordMessage) out.recordMessage = { protoName: raw.recordMessage, messageId: "" };
  return { envelope: out, site: { file: located.file, pos: located.pos, located } };
}

/**
 * Checks what each use of a message needs from its envelope (a handled message needs a message
 * id; a batch its records, checksum and record type; a reply a correlation id, its request a
 * correlation or message id; a vehicle id needs its topic parameter on the channel) and resolves
 * a batch's record message to its AsyncAPI message. Returns the messages with records resolved.
 */
export function checkEnvelopeUses(
  messages: MessageModel[],
  channels: readonly ChannelModel[],
  operations: readonly OperationModel[],
  sites: ReadonlyMap<string, EnvelopeSite>,
  bag: DiagnosticBag,
): MessageModel[] {
  const report = (
    m: MessageModel,
    role: keyof RawEnvelope | undefined,
    code: string,
    text: string,
  ) => {
    const site = sites.get(m.id);
    if (!site) return;
    const pos = role && site.located ? site.located.at(role) : site.pos;
    bag.error(site.file, pos, code, `${m.protoName}: ${text}`);
  };
  const byId = new Map(messages.map((m) => [m.id, m]));
  const resolved = messages.map((m) => {
    const rec = m.envelope.recordMessage;
    if (!rec) return m;
    const target = messages.find((x) => x.protoName === rec.protoName);
    if (!target) {
      report(
        m,
        "recordMessage",
        "proto/envelope-record-message",
        `envelope record_message "${rec.protoName}" is not the payload of any message in asyncapi.yaml components.messages`,
      );
      return m;
    }
    return { ...m, envelope: { ...m.envelope, recordMessage: { ...rec, messageId: target.id } } };
  });
  for (const op of operations) {
    const m = byId.get(op.messageId);
    if (!m) continue;
    const env = m.envelope;
    const use = `operation "${op.id}"`;
    if (op.handler && !env.messageId)
      report(
        m,
        undefined,
        "proto/envelope-missing-role",
        `${use} has x-handler, so the message needs envelope role message_id (the dedup key)`,
      );
    if (op.batch) {
      for (const role of ["records", "checksum", "recordMessage"] as const)
        if (!env[role])
          report(
            m,
            undefined,
            "proto/envelope-missing-role",
            `${use} has x-batch, so the message needs envelope role ${protoRole(role)}`,
          );
    }
    const channel = channels.find((c) => c.id === op.channelId);
    if (
      env.vehicleParameter &&
      channel &&
      !channel.parameters.some((p) => p.name === env.vehicleParameter)
    )
      report(
        m,
        "vehicleParameter",
        "proto/envelope-vehicle-parameter",
        `vehicle parameter "${env.vehicleParameter}" is not a parameter of channel "${channel.id}" (${channel.address}) used by ${use}`,
      );
  }
  return resolved;
}

import type { MessageModel, Model, OperationModel, ParameterModel } from "../../model/types.js";
import { camel, pascal } from "../names.js";
import { envelopeView } from "./envelope.js";

/** Names of a message's generated artefacts in `@v2c/spec` and the client. */
export function payloadView(message: MessageModel, reply = false) {
  return {
    message,
    type: message.tsName,
    checker: `${camel(message.id)}Checker`,
    snapshotType: `${message.tsName}Snapshot`,
    envelope: envelopeView(message, reply),
  };
}
export type PayloadView = ReturnType<typeof payloadView>;

function messageOf(model: Model, id: string): MessageModel {
  const m = model.messages.find((x) => x.id === id);
  if (!m) throw new Error(`ecu-client: unknown message ${id}`);
  return m;
}

function channelOf(model: Model, op: OperationModel) {
  const channel = model.channels.find((c) => c.id === op.channelId);
  if (!channel) throw new Error(`ecu-client: operation ${op.id} has no channel`);
  return {
    channel,
    topic: `${camel(channel.id)}Topic`,
    channelId: channel.id,
    hasAlias: channel.topicAlias !== undefined,
  };
}

/** The operation's MQTT delivery as the session takes it (QoS, retain, expiry, offline). */
function delivery(op: OperationModel) {
  return {
    qos: op.qos,
    retain: op.retain,
    expiryS: op.messageExpiryS ?? null,
    offline: op.offline,
    deliveryLiteral: `{ qos: ${op.qos}, retain: ${op.retain}, offline: "${op.offline}"${
      op.messageExpiryS !== undefined ? `, messageExpiryS: ${op.messageExpiryS}` : ""
    } }`,
  };
}

/**
 * The payloads the client builds (each gets a snapshot type and a build method): the messages
 * of single-message sends, the records of batches, and replies. In first-use order.
 */
export function clientPayloads(model: Model): PayloadView[] {
  const out = new Map<string, PayloadView>();
  const add = (m: MessageModel, reply = false) => {
    if (!out.has(m.id)) out.set(m.id, payloadView(m, reply));
  };
  for (const op of model.operations) {
    if (op.action === "send" && !op.batch) add(messageOf(model, op.messageId));
    if (op.action === "send" && op.batch) {
      const rec = messageOf(model, op.messageId).envelope.recordMessage;
      if (rec?.messageId) add(messageOf(model, rec.messageId));
    }
    if (op.action === "receive" && op.reply) add(messageOf(model, op.reply.messageId), true);
  }
  return [...out.values()];
}

/** Every send operation without `x-batch`: one typed publish method each. */
export function sendViews(model: Model) {
  const payloads = clientPayloads(model);
  return model.operations
    .filter((op) => op.action === "send" && !op.batch)
    .map((op) => ({
      id: op.id,
      ...channelOf(model, op),
      ...delivery(op),
      ...payloads.find((p) => p.message.id === op.messageId)!,
    }));
}

/** Every send operation with `x-batch`: publish/collect/flush methods over its record payload. */
export function batchViews(model: Model) {
  const payloads = clientPayloads(model);
  return model.operations
    .filter((op) => op.action === "send" && op.batch)
    .map((op) => {
      const message = messageOf(model, op.messageId);
      const recordId = message.envelope.recordMessage?.messageId;
      const record = payloads.find((p) => p.message.id === recordId);
      if (!record)
        throw new Error(
          `ecu-client: batch operation ${op.id} has no record message (checked in the model)`,
        );
      const suffix = pascal(op.id);
      const b = op.batch!;
      return {
        id: op.id,
        collect: `collect${suffix}`,
        flush: `flush${suffix}`,
        codec: `${camel(message.id)}Codec`,
        record,
        message,
        type: message.tsName,
        envelope: envelopeView(message),
        figures: `${b.minMessages}-${b.maxMessages} records, ${b.intervalMs} ms, ≤ ${b.maxCompressedBytes} bytes compressed, zstd level ${b.zstdLevel}`,
        ...channelOf(model, op),
        ...delivery(op),
      };
    });
}

/** Every receive operation: a typed handler; with `reply`, the handler returns the reply. */
export function receiveViews(model: Model) {
  const payloads = clientPayloads(model);
  return model.operations
    .filter((op) => op.action === "receive")
    .map((op) => {
      const request = payloadView(messageOf(model, op.messageId));
      const replyPayload = op.reply
        ? payloads.find((p) => p.message.id === op.reply!.messageId)!
        : undefined;
      const reply = replyPayload
        ? {
            ...replyPayload,
            channelId: op.reply!.channelId,
            hasAlias:
              model.channels.find((c) => c.id === op.reply!.channelId)?.topicAlias !== undefined,
            /** Request field the reply's correlation id is copied from. */
            correlationFrom: request.envelope.correlation ?? request.envelope.id,
            correlationTo: replyPayload.envelope.correlation,
          }
        : null;
      return {
        id: op.id,
        method: `on${pascal(op.id)}`,
        handlerType: `${request.type}Handler`,
        ...request,
        expires: request.envelope.expires,
        /** The request's correlation field when it is not its message id (else null). */
        ownCorrelation:
          request.envelope.correlation !== request.envelope.id
            ? request.envelope.correlation
            : null,
        ...channelOf(model, op),
        ...delivery(op),
        reply,
      };
    });
}

/** A topic parameter as the client fills it: the vehicle id, or a typed config value. */
export interface TopicParamView {
  readonly name: string;
  readonly source: "vehicleId" | "config";
  readonly description: string;
  /** TypeScript type: the enum's literals, or string (checked against the pattern at build). */
  readonly type: string;
  readonly example: string;
}

/**
 * The channel parameters of the client's channels. The vehicle parameter is declared by the
 * envelope (`vehicle_parameter`, default the server's clientId `{param}`); every other one is
 * a value of the client's config typed from its enum or pattern — never assumed.
 */
export function topicParamViews(model: Model): TopicParamView[] {
  const vehicle = new Set(
    model.messages.map((m) => m.envelope.vehicleParameter).filter((x): x is string => !!x),
  );
  const fromClientId = /\{([^}]+)\}/.exec(model.servers[0]?.clientIdTemplate ?? "")?.[1];
  if (fromClientId) vehicle.add(fromClientId);
  const used = new Set(
    model.operations.flatMap((op) => [op.channelId, ...(op.reply ? [op.reply.channelId] : [])]),
  );
  const params = new Map<string, ParameterModel>();
  for (const c of model.channels)
    if (used.has(c.id))
      for (const p of c.parameters) if (!params.has(p.name)) params.set(p.name, p);
  return [...params.values()].map((p) => ({
    name: p.name,
    source: vehicle.has(p.name) ? ("vehicleId" as const) : ("config" as const),
    description: p.description || p.name,
    type: p.enum ? p.enum.map((e) => JSON.stringify(e)).join(" | ") : "string",
    example: p.example,
  }));
}

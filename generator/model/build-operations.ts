import type { RawAsyncApi, RawOperation } from "../load/asyncapi-types.js";
import { buildSla } from "./build-contract.js";
import { SourceContext, refSegments, resolveLocalRef } from "./context.js";
import type { MessageModel, OperationModel } from "./types.js";

/**
 * Builds every operation from its standard AsyncAPI fields (action, channel, MQTT binding,
 * reply) and its extensions; every bad value is a located error.
 */
export function buildOperations(
  doc: RawAsyncApi,
  ctx: SourceContext,
  channelIds: Set<string>,
): OperationModel[] {
  return Object.entries(doc.operations ?? {}).map(([id, op]) => {
    const base = ["operations", id];
    const channelId = refSegments(op.channel?.$ref ?? "")[1] ?? "";
    if (!channelIds.has(channelId))
      ctx.error(
        [...base, "channel"],
        "asyncapi/unknown-channel",
        `operation "${id}" refers to unknown channel "${op.channel?.$ref}"`,
      );
    const ch = doc.channels[channelId];
    const msgKey = Object.keys(ch?.messages ?? {})[0] ?? "";
    const msgRef = ch?.messages?.[msgKey]?.$ref;
    const messageId = msgRef ? (refSegments(msgRef)[2] ?? msgKey) : msgKey;
    const mqtt = op.bindings?.mqtt ?? {};
    const qos = mqtt.qos ?? 0;
    if (![0, 1, 2].includes(qos))
      ctx.error(
        [...base, "bindings", "mqtt", "qos"],
        "asyncapi/bad-qos",
        `QoS must be 0, 1 or 2, got ${qos}`,
      );
    // QoS 2 against the broker is checked with x-v2c (build-platform.ts).
    const expiry = mqtt.messageExpiryInterval;
    if (expiry !== undefined && (!Number.isInteger(expiry) || expiry < 1 || expiry > 0xffffffff))
      ctx.error(
        [...base, "bindings", "mqtt", "messageExpiryInterval"],
        "asyncapi/bad-expiry",
        `messageExpiryInterval must be a whole number of seconds in 1..4294967295, got ${expiry}`,
      );
    const offline = op["x-offline"] ?? (qos === 0 ? "drop" : "queue");
    if (offline !== "queue" && offline !== "drop")
      ctx.error(
        [...base, "x-offline"],
        "asyncapi/bad-offline",
        `x-offline must be "queue" or "drop", got "${String(offline)}"`,
      );
    if (op["x-offline"] !== undefined && op.action !== "send")
      ctx.error(
        [...base, "x-offline"],
        "asyncapi/bad-offline",
        `x-offline applies to send operations only`,
      );
    if (op["x-batch"] && op.action !== "send")
      ctx.error(
        [...base, "x-batch"],
        "asyncapi/bad-batch",
        `x-batch applies to send operations only`,
      );
    const reply = op.reply ? buildReply(doc, ctx, id, op, channelIds) : undefined;
    const interval = op["x-publish-interval"];
    const handler = op["x-handler"];
    const batch = op["x-batch"];
    return {
      id,
      action: op.action,
      title: op.title ?? id,
      summary: op.summary ?? "",
      channelId,
      messageId,
      qos: qos as 0 | 1 | 2,
      retain: mqtt.retain ?? false,
      ...(expiry !== undefined ? { messageExpiryS: expiry } : {}),
      offline: offline === "queue" ? "queue" : "drop",
      ...(reply ? { reply } : {}),
      ...(interval
        ? {
            publishIntervalMs: {
              min: ctx.duration(interval.min, [...base, "x-publish-interval", "min"]),
              max: ctx.duration(interval.max, [...base, "x-publish-interval", "max"]),
              default: ctx.duration(interval.default, [...base, "x-publish-interval", "default"]),
            },
          }
        : {}),
      ...(op["x-payload-size-bytes"]
        ? { payloadSizeBytes: { ...op["x-payload-size-bytes"] } }
        : {}),
      ...(op["x-dedup-window"]
        ? { dedupWindowMs: ctx.duration(op["x-dedup-window"], [...base, "x-dedup-window"]) }
        : {}),
      ...(handler
        ? {
            handler: {
              name: handler.name,
              memoryMb: handler["memory-mb"],
              timeoutMs: ctx.duration(handler.timeout, [...base, "x-handler", "timeout"]),
              reservedConcurrency: handler["reserved-concurrency"],
              writes: handler.writes ?? [], // checked and completed by attachHandlers (build-handlers.ts)
              deadLetter: "",
            },
          }
        : {}),
      ...(batch
        ? {
            batch: {
              intervalMs: ctx.duration(batch.interval, [...base, "x-batch", "interval"]),
              minMessages: batch["min-messages"],
              maxMessages: batch["max-messages"],
              maxCompressedBytes: batch["max-compressed-bytes"],
              maxDecompressedBytes: batch["max-decompressed-bytes"],
              zstdLevel: batch.compression.level,
              ...(batch["uncompressed-bytes"] !== undefined
                ? { uncompressedBytes: batch["uncompressed-bytes"] }
                : {}),
              ...(batch["compressed-bytes"]
                ? { compressedBytes: { ...batch["compressed-bytes"] } }
                : {}),
              ...(batch.compression["min-reduction"] !== undefined &&
              batch.compression["max-reduction"] !== undefined
                ? {
                    reduction: {
                      min: batch.compression["min-reduction"],
                      max: batch.compression["max-reduction"],
                    },
                  }
                : {}),
            },
          }
        : {}),
      sla: buildSla(op["x-sla"], ctx, [...base, "x-sla"]),
    };
  });
}

/** The component message id a `$ref` names: `#/components/messages/X` or `#/channels/c/messages/k`. */
function messageIdOf(doc: RawAsyncApi, ref: string): string | undefined {
  const seg = refSegments(ref);
  if (seg[0] === "components" && seg[1] === "messages") return seg[2];
  if (seg[0] === "channels" && seg[2] === "messages") {
    const inner = doc.channels?.[seg[1]!]?.messages?.[seg[3]!];
    if (!inner) return undefined;
    return inner.$ref ? messageIdOf(doc, inner.$ref) : seg[3];
  }
  return undefined;
}

/** Resolves an operation's AsyncAPI 3 `reply` (channel + one message), reporting what does not resolve. */
function buildReply(
  doc: RawAsyncApi,
  ctx: SourceContext,
  id: string,
  op: RawOperation,
  channelIds: Set<string>,
): { channelId: string; messageId: string } | undefined {
  const base = ["operations", id, "reply"];
  if (op.action !== "receive") {
    ctx.error(
      base,
      "asyncapi/reply-on-send",
      `operation "${id}": reply is supported on receive operations (the vehicle answers a cloud request)`,
    );
    return undefined;
  }
  const ref = op.reply?.channel?.$ref ?? "";
  const channelId = refSegments(ref)[1] ?? "";
  if (!ref || !channelIds.has(channelId)) {
    ctx.error(
      [...base, "channel"],
      "asyncapi/unknown-channel",
      `operation "${id}": reply channel "${ref}" is not a channel of this document`,
    );
    return undefined;
  }
  if (channelId === refSegments(op.channel?.$ref ?? "")[1])
    ctx.error(
      [...base, "channel"],
      "asyncapi/reply-channel",
      `operation "${id}": the reply channel must differ from the request channel`,
    );
  const msgs = op.reply?.messages ?? [];
  const fromChannel = Object.values(doc.channels[channelId]?.messages ?? {});
  const msgRef = msgs[0]?.$ref ?? (fromChannel.length === 1 ? fromChannel[0]!.$ref : undefined);
  const messageId = msgRef ? messageIdOf(doc, msgRef) : undefined;
  if (
    msgs.length > 1 ||
    !messageId ||
    !resolveLocalRef(doc, `#/components/messages/${messageId}`)
  ) {
    ctx.error(
      [...base, "messages"],
      "asyncapi/unknown-message",
      `operation "${id}": the reply needs exactly one message that resolves to components.messages`,
    );
    return undefined;
  }
  return { channelId, messageId };
}

/**
 * Request/reply needs ids to correlate: the reply message a `correlation_id` envelope role, the
 * request a `correlation_id` or `message_id` role (copied into the reply).
 */
export function checkReplies(
  operations: readonly OperationModel[],
  messages: readonly MessageModel[],
  ctx: SourceContext,
): void {
  for (const op of operations) {
    if (!op.reply) continue;
    const request = messages.find((m) => m.id === op.messageId);
    const reply = messages.find((m) => m.id === op.reply!.messageId);
    if (reply && !reply.envelope.correlationId)
      ctx.error(
        ["operations", op.id, "reply", "messages"],
        "asyncapi/reply-correlation",
        `operation "${op.id}": reply message "${reply.id}" (${reply.protoName}) needs envelope role correlation_id in (v2c.options.v1.envelope)`,
      );
    if (request && !request.envelope.correlationId && !request.envelope.messageId)
      ctx.error(
        ["operations", op.id, "reply"],
        "asyncapi/reply-correlation",
        `operation "${op.id}": request message "${request.id}" (${request.protoName}) needs envelope role correlation_id or message_id to correlate its reply`,
      );
  }
}

import type { FailureModeModel, Model, OperationModel } from "../../model/types.js";
import { camel, pascal } from "../names.js";
import { envelopeView } from "./envelope.js";
import { clientPolicyRows, msList } from "./policies.js";

/** The spec package the generated client reads its data from. */
export const SPEC = "@v2c/spec";
/** The runtime entry point the generated client builds on. */
export const RUNTIME_CLIENT = "@v2c/runtime/client/index";

/** One FMEA row as the templates print it (constant name and a human label). */
export interface RowView {
  readonly id: string;
  readonly key: string;
  readonly name: string;
}

function row(fm: FailureModeModel): RowView {
  return { id: fm.id, key: fm.key, name: fm.name };
}

/** Names of a message's generated artefacts in `@v2c/spec`. */
function messageNames(model: Model, op: OperationModel) {
  const message = model.messages.find((m) => m.id === op.messageId);
  const channel = model.channels.find((c) => c.id === op.channelId);
  if (!message || !channel)
    throw new Error(`ecu-client: operation ${op.id} has no message or channel`);
  return {
    message,
    channel,
    type: message.tsName,
    checker: `${camel(message.id)}Checker`,
    topic: `${camel(channel.id)}Topic`,
    channelId: channel.id,
    hasAlias: channel.topicAlias !== undefined,
  };
}

/** Everything the client templates print, precomputed from the model. */
export function clientView(model: Model) {
  const rows = clientPolicyRows(model);
  const p = (fm: FailureModeModel) => fm.mitigation.policy;
  const reconnect = p(rows.reconnect).retry!;
  const publishRetry = p(rows.publishRetry).retry!;
  const quota = p(rows.quota).quotaWait!;
  const servers = model.servers.map((s) => ({
    id: s.id,
    literal: JSON.stringify(s.id),
    region: s.region,
    clientIdTemplate: s.clientIdTemplate,
    cleanStart: s.cleanStart,
    keepAliveS: s.keepAliveS,
    keepAliveCapped: s.keepAliveS > model.platform.iotMaxKeepAliveS,
    iotMaxKeepAliveS: model.platform.iotMaxKeepAliveS,
    sessionExpiryS: s.sessionExpiryS,
    bindingMaxPacket: s.maxPacketBytes,
    platformMaxPacket: model.platform.iotMaxPacketBytes,
    maxPacket: Math.min(s.maxPacketBytes, model.platform.iotMaxPacketBytes),
  }));
  const sends = model.operations
    .filter((op) => op.action === "send" && !op.batch)
    .map((op) => {
      const n = messageNames(model, op);
      return {
        id: op.id,
        qos: op.qos,
        snapshotType: `${n.message.tsName}Snapshot`,
        envelope: envelopeView(n.message),
        ...n,
      };
    });
  const batches = model.operations
    .filter((op) => op.action === "send" && op.batch)
    .map((op) => {
      const n = messageNames(model, op);
      const envelope = envelopeView(n.message);
      const recordId = n.message.envelope.recordMessage?.messageId;
      const record = sends.find((s) => s.message.id === recordId);
      if (!record)
        throw new Error(
          `ecu-client: batch operation ${op.id} needs a send operation of its record message ${recordId}`,
        );
      const suffix = pascal(op.id.replace(/^publish/, ""));
      const b = op.batch!;
      return {
        id: op.id,
        collect: `collect${suffix}`,
        flush: `flush${suffix}`,
        codec: `${camel(n.message.id)}Codec`,
        record,
        envelope,
        figures: `${b.minMessages}-${b.maxMessages} records, ${b.intervalMs} ms, ≤ ${b.maxCompressedBytes} bytes compressed, zstd level ${b.zstdLevel}`,
        ...n,
      };
    });
  const receives = model.operations
    .filter((op) => op.action === "receive")
    .map((op) => {
      const n = messageNames(model, op);
      const envelope = envelopeView(n.message);
      const expires = envelope.expires;
      return {
        id: op.id,
        method: `on${pascal(op.id.replace(/^receive/, ""))}`,
        handlerType: `${n.message.tsName}Handler`,
        envelope,
        expires: expires ?? null,
        ...n,
      };
    });
  return {
    servers,
    topicParams: topicParams(model),
    regionParam: topicParams(model).find((t) => t.source === "region")?.name ?? null,
    channels: model.channels
      .filter((c) => model.operations.some((op) => op.channelId === c.id))
      .map((c) => ({ id: c.id, topic: `${camel(c.id)}Topic` })),
    paramsType: `${pascal(model.channels[0]!.id)}TopicParams`,
    localQueue: model.platform.localQueue,
    maxClockSkewMs: model.platform.maxClockSkewMs,
    rows: {
      reconnect: {
        ...row(rows.reconnect),
        figures: `${reconnect.attempts} attempts after ${msList(reconnect.delaysMs)}, jitter ${reconnect.jitter}`,
      },
      publishRetry: {
        ...row(rows.publishRetry),
        figures: `${publishRetry.attempts} DUP resends after ${msList(publishRetry.delaysMs)}, jitter ${publishRetry.jitter}`,
        pubackTimeoutMs: p(rows.publishRetry).pubackTimeoutMs!,
      },
      quota: { ...row(rows.quota), durationMs: quota.durationMs, jitter: quota.jitter },
      certificateWarning: {
        ...row(rows.certificateWarning),
        warningMs: p(rows.certificateWarning).certificateExpiryWarningMs!,
      },
      sizeCheck: { id: rows.sizeCheck.id, name: rows.sizeCheck.name },
      split: { id: rows.split.id, name: rows.split.name, split: p(rows.split).split! },
      checksum: {
        id: rows.checksum.id,
        name: rows.checksum.name,
        checksum: p(rows.checksum).checksum!,
      },
      clockSkew: { id: rows.clockSkew.id, name: rows.clockSkew.name },
    },
    sends,
    batches,
    receives,
  };
}

export type ClientView = ReturnType<typeof clientView>;

/**
 * How the client fills each channel parameter: the one named in the client id template is the
 * vehicle id; one whose enum lists the servers' regions is the region. Anything else is an
 * emitter error (the client would not know where to take it from).
 */
export function topicParams(model: Model): { name: string; source: "vehicleId" | "region" }[] {
  const vehicle = /\{([^}]+)\}/.exec(model.servers[0]?.clientIdTemplate ?? "")?.[1];
  const regions = new Set(model.servers.map((s) => s.region));
  const names = [...new Set(model.channels.flatMap((c) => c.parameters.map((p) => p.name)))];
  return names.map((name) => {
    if (name === vehicle) return { name, source: "vehicleId" as const };
    const p = model.channels.flatMap((c) => c.parameters).find((x) => x.name === name);
    if (p?.enum && [...regions].every((r) => p.enum!.includes(r)))
      return { name, source: "region" as const };
    throw new Error(`ecu-client: cannot fill channel parameter ${name}`);
  });
}

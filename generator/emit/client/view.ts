import type { FailureModeModel, Model } from "../../model/types.js";
import { camel } from "../names.js";
import { clientPolicyRows, msList } from "./policies.js";
import {
  batchViews,
  clientPayloads,
  receiveViews,
  sendViews,
  topicParamViews,
} from "./view-operations.js";

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
  const sends = sendViews(model);
  const batches = batchViews(model);
  const receives = receiveViews(model);
  const params = topicParamViews(model);
  const usedChannels = new Set([
    ...model.operations.map((op) => op.channelId),
    ...model.operations.flatMap((op) => (op.reply ? [op.reply.channelId] : [])),
  ]);
  return {
    servers,
    topicParams: params,
    configParams: params.filter((p) => p.source === "config"),
    payloads: clientPayloads(model),
    channels: model.channels
      .filter((c) => usedChannels.has(c.id))
      .map((c) => ({ id: c.id, topic: `${camel(c.id)}Topic` })),
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

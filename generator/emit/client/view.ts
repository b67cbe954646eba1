import type { FailureModeModel, Model } from "../../model/types.js";
import { camel, literal } from "../names.js";
import { CLIENT_DEFAULTS, clientPolicyRows, msList } from "./policies.js";
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

/** The metric roles the runtime session counts (its `MetricName` values). */
const SESSION_ROLES = new Set([
  "connection-success",
  "connection-failure",
  "disconnect",
  "publish-acked",
  "publish-resent",
  "publish-queued",
  "publish-sent",
  "publish-dropped",
  "publish-rejected",
  "queue-dropped",
]);

/** A row's labels, or the default's when the FMEA has no such row. */
function row(fm: FailureModeModel | undefined): RowView {
  return fm
    ? { id: fm.id, key: fm.key, name: fm.name }
    : { id: "default", key: "", name: "(no FMEA row: documented default)" };
}

/** Everything the client templates print, precomputed from the model. */
export function clientView(model: Model) {
  const rows = clientPolicyRows(model);
  const p = (fm: FailureModeModel | undefined) => fm?.mitigation.policy;
  const reconnect = p(rows.reconnect)?.retry ?? CLIENT_DEFAULTS.reconnect;
  const publishRetry = p(rows.publishRetry)?.retry ?? CLIENT_DEFAULTS.publishRetry;
  const quotaMs = p(rows.quota)?.quotaWait?.durationMs ?? CLIENT_DEFAULTS.quotaWindowMs;
  const quotaJitter = p(rows.quota)?.quotaWait?.jitter ?? "none";
  const pubackTimeoutMs = p(rows.publishRetry)?.pubackTimeoutMs ?? CLIENT_DEFAULTS.pubackTimeoutMs;
  const warningMs =
    p(rows.certificateWarning)?.certificateExpiryWarningMs ?? CLIENT_DEFAULTS.certificateWarningMs;
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
    /** Metric role -> the spec's metric name, for the roles the session counts. */
    metricNames: literal(
      Object.fromEntries(
        model.metrics
          .filter((m) => m.role && SESSION_ROLES.has(m.role))
          .map((m) => [m.role!, m.name]),
      ),
    ),
    maxClockSkewMs: model.platform.maxClockSkewMs,
    rows: {
      reconnect: {
        ...row(rows.reconnect),
        figures: `${reconnect.attempts} attempts after ${msList(reconnect.delaysMs)}, jitter ${reconnect.jitter}`,
        attempts: reconnect.attempts,
        expr: rows.reconnect
          ? `${rows.reconnect.key}.mitigation.policy.retry`
          : literal(CLIENT_DEFAULTS.reconnect),
      },
      publishRetry: {
        ...row(rows.publishRetry),
        figures: `${publishRetry.attempts} DUP resends after ${msList(publishRetry.delaysMs)}, jitter ${publishRetry.jitter}`,
        pubackTimeoutMs,
        expr: p(rows.publishRetry)?.retry
          ? `${rows.publishRetry!.key}.mitigation.policy.retry`
          : literal(CLIENT_DEFAULTS.publishRetry),
        timeoutExpr:
          p(rows.publishRetry)?.pubackTimeoutMs !== undefined
            ? `${rows.publishRetry!.key}.mitigation.policy.pubackTimeoutMs`
            : String(pubackTimeoutMs),
      },
      quota: {
        ...row(rows.quota),
        durationMs: quotaMs,
        jitter: quotaJitter,
        expr: rows.quota
          ? `${rows.quota.key}.mitigation.policy.quotaWait.durationMs`
          : String(quotaMs),
      },
      certificateWarning: {
        ...row(rows.certificateWarning),
        warningMs,
        expr: rows.certificateWarning
          ? `${rows.certificateWarning.key}.mitigation.policy.certificateExpiryWarningMs`
          : String(warningMs),
      },
      sizeCheck: row(rows.sizeCheck),
      split: { ...row(rows.split), split: p(rows.split)?.split ?? "halves" },
      checksum: { ...row(rows.checksum), checksum: p(rows.checksum)?.checksum ?? "crc32" },
      clockSkew: row(rows.clockSkew),
      failover: { ...row(rows.failover), present: rows.failover !== undefined },
    },
    sends,
    batches,
    receives,
  };
}

export type ClientView = ReturnType<typeof clientView>;

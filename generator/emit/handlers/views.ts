import { HANDLER_METRIC_ROLES } from "../../../runtime/src/handlers/metric-roles.js";
import type { MessageModel, Model, OperationModel } from "../../model/types.js";
import { camel, pascal } from "../names.js";
import {
  DEFAULT_BREAKER,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_RETRY,
  downstreamIds,
  reasonEntries,
  rowsWith,
} from "./failure-classes.js";
import { accessor, messageById, roleRead } from "./fields.js";

/** `create` + PascalCase of a function name. */
export const factoryName = (name: string) => `create${pascal(name)}`;

/** The metric of each handler role that some metric in fmea/metrics.yaml plays. */
export function metricRoles(model: Model): { role: string; metric: string }[] {
  return HANDLER_METRIC_ROLES.flatMap((role) => {
    const m = model.metrics.find((x) => x.role === role);
    return m ? [{ role, metric: m.name }] : [];
  });
}

/** CloudWatch namespace of the handlers' metrics: the role metrics' (else the first metric's). */
export function metricsNamespace(model: Model): string {
  const roles = new Set<string>(HANDLER_METRIC_ROLES);
  const m = model.metrics.find((x) => x.role && roles.has(x.role)) ?? model.metrics[0];
  return m?.namespace ?? "";
}

/** One record codec (per distinct record message handled directly or inside a batch). */
export interface RecordCodecView {
  readonly message: MessageModel;
  readonly codecName: string;
  readonly checker: string;
  readonly param: string;
  readonly messageId: string;
  readonly vehicleId: string;
  readonly timestampMs: string;
  readonly schemaVersion: string;
  readonly exclude: string;
}

/** One batch codec (per batch message). */
export interface BatchCodecView {
  readonly message: MessageModel;
  readonly codecName: string;
  readonly checker: string;
  readonly batchId: string;
  readonly vehicleId: string;
  readonly schemaVersion: string;
  readonly records: string;
  readonly checksum: string;
}

/** One cloud handler derived from an operation with `x-handler`. */
export interface HandlerView {
  readonly name: string;
  readonly operationId: string;
  readonly operation: OperationModel;
  readonly kind: "record" | "batch";
  readonly policyName: string;
  readonly factoryName: string;
  readonly channelId: string;
  readonly topicConst: string;
  readonly parserName: string;
  /** The channel parameter holding the vehicle id. */
  readonly param: string;
  /** The operation's message (a batch envelope for batch handlers). */
  readonly message: MessageModel;
  /** The record message (the message itself, or the batch's `record_message`). */
  readonly record: MessageModel;
  readonly recordCodec: string;
  readonly batchCodec?: string;
  readonly zstd: boolean;
}

const codecName = (m: MessageModel) => `${camel(m.id)}Codec`;

/** The handlers: one per operation with `x-handler` (any number, record or batch each). */
export function handlerViews(model: Model): HandlerView[] {
  return model.operations
    .filter(
      (op): op is OperationModel & { handler: NonNullable<OperationModel["handler"]> } =>
        op.handler !== undefined,
    )
    .map((op): HandlerView => {
      const message = messageById(model, op.messageId);
      const batch = op.batch !== undefined;
      const record = batch
        ? messageById(model, message.envelope.recordMessage?.messageId ?? message.id)
        : message;
      return {
        name: op.handler.name,
        operationId: op.id,
        operation: op,
        kind: batch ? "batch" : "record",
        policyName: `${camel(op.handler.name)}Policy`,
        factoryName: factoryName(op.handler.name),
        channelId: op.channelId,
        topicConst: `${camel(op.channelId)}Topic`,
        parserName: `${camel(op.channelId)}VehicleId`,
        param: message.envelope.vehicleParameter ?? "",
        message,
        record,
        recordCodec: codecName(record),
        ...(batch ? { batchCodec: codecName(message) } : {}),
        zstd: message.compression === "zstd",
      };
    });
}

/** Record codecs of every handled record message, once each. */
export function recordCodecViews(model: Model): RecordCodecView[] {
  const out = new Map<string, RecordCodecView>();
  for (const h of handlerViews(model)) {
    const m = h.record;
    if (out.has(m.id)) continue;
    const env = m.envelope;
    const specVersion = `messages[${JSON.stringify(m.id)}].schemaVersion`;
    out.set(m.id, {
      message: m,
      codecName: codecName(m),
      checker: `${camel(m.id)}Checker`,
      param: h.param,
      messageId: roleRead("r", env.messageId, '""'),
      vehicleId: roleRead("r", env.vehicleId, '""'),
      timestampMs: roleRead("r", env.eventTime, "0"),
      schemaVersion: roleRead("r", env.schemaVersion, specVersion),
      exclude: JSON.stringify(env.eventTime ? [env.eventTime.path] : []),
    });
  }
  return [...out.values()];
}

/** Batch codecs of every handled batch message, once each. */
export function batchCodecViews(model: Model): BatchCodecView[] {
  const out = new Map<string, BatchCodecView>();
  for (const h of handlerViews(model)) {
    if (h.kind !== "batch" || out.has(h.message.id)) continue;
    const m = h.message;
    const env = m.envelope;
    out.set(m.id, {
      message: m,
      codecName: codecName(m),
      checker: `${camel(m.id)}Checker`,
      batchId: roleRead("b", env.messageId, '""'),
      vehicleId: roleRead("b", env.vehicleId, '""'),
      schemaVersion: roleRead(
        "b",
        env.schemaVersion,
        `messages[${JSON.stringify(m.id)}].schemaVersion`,
      ),
      records: env.records ? `b${accessor(env.records.path)}` : "[]",
      checksum: roleRead("b", env.checksum, "0"),
    });
  }
  return [...out.values()];
}

/** The topic parsers, one per handled channel. */
export function parserViews(model: Model): { name: string; topicConst: string; param: string }[] {
  const out = new Map<string, { name: string; topicConst: string; param: string }>();
  for (const h of handlerViews(model))
    out.set(h.channelId, { name: h.parserName, topicConst: h.topicConst, param: h.param });
  return [...out.values()];
}

/** A spec expression for a row's policy figure, or a literal default. */
function figure(row: { key: string } | undefined, path: string, fallback: unknown): string {
  return row ? `${row.key}.mitigation.policy.${path}` : JSON.stringify(fallback);
}

/** One declared downstream and where its figures come from. */
export interface DownstreamView {
  readonly id: string;
  readonly kind: string;
  readonly breaker: string;
  readonly retry?: string;
  readonly timeouts?: string;
  /** Row keys that give its figures (spec imports), and their ids (traces). */
  readonly rows: readonly { key: string; id: string }[];
}

/** Every declared downstream with its breaker/retry/timeouts from the rows on that component. */
export function downstreamViews(model: Model): DownstreamView[] {
  return downstreamIds(model).map((id) => {
    const breaker = rowsWith(model, "circuitBreaker", id)[0];
    const retry = rowsWith(model, "retry", id)[0];
    const timeouts = rowsWith(model, "timeouts", id)[0];
    return {
      id,
      kind: model.participants.find((p) => p.id === id)!.kind,
      breaker: figure(breaker, "circuitBreaker", DEFAULT_BREAKER),
      ...(retry ? { retry: figure(retry, "retry", undefined) } : {}),
      ...(timeouts ? { timeouts: figure(timeouts, "timeouts", undefined) } : {}),
      rows: [breaker, retry, timeouts].flatMap((r) => (r ? [{ key: r.key, id: r.id }] : [])),
    };
  });
}

/** The policy-level figures: default retry, deadline margin, reason table, replay function. */
export function policyRows(model: Model) {
  const downstream = new Set(downstreamIds(model));
  const retry =
    rowsWith(model, "retry").find((r) => downstream.has(r.component)) ??
    rowsWith(model, "retry")[0];
  const deadline = rowsWith(model, "deadlineSafetyMarginMs")[0];
  const replayName = model.platform.replay.name;
  return {
    reasons: reasonEntries(model).map((e) => ({ key: e.key, row: e.row.key, id: e.row.id })),
    defaultRetry: figure(retry, "retry", DEFAULT_RETRY),
    deadline: figure(deadline, "deadlineSafetyMarginMs", DEFAULT_DEADLINE_MARGIN_MS),
    rowKeys: [retry, deadline].flatMap((r) => (r ? [{ key: r.key, id: r.id }] : [])),
    replayName,
    replayFactory: factoryName(replayName),
  };
}

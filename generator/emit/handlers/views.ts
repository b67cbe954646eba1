import type { MessageModel, Model, OperationModel } from "../../model/types.js";
import { camel } from "../names.js";
import { fieldPath, messageById, recordsField, replayHandlerName, timeField } from "./fields.js";
import { FAILURE_CLASS_ROWS, handlerRow, rowWithPolicy } from "./failure-classes.js";

/** Metric role (runtime HandlerMetricNames key) -> metric name in fmea/metrics.yaml, with the dimensions the runtime sets. */
export const METRIC_ROLES: readonly {
  role: string;
  metric: string;
  dimensions: readonly string[];
}[] = [
  { role: "received", metric: "telemetry.messages.received", dimensions: ["operation"] },
  { role: "processed", metric: "telemetry.messages.processed", dimensions: ["operation"] },
  { role: "failed", metric: "telemetry.messages.failed", dimensions: ["operation"] },
  { role: "rejected", metric: "telemetry.rejected", dimensions: ["reason"] },
  { role: "duplicates", metric: "telemetry.duplicates", dimensions: ["operation"] },
  { role: "latency", metric: "telemetry.processing.latency", dimensions: ["operation"] },
  { role: "dataVolume", metric: "telemetry.data_volume_bytes", dimensions: ["operation"] },
  { role: "dlqCount", metric: "dlq.message_count", dimensions: ["reason"] },
  { role: "recordsIngested", metric: "timestream.records_ingested", dimensions: [] },
  { role: "throttled", metric: "dynamodb.throttled_requests", dimensions: [] },
  { role: "unprocessed", metric: "dynamodb.unprocessed_items", dimensions: [] },
  { role: "connectionErrors", metric: "dynamodb.connection_errors", dimensions: ["error"] },
  { role: "timeSeriesRejected", metric: "timestream.rejected_records", dimensions: [] },
  { role: "timeSeriesErrors", metric: "timestream.errors", dimensions: ["status"] },
  { role: "circuitOpen", metric: "circuit_breaker.open", dimensions: ["downstream"] },
  { role: "replayProgress", metric: "dlq.replay.progress", dimensions: [] },
];

/** Checks every metric role against the model (exists, same dimensions) and returns the view. */
export function metricRoles(model: Model): { role: string; metric: string }[] {
  return METRIC_ROLES.map(({ role, metric, dimensions }) => {
    const m = model.metrics.find((x) => x.name === metric);
    if (!m) throw new Error(`handlers emitter: metric ${metric} is not in fmea/metrics.yaml`);
    if (m.dimensions.join(",") !== dimensions.join(",")) {
      throw new Error(
        `handlers emitter: metric ${metric} has dimensions [${m.dimensions}], the runtime sets [${dimensions}]`,
      );
    }
    return { role, metric };
  });
}

/** One telemetry handler derived from an operation with `x-handler`. */
export interface HandlerView {
  readonly name: string;
  readonly operationId: string;
  readonly kind: "record" | "batch";
  readonly policyName: string;
  readonly factoryName: string;
  readonly channelId: string;
  readonly topicConst: string;
  readonly parserName: string;
  readonly message: MessageModel;
}

/** The telemetry handlers: one per operation with a handler; exactly one record and one batch handler. */
export function handlerViews(model: Model): {
  record: HandlerView;
  batch: HandlerView;
  all: HandlerView[];
} {
  const all = model.operations
    .filter(
      (op): op is OperationModel & { handler: NonNullable<OperationModel["handler"]> } =>
        op.handler !== undefined,
    )
    .map((op): HandlerView => ({
      name: op.handler.name,
      operationId: op.id,
      kind: op.batch ? "batch" : "record",
      policyName: `${camel(op.handler.name)}Policy`,
      factoryName: `create${camel(op.handler.name)[0]!.toUpperCase()}${camel(op.handler.name).slice(1)}`,
      channelId: op.channelId,
      topicConst: `${camel(op.channelId)}Topic`,
      parserName: `${camel(op.channelId)}VehicleId`,
      message: messageById(model, op.messageId),
    }));
  const records = all.filter((h) => h.kind === "record");
  const batches = all.filter((h) => h.kind === "batch");
  if (records.length !== 1 || batches.length !== 1) {
    throw new Error(
      "handlers emitter: expected one individual and one batch operation with x-handler",
    );
  }
  return { record: records[0]!, batch: batches[0]!, all };
}

/** Accessor paths of a record message (id from FM-10's dedup key, vehicle id from the topic parameter). */
export function recordFields(model: Model, message: MessageModel, vehicleParam: string) {
  const dedupKey = rowWithPolicy(model, "dedupKey").mitigation.policy.dedupKey!;
  const time = timeField(message);
  return {
    messageId: fieldPath(message, dedupKey),
    vehicleId: fieldPath(message, vehicleParam),
    timestampMs: time.path,
    schemaVersion: fieldPath(message, "schema_version"),
  };
}

/** Accessor paths of a batch envelope (checksum field named after FM-22's algorithm). */
export function batchFields(model: Model, message: MessageModel, vehicleParam: string) {
  const algorithm = rowWithPolicy(model, "checksum").mitigation.policy.checksum!;
  const records = recordsField(message);
  const checksum = message.constraints.find(
    (c) => c.protoPath === `${records.protoPath}_${algorithm}`,
  );
  if (!checksum)
    throw new Error(
      `handlers emitter: ${message.protoName} has no ${records.protoPath}_${algorithm} field`,
    );
  return {
    batchId: fieldPath(message, "batch_id"),
    vehicleId: fieldPath(message, vehicleParam),
    schemaVersion: fieldPath(message, "schema_version"),
    records: records.path,
    checksum: checksum.path,
  };
}

/** The topic parameter that names the vehicle: the one the payload carries as a field too. */
export function vehicleParameter(model: Model, view: HandlerView): string {
  const channel = model.channels.find((c) => c.id === view.channelId)!;
  const p = channel.parameters.find((x) =>
    view.message.constraints.some((c) => c.protoPath === x.name),
  );
  if (!p)
    throw new Error(
      `handlers emitter: no parameter of ${channel.id} is a field of ${view.message.protoName}`,
    );
  return p.name;
}

/** FMEA rows the policies are built from, as `FM_xx` identifiers. */
export function policyRows(model: Model) {
  const key = (id: string) => handlerRow(model, id).key;
  return {
    reasons: FAILURE_CLASS_ROWS.map((r) => ({
      failureClass: r.failureClass,
      key: key(r.failureMode),
      id: r.failureMode,
    })),
    // FM-12's retry is FM-08's (resolved through `uses`); breakers: FM-08 for DynamoDB, FM-19 for Timestream.
    retry: rowWithPolicy(model, "retry").key,
    unprocessedRetry: key("FM-12"),
    dynamoBreaker: key("FM-08"),
    timeSeriesBreaker: key("FM-19"),
    timeouts: rowWithPolicy(model, "timeouts").key,
    deadline: rowWithPolicy(model, "deadlineSafetyMarginMs").key,
    dedup: rowWithPolicy(model, "dedupKey").key,
    replayName: replayHandlerName(model),
  };
}

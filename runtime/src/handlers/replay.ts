import { deadLetterPayload } from "../cloud/dlq-entry.js";
import { dlqPrefix } from "../cloud/dlq-key.js";
import type { DeadLetterEntry } from "../cloud/ports.js";
import { processBatch } from "./batch-pipeline.js";
import type { CircuitBreakers } from "./breakers.js";
import type { BatchCodec, RecordCodec } from "./codec.js";
import { stepContext } from "./context.js";
import { Deadline } from "./deadline.js";
import type { InvocationContext } from "./event.js";
import { deadLetterRecords, type TopicVehicleParser } from "./handlers.js";
import { RoleMetrics, type HandlerMetricNames } from "./metric-roles.js";
import type { BatchHandlerPolicy, HandlerPolicy } from "./policy.js";
import { silentLogger, type HandlerPorts } from "./ports.js";
import { reasonFor } from "./reasons.js";
import { processRecord } from "./record-pipeline.js";
import { drainFailedInvocations, type DrainSummary } from "./redrive.js";

/**
 * What to replay: DLQ entries (filter by reason code, or any key prefix), or, with
 * `source: "on-failure"`, the failed invocations waiting in the on-failure queues.
 */
export interface ReplayRequest {
  /** `dlq` (default): the dead-letter store; `on-failure`: drain the on-failure queues. */
  readonly source?: "dlq" | "on-failure";
  /** A DLQ reason code (the key's first segment). */
  readonly errorType?: string;
  /** A raw key prefix (wins over errorType), e.g. "dlq/<REASON>/2026/11/27/". */
  readonly prefix?: string;
  /** At most this many entries in one invocation (on-failure: default 100, at most 1000). */
  readonly limit?: number;
  /** List and route only: nothing is re-run, written, deleted (queued messages are released). */
  readonly dryRun?: boolean;
  /** `on-failure` only: the functions whose queues to drain (default all). */
  readonly queues?: readonly string[];
  /** `on-failure` only: long-poll wait on an empty queue in ms (default 1000, at most 20000). */
  readonly waitMs?: number;
}

/** Counts reported by a replay run. */
export interface ReplaySummary {
  readonly listed: number;
  /** Entries whose message is now stored; deleted from the DLQ. */
  readonly replayed: number;
  /** Of `replayed`: already stored (a resend won the race); deleted too. */
  readonly duplicates: number;
  /** Entries that failed again; kept for the next replay. */
  readonly failed: number;
  /** Records of a replayed batch that failed individually; filed as new entries. */
  readonly deadLettered: number;
  /** Entries not attempted (deadline or limit). */
  readonly remaining: number;
  /** Dry run: entries that would be re-run (nothing was changed). */
  readonly planned?: number;
  /** `source: "on-failure"`: the drain's own counts (`listed` = received, `replayed` = deleted). */
  readonly onFailure?: DrainSummary;
}

/** A record operation's route: its policy, codec and topic parser. */
export interface RecordRoute {
  readonly kind: "record";
  readonly policy: HandlerPolicy;
  readonly codec: RecordCodec<unknown>;
  readonly parseVehicleId: TopicVehicleParser;
}

/** A batch operation's route; its `record` entries replay through `recordCodec`. */
export interface BatchRoute {
  readonly kind: "batch";
  readonly policy: BatchHandlerPolicy;
  readonly codec: BatchCodec<unknown>;
  readonly recordCodec: RecordCodec<unknown>;
  readonly parseVehicleId: TopicVehicleParser;
}

/** Where DLQ entries are re-run: every handled operation by its id. */
export interface ReplayRoutes {
  readonly routes: Readonly<Record<string, RecordRoute | BatchRoute>>;
  /** Metric names by role (`replay-progress`). */
  readonly metrics: HandlerMetricNames;
  /** Deadline margin of the replay function itself. */
  readonly deadlineSafetyMarginMs: number;
}

type EntryResult = "replayed" | "duplicate" | "failed" | { redirected: number };

/** The route of an entry: by its operation, else (older entries) the one whose topic matches. */
function routeOf(
  routes: ReplayRoutes,
  entry: DeadLetterEntry,
): RecordRoute | BatchRoute | undefined {
  if (entry.operation !== undefined) return routes.routes[entry.operation];
  return Object.values(routes.routes).find((r) => r.parseVehicleId(entry.topic) !== undefined);
}

/**
 * Re-runs dead-lettered messages through the same pipelines. A `batch` entry re-drives the
 * whole batch (its bad records become `record` entries); a `record` entry re-drives one
 * message, writing only its pending sinks. Succeeded entries are deleted; failed ones stay as
 * they are. A message the ledger reports as complete is a duplicate: deleted.
 */
export async function replayDeadLetters(
  routes: ReplayRoutes,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  request: ReplayRequest,
  context?: InvocationContext,
): Promise<ReplaySummary> {
  if (request.source === "on-failure") {
    return replayFailedInvocations(routes, ports, breakers, request, context);
  }
  const deadline = new Deadline(context, routes.deadlineSafetyMarginMs);
  const logger = ports.logger ?? silentLogger;
  const metrics = new RoleMetrics(ports.metrics, routes.metrics);
  const prefix = request.prefix ?? dlqPrefix(request.errorType);
  const keys = await ports.dlq.list(prefix);
  const todo = request.limit !== undefined ? keys.slice(0, request.limit) : keys;
  let replayed = 0;
  let duplicates = 0;
  let failed = 0;
  let deadLettered = 0;
  let attempted = 0;
  let planned = 0;
  try {
    for (const key of todo) {
      if (deadline.expired()) break;
      attempted++;
      const entry = await ports.dlq.get(key);
      if (!entry) continue;
      const route = routeOf(routes, entry);
      if (!route) {
        logger.warn("no route for DLQ entry", { key, operation: entry.operation });
        failed++;
        continue;
      }
      if (request.dryRun) {
        planned++;
        continue;
      }
      const result = await replayEntry(route, ports, breakers, deadline, entry);
      if (result === "failed") {
        failed++;
        continue;
      }
      await ports.dlq.delete(key);
      replayed++;
      metrics.count("replay-progress", 1, {});
      if (result === "duplicate") duplicates++;
      else if (result !== "replayed") deadLettered += result.redirected;
    }
  } finally {
    await ports.metrics.flush();
  }
  const summary = {
    listed: keys.length,
    replayed,
    duplicates,
    failed,
    deadLettered,
    remaining: keys.length - attempted,
    ...(request.dryRun ? { planned } : {}),
  };
  logger.info("dlq replay finished", { prefix, ...summary });
  return summary;
}

async function replayEntry(
  route: RecordRoute | BatchRoute,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  deadline: Deadline,
  entry: DeadLetterEntry,
): Promise<EntryResult> {
  const payload = deadLetterPayload(entry);
  const vehicleId = route.parseVehicleId(entry.topic);
  if (route.kind === "batch" && entry.type === "batch") {
    const ctx = stepContext(ports, breakers, route.policy, deadline);
    const outcome = await processBatch(
      ctx,
      route.codec,
      route.recordCodec,
      payload,
      vehicleId,
      entry.topic,
    );
    if (outcome.failure) return "failed";
    if (outcome.records.some((r) => r.status === "in-progress")) return "failed";
    const keys = await deadLetterRecords(ctx, outcome.records, {
      topic: entry.topic,
      vehicleId: entry.vehicleId,
      receivedAt: Date.parse(entry.receivedAt),
      batchId: outcome.batchId,
      attempt: entry.attempt + 1,
    });
    return { redirected: keys.length };
  }
  const codec = route.kind === "batch" ? route.recordCodec : route.codec;
  const ctx = stepContext(ports, breakers, route.policy, deadline);
  const outcome = await processRecord(ctx, codec, payload, vehicleId, entry.topic, {
    ...(entry.pendingSinks !== undefined ? { onlySinks: entry.pendingSinks } : {}),
  });
  if (outcome.status === "stored") return "replayed";
  if (outcome.status === "duplicate") return "duplicate";
  if (outcome.status === "failed") {
    (ports.logger ?? silentLogger).warn("replay failed again", {
      messageId: entry.messageId,
      reason: reasonFor(route.policy.reasons, outcome.failure).code,
      detail: outcome.failure.detail,
    });
  }
  return "failed";
}

/**
 * `source: "on-failure"`: drains the queues of `ports.failedInvocations` (see
 * `drainFailedInvocations`); throws when the ports have none (the variable
 * `ON_FAILURE_QUEUES_ENV` is unset, or the adapters provide no queue).
 */
async function replayFailedInvocations(
  routes: ReplayRoutes,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  request: ReplayRequest,
  context?: InvocationContext,
): Promise<ReplaySummary> {
  const queues = ports.failedInvocations ?? [];
  if (queues.length === 0) {
    throw new RangeError(
      "no on-failure queue to drain: the ports provide none (failedInvocations)",
    );
  }
  const drained = await drainFailedInvocations(
    routes,
    ports,
    breakers,
    queues,
    {
      ...(request.limit !== undefined ? { limit: request.limit } : {}),
      ...(request.dryRun !== undefined ? { dryRun: request.dryRun } : {}),
      ...(request.queues !== undefined ? { queues: request.queues } : {}),
      ...(request.waitMs !== undefined ? { waitMs: request.waitMs } : {}),
    },
    context,
  );
  return {
    listed: drained.received,
    replayed: drained.redriven + drained.filed,
    duplicates: drained.duplicates,
    failed: drained.kept,
    deadLettered: drained.deadLettered + drained.filed,
    remaining: 0,
    ...(drained.dryRun
      ? { planned: drained.plan.filter((p) => p.action === "redrive").length }
      : {}),
    onFailure: drained,
  };
}

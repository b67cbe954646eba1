import { deadLetterPayload } from "../cloud/dlq-entry.js";
import { dlqPrefix } from "../cloud/dlq-key.js";
import type { DeadLetterEntry } from "../cloud/ports.js";
import { processBatch } from "./batch-pipeline.js";
import type { CircuitBreakers } from "./breakers.js";
import type { BatchCodec, RecordCodec } from "./codec.js";
import { stepContext, type StepContext } from "./context.js";
import { Deadline } from "./deadline.js";
import type { InvocationContext } from "./event.js";
import { deadLetterRecords, type TopicVehicleParser } from "./handlers.js";
import type { RecordOutcome } from "./outcome.js";
import type { BatchTelemetryPolicy, TelemetryPolicy } from "./policy.js";
import { silentLogger, type HandlerPorts } from "./ports.js";
import { processRecord } from "./record-pipeline.js";

/** What to replay (Procedure 1, step 1: filter by error type, or any key prefix). */
export interface ReplayRequest {
  /** A DLQ reason code, e.g. "DYNAMODB_UNAVAILABLE" (the key's first segment). */
  readonly errorType?: string;
  /** A raw key prefix (wins over errorType), e.g. "dlq/CLOCK_SKEW/2026/11/27/". */
  readonly prefix?: string;
  /** At most this many entries in one invocation. */
  readonly limit?: number;
}

/** Counts reported by a replay run (Procedure 1, step 5). */
export interface ReplaySummary {
  readonly listed: number;
  /** Entries whose message is now stored; deleted from the DLQ (step 7). */
  readonly replayed: number;
  /** Of `replayed`: already stored (a resend won the race); deleted too. */
  readonly duplicates: number;
  /** Entries that failed again; kept for the next replay. */
  readonly failed: number;
  /** Records of a replayed batch that failed individually; filed as new entries. */
  readonly deadLettered: number;
  /** Entries not attempted (deadline or limit). */
  readonly remaining: number;
}

/** Where a DLQ entry is re-run: the record and batch paths of the telemetry handlers. */
export interface ReplayRoutes<T, B> {
  readonly record: {
    readonly policy: TelemetryPolicy;
    readonly codec: RecordCodec<T>;
    readonly parseVehicleId: TopicVehicleParser;
  };
  readonly batch: {
    readonly policy: BatchTelemetryPolicy;
    readonly codec: BatchCodec<B>;
    readonly parseVehicleId: TopicVehicleParser;
  };
  readonly replayProgressMetric: string;
  /** FM-14 margin of the replay function itself. */
  readonly deadlineSafetyMarginMs: number;
}

type EntryResult = "replayed" | "duplicate" | "failed" | { redirected: number };

/**
 * Re-runs dead-lettered messages through the same pipeline (Procedure 1). An entry with a
 * message id is one record; an entry with only a batch id is a whole (compressed) batch.
 * Succeeded entries are deleted; failed ones stay as they are (no second entry is written).
 * Dedup holds because a dead-lettered record was never stored and its claim was released; a
 * "duplicate" is trusted only if the record store really has the record.
 */
export async function replayDeadLetters<T, B>(
  routes: ReplayRoutes<T, B>,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  request: ReplayRequest,
  context?: InvocationContext,
): Promise<ReplaySummary> {
  const deadline = new Deadline(context, routes.deadlineSafetyMarginMs);
  const logger = ports.logger ?? silentLogger;
  const prefix = request.prefix ?? dlqPrefix(request.errorType);
  const keys = await ports.dlq.list(prefix);
  const todo = request.limit !== undefined ? keys.slice(0, request.limit) : keys;
  let replayed = 0;
  let duplicates = 0;
  let failed = 0;
  let deadLettered = 0;
  let attempted = 0;
  try {
    for (const key of todo) {
      if (deadline.expired()) break;
      attempted++;
      const entry = await ports.dlq.get(key);
      if (!entry) continue;
      const result = await replayEntry(routes, ports, breakers, deadline, entry);
      if (result === "failed") {
        failed++;
        continue;
      }
      await ports.dlq.delete(key);
      replayed++;
      ports.metrics.count(routes.replayProgressMetric);
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
  };
  logger.info("dlq replay finished", { prefix, ...summary });
  return summary;
}

async function replayEntry<T, B>(
  routes: ReplayRoutes<T, B>,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  deadline: Deadline,
  entry: DeadLetterEntry,
): Promise<EntryResult> {
  const payload = deadLetterPayload(entry);
  const batchVehicle = routes.batch.parseVehicleId(entry.topic);
  if (entry.messageId === undefined) {
    const ctx = {
      ...stepContext(ports, breakers, routes.batch.policy, deadline),
      policy: routes.batch.policy,
    };
    const outcome = await processBatch(
      ctx,
      routes.batch.codec,
      routes.record.codec,
      payload,
      batchVehicle,
      entry.topic,
    );
    if (outcome.failure) return "failed";
    const keys = await deadLetterRecords(ctx, outcome.records, {
      topic: entry.topic,
      vehicleId: entry.vehicleId,
      receivedAt: Date.parse(entry.receivedAt),
      batchId: outcome.batchId,
      attempt: entry.attempt + 1,
    });
    return { redirected: keys.length };
  }
  // A record: it came either alone (record topic) or out of a batch (batch topic).
  const policy = batchVehicle !== undefined ? routes.batch.policy : routes.record.policy;
  const vehicleId = batchVehicle ?? routes.record.parseVehicleId(entry.topic);
  const ctx: StepContext = stepContext(ports, breakers, policy, deadline);
  const outcome: RecordOutcome = await processRecord(
    ctx,
    routes.record.codec,
    payload,
    vehicleId,
    entry.topic,
  );
  if (outcome.status === "stored") return "replayed";
  if (outcome.status === "duplicate") {
    return (await ports.records.get(outcome.messageId)) ? "duplicate" : "failed";
  }
  (ports.logger ?? silentLogger).warn("replay failed again", {
    messageId: entry.messageId,
    reason: policy.reasons[outcome.failure.failureClass].code,
    detail: outcome.failure.detail,
  });
  return "failed";
}

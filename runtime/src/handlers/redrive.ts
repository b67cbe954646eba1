import { ruleActionDeadLetterEntry } from "../cloud/dlq-entry.js";
import type { FailedInvocation, FailedInvocationQueue } from "../cloud/failed-invocations.js";
import type { CircuitBreakers } from "./breakers.js";
import { Deadline } from "./deadline.js";
import { eventPayload, readRuleEvent, type InvocationContext, type RuleEvent } from "./event.js";
import { createBatchHandler, createRecordHandler } from "./handlers.js";
import { RoleMetrics } from "./metric-roles.js";
import { RedeliveryRequired, type InvocationSummary } from "./outcome.js";
import { silentLogger, type HandlerPorts } from "./ports.js";
import { unparsedId } from "./record-pipeline.js";
import type { BatchRoute, RecordRoute, ReplayRoutes } from "./replay.js";

/**
 * The rule event inside what a failed asynchronous invocation left behind: a Lambda
 * on-failure destination record (`{ requestPayload: <event>, requestContext, ... }`), or the
 * bare event. Throws a RuleEventError when neither holds a rule event.
 */
export function ruleEventOf(record: unknown): RuleEvent {
  const payload =
    typeof record === "object" && record !== null && "requestPayload" in record
      ? (record as { requestPayload: unknown }).requestPayload
      : record;
  return readRuleEvent(typeof payload === "string" ? (JSON.parse(payload) as unknown) : payload);
}

/** The route whose topic parser accepts the event's topic (undefined: none does). */
export function routeOfTopic(
  routes: ReplayRoutes,
  topic: string,
): RecordRoute | BatchRoute | undefined {
  return Object.values(routes.routes).find((r) => r.parseVehicleId(topic) !== undefined);
}

/**
 * Re-drives the rule event of a failed invocation (e.g. drained from an on-failure queue)
 * through the handler of its operation, exactly as a new delivery: claimed messages that are
 * complete are duplicates, the rest is written or dead-lettered with its reason. Returns
 * undefined when no operation's topic matches (the caller keeps the record).
 */
export async function redriveRuleEvent(
  routes: ReplayRoutes,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  record: unknown,
  context?: InvocationContext,
): Promise<InvocationSummary | undefined> {
  const event = ruleEventOf(record);
  const route = routeOfTopic(routes, event.topic);
  if (!route) return undefined;
  const handler =
    route.kind === "record"
      ? createRecordHandler({
          policy: route.policy,
          codec: route.codec,
          parseVehicleId: route.parseVehicleId,
          ports,
          breakers,
        })
      : createBatchHandler({
          policy: route.policy,
          batchCodec: route.codec,
          recordCodec: route.recordCodec,
          parseVehicleId: route.parseVehicleId,
          ports,
          breakers,
        });
  return handler(event, context);
}

/** Reason code of a DLQ entry filed for a failed invocation whose re-drive failed again. */
export const FAILED_INVOCATION_REASON = "FAILED_INVOCATION";

/** Default and maximum number of queued failed invocations one drain receives. */
export const DEFAULT_DRAIN_LIMIT = 100;
export const MAX_DRAIN_LIMIT = 1000;

/** Long-poll wait of a receive on an empty queue (each queue is left after its first empty receive). */
export const DRAIN_WAIT_MS = 1000;

/** How a drain of the on-failure queues runs. */
export interface DrainRequest {
  /** Only these functions' queues (default: all). An unknown name throws. */
  readonly queues?: readonly string[];
  /** At most this many messages received in all (default 100, capped at 1000). */
  readonly limit?: number;
  /** Receive, parse and route only; every message is released, nothing written or deleted. */
  readonly dryRun?: boolean;
  /** Long-poll wait on an empty queue in ms (default `DRAIN_WAIT_MS`). */
  readonly waitMs?: number;
}

/** What a dry run would do with one message. */
export interface DrainPlanItem {
  readonly queue: string;
  readonly id: string;
  readonly operation?: string;
  readonly topic?: string;
  readonly action: "redrive" | "keep";
  readonly why?: string;
}

/** Counts of one drain. */
export interface DrainSummary {
  readonly dryRun: boolean;
  readonly received: number;
  /** Re-driven through their operation's handler; deleted from the queue. */
  readonly redriven: number;
  /** Failed again; filed as replayable DLQ entries (reason `FAILED_INVOCATION_REASON`); deleted. */
  readonly filed: number;
  /** Left in the queue (unreadable, no route, claimed elsewhere, filing failed, deadline, dry run). */
  readonly kept: number;
  /** Of the re-driven: records stored, duplicates, records the handler dead-lettered. */
  readonly stored: number;
  readonly duplicates: number;
  readonly deadLettered: number;
  /** Receive or delete calls that failed (the queue is left for the next drain). */
  readonly queueErrors: number;
  /** Dry run only: each message and what a drain would do. */
  readonly plan: readonly DrainPlanItem[];
}

type Counts = { -readonly [K in keyof DrainSummary]: DrainSummary[K] };

/** The operation id and route whose topic parser accepts `topic`. */
function operationOfTopic(
  routes: ReplayRoutes,
  topic: string,
): [string, RecordRoute | BatchRoute] | undefined {
  return Object.entries(routes.routes).find(([, r]) => r.parseVehicleId(topic) !== undefined);
}

/** Parses a queued body; undefined (and why) when it holds no rule event. */
function readQueued(body: string): { record: unknown; event: RuleEvent } | { why: string } {
  try {
    const record = JSON.parse(body) as unknown;
    return { record, event: ruleEventOf(record) };
  } catch (err) {
    return { why: (err as Error).message };
  }
}

/** The original failure as the destination record tells it (`errorType: errorMessage`). */
function originalFailure(record: unknown): { detail: string; invokeCount: number } {
  const r = (typeof record === "object" && record !== null ? record : {}) as {
    requestContext?: { approximateInvokeCount?: unknown; condition?: unknown };
    responsePayload?: { errorType?: unknown; errorMessage?: unknown };
  };
  const count = r.requestContext?.approximateInvokeCount;
  const p = r.responsePayload;
  const parts = [p?.errorType, p?.errorMessage, r.requestContext?.condition].filter(
    (x): x is string => typeof x === "string" && x !== "",
  );
  return {
    detail: parts.join(": "),
    invokeCount: typeof count === "number" && count > 0 ? count : 1,
  };
}

/**
 * Drains the on-failure queues of the asynchronously invoked functions: receives at most
 * `limit` messages (10 per call, each queue until a receive comes back empty), re-drives each
 * Lambda destination record's rule event through its operation's handler
 * (`redriveRuleEvent`), and deletes the message only after that succeeded, or after a re-drive
 * that failed again was filed as a replayable DLQ entry with its reason. What cannot be
 * handled (no rule event, no route, claimed by a live invocation, filing failed, deadline) is
 * released at the end for a later drain. `dryRun` receives, parses and routes only. Every
 * network call is bounded by the queue adapter's timeouts; the loop stops at the deadline.
 */
export async function drainFailedInvocations(
  routes: ReplayRoutes,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  queues: readonly FailedInvocationQueue[],
  request: DrainRequest = {},
  context?: InvocationContext,
): Promise<DrainSummary> {
  const logger = ports.logger ?? silentLogger;
  const deadline = new Deadline(context, routes.deadlineSafetyMarginMs);
  const metrics = new RoleMetrics(ports.metrics, routes.metrics);
  const wanted = request.queues ?? queues.map((q) => q.name);
  const unknown = wanted.filter((n) => !queues.some((q) => q.name === n));
  if (unknown.length > 0) {
    throw new RangeError(
      `no on-failure queue for ${unknown.join(", ")} (queues: ${queues.map((q) => q.name).join(", ") || "none"})`,
    );
  }
  const limit = Math.max(0, Math.min(request.limit ?? DEFAULT_DRAIN_LIMIT, MAX_DRAIN_LIMIT));
  const dryRun = request.dryRun ?? false;
  const c: Counts = {
    dryRun,
    received: 0,
    redriven: 0,
    filed: 0,
    kept: 0,
    stored: 0,
    duplicates: 0,
    deadLettered: 0,
    queueErrors: 0,
    plan: [],
  };
  const plan: DrainPlanItem[] = [];
  const toRelease: [FailedInvocationQueue, string][] = [];
  const keep = (queue: FailedInvocationQueue, m: FailedInvocation) => {
    c.kept++;
    toRelease.push([queue, m.handle]);
  };
  try {
    for (const queue of queues.filter((q) => wanted.includes(q.name))) {
      while (c.received < limit && !deadline.expired()) {
        let batch: FailedInvocation[];
        try {
          batch = await queue.receive({
            max: Math.min(10, limit - c.received),
            waitMs: request.waitMs ?? DRAIN_WAIT_MS,
            visibilityMs: Math.max(30_000, Math.min(deadline.remainingMs(), 900_000)),
          });
        } catch (err) {
          c.queueErrors++;
          logger.warn("on-failure queue receive failed", { queue: queue.name, error: String(err) });
          break;
        }
        if (batch.length === 0) break;
        c.received += batch.length;
        for (const m of batch) {
          if (deadline.expired()) {
            keep(queue, m);
            continue;
          }
          const read = readQueued(m.body);
          const hit = "event" in read ? operationOfTopic(routes, read.event.topic) : undefined;
          if (dryRun || !("event" in read) || !hit) {
            const why = !("event" in read)
              ? `not a rule event: ${read.why}`
              : !hit
                ? `no operation's channel matches ${read.event.topic}`
                : undefined;
            if (why) logger.warn("failed invocation kept", { queue: queue.name, id: m.id, why });
            if (dryRun) {
              plan.push({
                queue: queue.name,
                id: m.id,
                ...(hit ? { operation: hit[0] } : {}),
                ...("event" in read ? { topic: read.event.topic } : {}),
                action: why ? "keep" : "redrive",
                ...(why ? { why } : {}),
              });
            }
            keep(queue, m);
            continue;
          }
          const done = await redriveOne(routes, ports, breakers, hit, read, m, context, c);
          if (!done) {
            keep(queue, m);
            continue;
          }
          metrics.count("replay-progress", 1, {});
          try {
            await queue.delete(m.handle);
          } catch (err) {
            // Handled and idempotent: a redelivery is a duplicate.
            c.queueErrors++;
            logger.warn("on-failure queue delete failed", {
              queue: queue.name,
              id: m.id,
              error: String(err),
            });
          }
        }
      }
    }
  } finally {
    for (const [queue, handle] of toRelease) {
      await queue.release(handle).catch((err: unknown) => {
        c.queueErrors++;
        logger.warn("on-failure queue release failed", { queue: queue.name, error: String(err) });
      });
    }
    await ports.metrics.flush();
  }
  const summary = { ...c, plan };
  logger.info("on-failure drain finished", { ...summary, plan: plan.length });
  return summary;
}

/** Re-drives one message; files it to the DLQ when that fails. False: keep it queued. */
async function redriveOne(
  routes: ReplayRoutes,
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  [operation, route]: [string, RecordRoute | BatchRoute],
  read: { record: unknown; event: RuleEvent },
  m: FailedInvocation,
  context: InvocationContext | undefined,
  c: Counts,
): Promise<boolean> {
  const logger = ports.logger ?? silentLogger;
  try {
    const s = await redriveRuleEvent(routes, ports, breakers, read.event, context);
    if (!s) return false;
    c.redriven++;
    c.stored += s.stored;
    c.duplicates += s.duplicates;
    c.deadLettered += s.deadLettered;
    return true;
  } catch (err) {
    if (err instanceof RedeliveryRequired) {
      logger.info("failed invocation claimed by a live invocation, kept", { id: m.id });
      return false;
    }
    const original = originalFailure(read.record);
    const payload = eventPayload(read.event);
    try {
      await ports.dlq.put(
        ruleActionDeadLetterEntry({
          operation,
          type: route.kind,
          reasonCode: FAILED_INVOCATION_REASON,
          error: `${original.detail ? `${original.detail}; ` : ""}redrive: ${err instanceof Error ? err.message : String(err)}`,
          vehicleId: route.parseVehicleId(read.event.topic) ?? (read.event.clientId || "unknown"),
          topic: read.event.topic,
          receivedAt: read.event.receivedAt,
          payload,
          id: unparsedId(payload),
          attempt: original.invokeCount + m.receiveCount,
        }),
      );
      c.filed++;
      // Counted like every dead letter (the DLQ alarms see it, by its reason).
      new RoleMetrics(ports.metrics, routes.metrics).count("dlq-count", 1, {
        reason: FAILED_INVOCATION_REASON,
      });
      return true;
    } catch (fileErr) {
      logger.error("failed invocation could not be filed, kept", {
        id: m.id,
        error: String(fileErr),
      });
      return false;
    }
  }
}

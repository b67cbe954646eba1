import type { CircuitBreakers } from "./breakers.js";
import { readRuleEvent, type InvocationContext, type RuleEvent } from "./event.js";
import { createBatchHandler, createRecordHandler } from "./handlers.js";
import type { InvocationSummary } from "./outcome.js";
import type { HandlerPorts } from "./ports.js";
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

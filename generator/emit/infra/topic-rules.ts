import type { Model } from "../../model/types.js";
import { ruleSql } from "../../../runtime/src/handlers/event.js";
import { handledOperations } from "./functions.js";

/** One IoT topic rule: a handled operation's channel routed to its handler. */
export interface TopicRuleView {
  readonly operationId: string;
  readonly channelId: string;
  readonly handler: string;
  readonly sql: string;
}

/**
 * The rule SQL for a channel filter: the runtime's `ruleSql`, built from the same field list
 * as the handler's event reader (`runtime/src/handlers/event.ts`), so the two cannot drift.
 */
export function topicRuleSql(filter: string): string {
  return ruleSql(filter);
}

/** One rule per handled operation, in spec order (the model guarantees its channel exists). */
export function topicRules(model: Model): TopicRuleView[] {
  return handledOperations(model).flatMap((op) => {
    const channel = model.channels.find((c) => c.id === op.channelId);
    if (!channel) return [];
    return [
      {
        operationId: op.id,
        channelId: channel.id,
        handler: op.handler!.name,
        sql: topicRuleSql(channel.filter),
      },
    ];
  });
}

/** One IoT topic rule per reply channel: the vehicle's answers routed to the cloud's reply queue. */
export interface ReplyRuleView {
  /** The vehicle `receive` operation whose AsyncAPI `reply` this is. */
  readonly operationId: string;
  /** The reply channel and its topic filter. */
  readonly channelId: string;
  readonly filter: string;
  /** The runtime's rule SQL over the filter (the same event shape as the handlers' rules). */
  readonly sql: string;
}

/**
 * One rule per `receive` operation with a `reply` (request/reply), in spec order: the vehicle
 * publishes its answer on the reply channel and the cloud must receive it on AWS too.
 */
export function replyRules(model: Model): ReplyRuleView[] {
  return model.operations.flatMap((op) => {
    if (op.action !== "receive" || !op.reply) return [];
    const channel = model.channels.find((c) => c.id === op.reply!.channelId);
    if (!channel) return [];
    return [
      {
        operationId: op.id,
        channelId: channel.id,
        filter: channel.filter,
        sql: topicRuleSql(channel.filter),
      },
    ];
  });
}

/** Participant kinds the infra deploys a resource for (VOCABULARY §1), in resource order. */
export const STORE_KINDS = ["key-value-store", "time-series-store", "object-store"] as const;

/** A deployed store: one participant of a store kind and what the functions use it for. */
export interface StoreView {
  readonly id: string;
  readonly name: string;
  readonly kind: (typeof STORE_KINDS)[number];
  /** key-value-store: some handler writes records to it. */
  readonly records: boolean;
  /** key-value-store: some handler keeps dedup claims in it. */
  readonly dedup: boolean;
  /** object-store: some function dead-letters into it. */
  readonly deadLetter: boolean;
}

/** Every participant of a store kind, with its uses by the functions. */
export function stores(
  model: Model,
  fns: readonly { writes: readonly string[]; dedup?: string; deadLetter?: string }[],
): StoreView[] {
  return model.participants.flatMap((p) => {
    const kind = STORE_KINDS.find((k) => k === p.kind);
    if (!kind) return [];
    return [
      {
        id: p.id,
        name: p.name,
        kind,
        records: fns.some((f) => f.writes.includes(p.id)),
        dedup: fns.some((f) => f.dedup === p.id),
        deadLetter: fns.some((f) => f.deadLetter === p.id),
      },
    ];
  });
}

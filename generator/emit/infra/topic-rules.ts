import type { Model } from "../../model/types.js";

/** One IoT topic rule: a send operation's channel routed to its handler. */
export interface TopicRuleView {
  readonly operationId: string;
  readonly channelId: string;
  readonly handler: string;
  readonly sql: string;
}

/**
 * The rule SQL for a channel filter. A rule's Lambda action cannot pass binary, so the payload is
 * base64-encoded; topic, client id and broker timestamp complete the handler's event.
 */
export function topicRuleSql(filter: string): string {
  return `SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS clientId, timestamp() AS timestamp FROM '${filter}'`;
}

/** One rule per send (publish) operation that names a handler, in spec order. */
export function topicRules(model: Model): TopicRuleView[] {
  return model.operations
    .filter((op) => op.action === "send" && op.handler)
    .map((op) => {
      const channel = model.channels.find((c) => c.id === op.channelId);
      if (!channel) throw new Error(`operation ${op.id} on unknown channel ${op.channelId}`);
      return {
        operationId: op.id,
        channelId: channel.id,
        handler: op.handler!.name,
        sql: topicRuleSql(channel.filter),
      };
    });
}

/**
 * What an AWS IoT rule delivers to a handler Lambda. The rule SQL must base64-encode the
 * binary MQTT payload (`encode(*, 'base64')`, a Lambda action cannot pass raw bytes) and adds
 * `topic()`, `clientid()` and `timestamp()` (epoch ms when the broker received the message).
 */
export interface RuleEvent {
  readonly payload: string;
  readonly topic: string;
  readonly clientId: string;
  readonly receivedAt: number;
}

/** The part of the Lambda context a handler needs (the FM-14 deadline). */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
}

/** Field aliases of the rule SQL, in the order the event interface lists them. */
export const RULE_EVENT_FIELDS = {
  payload: "encode(*, 'base64')",
  topic: "topic()",
  clientId: "clientid()",
  receivedAt: "timestamp()",
} as const;

/** The IoT rule SQL that produces a RuleEvent for every topic matching `filter`. */
export function ruleSql(filter: string): string {
  const select = Object.entries(RULE_EVENT_FIELDS)
    .map(([alias, expr]) => `${expr} AS ${alias}`)
    .join(", ");
  return `SELECT ${select} FROM '${filter}'`;
}

/** The payload bytes of an event (base64 as the rule encoded them). */
export function eventPayload(event: RuleEvent): Buffer {
  return Buffer.from(event.payload, "base64");
}

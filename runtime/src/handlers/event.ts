/**
 * The one definition of what an AWS IoT rule delivers to a handler Lambda. The field list below
 * builds both the rule SQL (`ruleSql`, used by the generated infra and handlers) and the
 * handler's reader (`readRuleEvent`, called by `eventPayload`), so the two cannot drift.
 *
 * A rule's Lambda action cannot pass raw bytes, so the MQTT payload is base64-encoded
 * (`encode(*, 'base64')`); `topic()`, `clientid()` and `timestamp()` (epoch ms when the broker
 * received the message) complete the event.
 */
export const RULE_EVENT_FIELDS = {
  payload: { sql: "encode(*, 'base64')", type: "string" },
  topic: { sql: "topic()", type: "string" },
  clientId: { sql: "clientid()", type: "string" },
  receivedAt: { sql: "timestamp()", type: "number" },
} as const;

type FieldTypes = { readonly string: string; readonly number: number };

/** What an IoT rule built by `ruleSql` delivers to a handler. */
export type RuleEvent = {
  readonly [K in keyof typeof RULE_EVENT_FIELDS]: FieldTypes[(typeof RULE_EVENT_FIELDS)[K]["type"]];
};

/** The part of the Lambda context a handler needs (the deadline, the request id on logs). */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
  readonly functionName?: string;
}

/** An event that is not what `ruleSql` produces (a rule with other SQL, or a hand-made event). */
export class RuleEventError extends TypeError {
  override readonly name = "RuleEventError";
}

/** The IoT rule SQL that produces a RuleEvent for every topic matching `filter`. */
export function ruleSql(filter: string): string {
  const select = Object.entries(RULE_EVENT_FIELDS)
    .map(([alias, field]) => `${field.sql} AS ${alias}`)
    .join(", ");
  return `SELECT ${select} FROM '${filter}'`;
}

/**
 * Checks that `raw` has every field of RULE_EVENT_FIELDS with its type (a number must be
 * finite) and returns it typed; throws a RuleEventError naming the field and the SQL that
 * should have produced it.
 */
export function readRuleEvent(raw: unknown): RuleEvent {
  if (typeof raw !== "object" || raw === null) {
    throw new RuleEventError(`an IoT rule event must be an object, got ${typeof raw}`);
  }
  const record = raw as Record<string, unknown>;
  for (const [alias, field] of Object.entries(RULE_EVENT_FIELDS)) {
    const value = record[alias];
    const ok =
      field.type === "number"
        ? typeof value === "number" && Number.isFinite(value)
        : typeof value === "string";
    if (!ok) {
      throw new RuleEventError(
        `IoT rule event field "${alias}" must be a ${field.type} (rule SQL \`${field.sql} AS ${alias}\`), got ${JSON.stringify(value)}`,
      );
    }
  }
  return raw as RuleEvent;
}

/** The payload bytes of an event (base64 as the rule encoded them), after `readRuleEvent`. */
export function eventPayload(event: RuleEvent): Buffer {
  return Buffer.from(readRuleEvent(event).payload, "base64");
}

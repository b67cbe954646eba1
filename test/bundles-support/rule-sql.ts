/**
 * Builds the event an AWS IoT rule delivers to its Lambda action from the rule's own SQL (as
 * synthesized into the CloudFormation template), for one MQTT message. Knows the IoT SQL
 * functions a rule may select (`encode(*, 'base64')`, `topic()`, `clientid()`, `timestamp()`);
 * any other expression is an error, so a rule whose SQL drifts from what the test can deliver
 * fails loudly instead of passing with a hand-made event.
 */

/** One MQTT message as the broker received it. */
export interface BrokerMessage {
  readonly topic: string;
  readonly clientId: string;
  readonly payload: Uint8Array;
  /** Epoch ms the broker received it (`timestamp()`). */
  readonly receivedAt: number;
}

/** A parsed rule: the selected `expression AS alias` pairs and the topic filter. */
export interface ParsedRule {
  readonly select: readonly { readonly expression: string; readonly alias: string }[];
  readonly filter: string;
}

/** Parses `SELECT <expr> AS <alias>, ... FROM '<filter>'` (the 2016-03-23 SQL the rules use). */
export function parseRuleSql(sql: string): ParsedRule {
  const m = /^SELECT (.+) FROM '([^']+)'$/s.exec(sql.trim());
  if (!m) throw new Error(`not a SELECT ... FROM '<filter>' rule: ${sql}`);
  const select: { expression: string; alias: string }[] = [];
  // Split on commas outside parentheses and quotes.
  let depth = 0;
  let quoted = false;
  let start = 0;
  const list = m[1]!;
  const items: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === "'") quoted = !quoted;
    else if (!quoted && c === "(") depth++;
    else if (!quoted && c === ")") depth--;
    else if (!quoted && depth === 0 && c === ",") {
      items.push(list.slice(start, i));
      start = i + 1;
    }
  }
  items.push(list.slice(start));
  for (const item of items) {
    const a = /^\s*(.+?)\s+AS\s+([A-Za-z_][A-Za-z0-9_]*)\s*$/s.exec(item);
    if (!a) throw new Error(`rule SQL selects "${item.trim()}" without an alias`);
    select.push({ expression: a[1]!, alias: a[2]! });
  }
  return { select, filter: m[2]! };
}

/** Does an MQTT topic match a filter (`+` one level, `#` the rest)? */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The value of one selected IoT SQL expression for `message`. */
function evaluate(expression: string, message: BrokerMessage): string | number {
  const e = expression.replace(/\s+/g, "");
  if (e === "encode(*,'base64')") return Buffer.from(message.payload).toString("base64");
  if (e === "topic()") return message.topic;
  if (e === "clientid()") return message.clientId;
  if (e === "timestamp()") return message.receivedAt;
  throw new Error(`the test cannot evaluate IoT SQL expression ${expression}`);
}

/** The Lambda event the rule `sql` delivers for `message` (throws if the topic does not match). */
export function ruleEvent(sql: string, message: BrokerMessage): Record<string, string | number> {
  const rule = parseRuleSql(sql);
  if (!topicMatches(rule.filter, message.topic)) {
    throw new Error(`topic ${message.topic} does not match the rule's filter ${rule.filter}`);
  }
  return Object.fromEntries(rule.select.map((s) => [s.alias, evaluate(s.expression, message)]));
}

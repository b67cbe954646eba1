/** Validation rules for one topic parameter, from the AsyncAPI channel parameter. */
export interface TopicParameterRule {
  readonly enum?: readonly string[];
  readonly pattern?: string;
}

/** Thrown when a topic parameter is missing or does not match its enum/pattern. */
export class TopicParameterError extends Error {
  constructor(
    readonly channel: string,
    readonly parameter: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(
      `topic parameter "${parameter}" of channel "${channel}" is ${JSON.stringify(value)}; expected ${expected}`,
    );
    this.name = "TopicParameterError";
  }
}

/**
 * A channel address such as `v2c/v1/{region}/{vehicle_id}/telemetry/vehicle`: builds topics from
 * validated parameters, parses topics back into parameters, and gives the subscription filter.
 */
export class TopicTemplate<P extends Record<string, string>> {
  private readonly names: string[];
  private readonly regex: RegExp;
  private readonly patterns: Map<string, RegExp>;
  /** The MQTT filter matching every topic of the channel (`+` per parameter). */
  readonly filter: string;

  constructor(
    readonly channel: string,
    readonly address: string,
    private readonly rules: Readonly<Record<keyof P & string, TopicParameterRule>>,
  ) {
    this.names = [...address.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const escaped = address.replace(/[.*+?^$()|[\]\\]/g, "\\$&");
    this.regex = new RegExp(`^${escaped.replace(/\\?\{[^}]+\\?\}|\{[^}]+\}/g, "([^/]+)")}$`);
    this.patterns = new Map(
      Object.entries(rules as Record<string, TopicParameterRule>)
        .filter(([, r]) => r.pattern)
        .map(([k, r]) => [k, new RegExp(r.pattern!)]),
    );
    this.filter = address.replace(/\{[^}]+\}/g, "+");
  }

  /** Builds a topic, validating every parameter; throws TopicParameterError. */
  build(params: P): string {
    let topic = this.address;
    for (const name of this.names) {
      const value = params[name];
      this.check(name, value);
      topic = topic.replace(`{${name}}`, value as string);
    }
    return topic;
  }

  /** Parses a topic of this channel into validated parameters; undefined if it is not one. */
  parse(topic: string): P | undefined {
    const m = this.regex.exec(topic);
    if (!m) return undefined;
    const out: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) {
      const name = this.names[i]!;
      const value = m[i + 1]!;
      if (!this.valid(name, value)) return undefined;
      out[name] = value;
    }
    return out as P;
  }

  private valid(name: string, value: unknown): boolean {
    if (typeof value !== "string" || value.length === 0 || /[/+#]/.test(value)) return false;
    const rule = (this.rules as Record<string, TopicParameterRule>)[name];
    if (rule?.enum && !rule.enum.includes(value)) return false;
    const pattern = this.patterns.get(name);
    return !pattern || pattern.test(value);
  }

  private check(name: string, value: unknown): void {
    if (this.valid(name, value)) return;
    const rule = (this.rules as Record<string, TopicParameterRule>)[name];
    const expected = rule?.enum
      ? `one of ${rule.enum.join(", ")}`
      : rule?.pattern
        ? `a match of ${rule.pattern}`
        : "a non-empty topic level without / + #";
    throw new TopicParameterError(this.channel, name, value, expected);
  }
}

/** One field's constraints, generated from the `(v2c.options.v1.field)` options in proto/. */
export interface FieldConstraint {
  /** Dotted path of ts-proto property names. */
  readonly path: string;
  /** Dotted path of proto field names (used in violation reasons). */
  readonly protoPath: string;
  readonly kind: "number" | "bigint-number" | "string" | "bytes" | "bool" | "enum" | "message";
  readonly repeated: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: string;
  readonly required: boolean;
  readonly pattern?: string;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly maxLength?: number;
}

/** The constraints of one message type. */
export interface MessageConstraints {
  readonly message: string;
  readonly schemaVersion: number;
  readonly minSupportedSchemaVersion: number;
  readonly fields: readonly FieldConstraint[];
}

/** One broken constraint. */
export interface ConstraintViolation {
  readonly field: string;
  readonly rule:
    | "required"
    | "min"
    | "max"
    | "pattern"
    | "min_items"
    | "max_items"
    | "max_length"
    | "not_finite";
  readonly message: string;
}

/**
 * A validator compiled once from a constraint table (patterns compiled, paths split), so that
 * checking a message is a few property reads per constrained field.
 */
export class ConstraintChecker {
  private readonly compiled: { c: FieldConstraint; keys: string[]; re?: RegExp }[];

  constructor(readonly table: MessageConstraints) {
    this.compiled = table.fields.map((c) => ({
      c,
      keys: c.path.split("."),
      ...(c.pattern ? { re: new RegExp(c.pattern) } : {}),
    }));
  }

  /** Returns every violation (empty when the message is valid). Absent parent messages skip their fields. */
  check(message: object): ConstraintViolation[] {
    const out: ConstraintViolation[] = [];
    for (const { c, keys, re } of this.compiled) {
      let value: unknown = message;
      let present = true;
      for (const k of keys) {
        if (value === undefined || value === null) {
          present = false;
          break;
        }
        value = (value as Record<string, unknown>)[k];
      }
      if (!present) continue;
      if (c.repeated) {
        const list = (value as unknown[] | undefined) ?? [];
        if (c.required && list.length === 0) out.push(v(c, "required", "must not be empty"));
        if (c.minItems !== undefined && list.length < c.minItems)
          out.push(v(c, "min_items", `has ${list.length} items, fewer than ${c.minItems}`));
        if (c.maxItems !== undefined && list.length > c.maxItems)
          out.push(v(c, "max_items", `has ${list.length} items, more than ${c.maxItems}`));
        for (const item of list) checkScalar(c, item, re, out);
      } else {
        if (c.required && isDefault(value)) {
          out.push(v(c, "required", "is required"));
          continue;
        }
        checkScalar(c, value, re, out);
      }
    }
    return out;
  }
}

function checkScalar(
  c: FieldConstraint,
  value: unknown,
  re: RegExp | undefined,
  out: ConstraintViolation[],
): void {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) {
      out.push(v(c, "not_finite", `is ${value}`));
      return;
    }
    if (c.min !== undefined && value < c.min)
      out.push(v(c, "min", `${value} is below ${c.min}${c.unit ? ` ${c.unit}` : ""}`));
    if (c.max !== undefined && value > c.max)
      out.push(v(c, "max", `${value} is above ${c.max}${c.unit ? ` ${c.unit}` : ""}`));
  } else if (typeof value === "string") {
    if (re && !re.test(value))
      out.push(
        v(c, "pattern", `${JSON.stringify(value.slice(0, 64))} does not match ${c.pattern}`),
      );
    if (c.maxLength !== undefined && value.length > c.maxLength)
      out.push(v(c, "max_length", `is ${value.length} characters, more than ${c.maxLength}`));
  }
}

function isDefault(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === 0 ||
    value === "" ||
    value === false ||
    (value instanceof Uint8Array && value.length === 0)
  );
}

function v(
  c: FieldConstraint,
  rule: ConstraintViolation["rule"],
  message: string,
): ConstraintViolation {
  return { field: c.protoPath, rule, message: `${c.protoPath} ${message}` };
}

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

/** Marks a field whose parent sub-message is absent (its constraints are skipped). */
const ABSENT = Symbol("absent");
type Getter = (message: Record<string, unknown>) => unknown;
type Step = (message: Record<string, unknown>, out: ConstraintViolation[]) => void;

/**
 * A validator compiled once from a constraint table: each field becomes a small closure
 * specialised for its depth and kind (patterns compiled, bounds captured), so checking a
 * message is a few property reads per constrained field with no per-call interpretation.
 */
export class ConstraintChecker {
  private readonly steps: Step[];

  constructor(readonly table: MessageConstraints) {
    this.steps = table.fields.map(compileField);
  }

  /** Returns every violation (empty when the message is valid). Absent parent messages skip their fields. */
  check(message: object): ConstraintViolation[] {
    const out: ConstraintViolation[] = [];
    const m = message as Record<string, unknown>;
    for (let i = 0; i < this.steps.length; i++) this.steps[i]!(m, out);
    return out;
  }
}

function compileGetter(keys: readonly string[]): Getter {
  const [k0, k1, k2] = keys;
  if (keys.length === 1) return (m) => m[k0!];
  if (keys.length === 2)
    return (m) => {
      const p = m[k0!] as Record<string, unknown> | null | undefined;
      return p === undefined || p === null ? ABSENT : p[k1!];
    };
  if (keys.length === 3)
    return (m) => {
      const p = m[k0!] as Record<string, unknown> | null | undefined;
      if (p === undefined || p === null) return ABSENT;
      const q = p[k1!] as Record<string, unknown> | null | undefined;
      return q === undefined || q === null ? ABSENT : q[k2!];
    };
  return (m) => {
    let value: unknown = m;
    for (const k of keys) {
      if (value === undefined || value === null) return ABSENT;
      value = (value as Record<string, unknown>)[k];
    }
    return value;
  };
}

function compileField(c: FieldConstraint): Step {
  const get = compileGetter(c.path.split("."));
  const re = c.pattern ? new RegExp(c.pattern) : undefined;
  if (c.repeated) {
    return (m, out) => {
      const value = get(m);
      if (value === ABSENT) return;
      const list = (value as unknown[] | undefined) ?? [];
      if (c.required && list.length === 0) out.push(v(c, "required", "must not be empty"));
      if (c.minItems !== undefined && list.length < c.minItems)
        out.push(v(c, "min_items", `has ${list.length} items, fewer than ${c.minItems}`));
      if (c.maxItems !== undefined && list.length > c.maxItems)
        out.push(v(c, "max_items", `has ${list.length} items, more than ${c.maxItems}`));
      for (const item of list) checkScalar(c, item, re, out);
    };
  }
  return (m, out) => {
    const value = get(m);
    if (value === ABSENT) return;
    if (c.required && isDefault(value)) {
      out.push(v(c, "required", "is required"));
      return;
    }
    checkScalar(c, value, re, out);
  };
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

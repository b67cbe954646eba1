/**
 * The deprecated `(v2c.options.v1.field)` constraints (options schema version 1): still read, with
 * a warning that names the protovalidate annotation to write instead, so that protos written
 * before protovalidate keep generating.
 */
import { getOption, hasOption, type DescExtension, type DescField } from "@bufbuild/protobuf";
import type { LoadedProto } from "./proto.js";

/** The deprecated field option of options schema version 1 (read with a warning). */
export const LEGACY_OPTION = "v2c.options.v1.field";
export interface LegacyConstraints {
  min?: number;
  max?: number;
  unit: string;
  required: boolean;
  pattern: string;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
}

export function legacyConstraints(
  proto: LoadedProto,
  field: DescField,
): LegacyConstraints | undefined {
  const ext = proto.registry.getExtension(LEGACY_OPTION) as DescExtension | undefined;
  if (!ext || !hasOption(field as never, ext as never)) return undefined;
  return getOption(field as never, ext as never) as LegacyConstraints;
}

/** The checker entry of a deprecated option: the same semantics as the protovalidate rules it names. */
export function legacyEntry(
  c: LegacyConstraints,
  family: string | undefined,
): Record<string, unknown> {
  return {
    ...(family ? { ruleType: family } : {}),
    required: c.required,
    ...(c.min !== undefined ? { min: c.min } : {}),
    ...(c.max !== undefined ? { max: c.max } : {}),
    ...(c.unit ? { unit: c.unit } : {}),
    ...(c.pattern ? { pattern: c.pattern } : {}),
    ...(c.minItems !== undefined ? { minItems: c.minItems } : {}),
    ...(c.maxItems !== undefined ? { maxItems: c.maxItems } : {}),
    ...(c.maxLength !== undefined ? { maxLength: c.maxLength } : {}),
  };
}

/** The protovalidate annotation that replaces a deprecated option, as text. */
export function legacyAdvice(c: LegacyConstraints, family: string, repeated: boolean): string {
  const scalar = [
    c.min !== undefined ? `gte: ${c.min}` : "",
    c.max !== undefined ? `lte: ${c.max}` : "",
    c.pattern ? `pattern: ${JSON.stringify(c.pattern)}` : "",
    c.maxLength !== undefined ? `max_len: ${c.maxLength}` : "",
  ].filter(Boolean);
  const rules = scalar.length > 0 ? `${family}: { ${scalar.join(", ")} }` : "";
  const parts = [c.required ? "(buf.validate.field).required = true" : ""];
  if (repeated) {
    const items = [
      c.minItems !== undefined ? `min_items: ${c.minItems}` : "",
      c.maxItems !== undefined ? `max_items: ${c.maxItems}` : "",
      rules ? `items: { ${rules} }` : "",
    ].filter(Boolean);
    if (items.length > 0) parts.push(`(buf.validate.field).repeated = { ${items.join(", ")} }`);
  } else if (rules) parts.push(`(buf.validate.field) = { ${rules} }`);
  if (c.unit) parts.push(`(v2c.options.v1.unit) = ${JSON.stringify(c.unit)}`);
  return `[${parts.filter(Boolean).join(", ")}]`;
}

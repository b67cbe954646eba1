import type { FieldConstraintModel, MessageModel } from "../../model/types.js";
import { sampleScalar, type SampleScalar } from "./sample-values.js";

type Json = { [key: string]: Json | SampleScalar };

function setPath(target: Json, path: string, value: Json | SampleScalar): void {
  const keys = path.split(".");
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Json;
  node[keys.at(-1)!] = value;
}

/** Top-level property names of the message's envelope fields (the client fills those). */
function envelopePaths(message: MessageModel): Set<string> {
  return new Set(
    Object.values(message.envelope)
      .filter((f): f is { path: string } => typeof f === "object" && f !== null && "path" in f)
      .map((f) => f.path),
  );
}

/** A single numeric range (no const/in/not_in, outside any oneof) the caller may set. */
function rangedFields(message: MessageModel): FieldConstraintModel[] {
  const envelope = envelopePaths(message);
  return message.constraints.filter(
    (c) =>
      (c.kind === "number" || c.kind === "bigint-number") &&
      !c.repeated &&
      (c.min !== undefined || c.max !== undefined) &&
      c.const === undefined &&
      c.in === undefined &&
      c.notIn === undefined &&
      !c.oneofs?.length &&
      !envelope.has(c.path),
  );
}

/** A value inside the field's range: the midpoint of a closed range, else next to its bound. */
function inside(c: FieldConstraintModel): number {
  if (c.min !== undefined && c.max !== undefined) return Math.round((c.min + c.max) / 2);
  if (c.min !== undefined) return c.exclusiveMin ? c.min + 1 : c.min;
  return c.exclusiveMax ? c.max! - 1 : c.max!;
}

/** Whether `path` is already set in `target`. */
function hasPath(target: Json, path: string): boolean {
  let node: Json | SampleScalar | undefined = target;
  for (const k of path.split(".")) {
    if (typeof node !== "object") return false;
    node = node[k];
  }
  return node !== undefined;
}

/**
 * A snapshot that satisfies `message`'s declared rules (nested and top-level): each numeric
 * range at its midpoint, or next to its only bound; every other field that needs a value gets
 * one that fits its rules (sample-values.ts), and a required sub-message is present. Envelope
 * fields are the client's; repeated fields and oneof members stay empty.
 */
export function sampleSnapshot(message: MessageModel): Json {
  const out: Json = {};
  for (const c of rangedFields(message)) setPath(out, c.path, inside(c));
  const envelope = envelopePaths(message);
  for (const c of message.constraints) {
    if (c.repeated || c.oneofs?.length || envelope.has(c.path) || hasPath(out, c.path)) continue;
    const value = sampleScalar(message, c);
    if (value !== undefined) setPath(out, c.path, value);
    else if (c.kind === "message" && c.required) setPath(out, c.path, {});
  }
  return out;
}

/** A value that breaks the field's range, and the bound it breaks; none when no safe one exists. */
function outside(c: FieldConstraintModel): { value: number; rule: "max" | "min" } | undefined {
  if (c.max !== undefined) return { value: c.exclusiveMax ? c.max : c.max + 1, rule: "max" };
  // Below the minimum, but never negative: an unsigned field cannot hold it.
  const below = c.exclusiveMin ? c.min! : c.min! - 1;
  if (below < 0 || (below === 0 && c.ignoreZero)) return undefined;
  return { value: below, rule: "min" };
}

/**
 * The sample snapshot with one declared numeric range broken (its max + 1, or its min - 1) and
 * the single violation that must produce (`<proto path>:<rule>`); `undefined` when the message
 * declares no range the caller can break.
 */
export function invalidSnapshot(
  message: MessageModel,
): { snapshot: Json; violations: string[] } | undefined {
  for (const c of rangedFields(message)) {
    const broken = outside(c);
    if (!broken) continue;
    const snapshot = sampleSnapshot(message);
    setPath(snapshot, c.path, broken.value);
    return { snapshot, violations: [`${c.protoPath}:${broken.rule}`] };
  }
  return undefined;
}

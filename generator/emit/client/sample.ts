import type { FieldConstraintModel, MessageModel } from "../../model/types.js";

type Json = { [key: string]: Json | number };

function setPath(target: Json, path: string, value: number): void {
  const keys = path.split(".");
  let node = target;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Json;
  node[keys.at(-1)!] = value;
}

const ranged = (c: FieldConstraintModel) =>
  (c.kind === "number" || c.kind === "bigint-number") &&
  !c.repeated &&
  c.min !== undefined &&
  c.max !== undefined;

/**
 * A snapshot inside every range of `message`'s nested constraints: each constrained number of a
 * nested message at the midpoint of its range (rounded). Envelope fields are the client's.
 */
export function sampleSnapshot(message: MessageModel): Json {
  const out: Json = {};
  for (const c of message.constraints.filter((c) => c.path.includes(".") && ranged(c)))
    setPath(out, c.path, Math.round((c.min! + c.max!) / 2));
  return out;
}

/** A snapshot with the first `count` nested ranged fields one above their maximum, and the violations it must produce. */
export function invalidSnapshot(
  message: MessageModel,
  count = 2,
): { snapshot: Json; violations: string[] } {
  const fields = message.constraints
    .filter((c) => c.path.includes(".") && ranged(c))
    .slice(0, count);
  const snapshot: Json = {};
  for (const c of fields) setPath(snapshot, c.path, c.max! + 1);
  return { snapshot, violations: fields.map((c) => `${c.protoPath}:max`) };
}

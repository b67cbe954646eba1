import type { EnvelopeFieldModel, MessageModel, Model } from "../../model/types.js";

/** The message of `id` (ids are resolved in the model: a missing one is a generator bug). */
export function messageById(model: Model, id: string): MessageModel {
  const m = model.messages.find((x) => x.id === id);
  if (!m) throw new Error(`handlers emitter: unknown message ${id} (the model resolves every id)`);
  return m;
}

/** A property accessor of a ts-proto path: `.a.b`, bracketed when a segment is not an identifier. */
export function accessor(path: string): string {
  return path
    .split(".")
    .map((seg) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`))
    .join("");
}

/** `r.<path>` of an envelope role, or `fallback` when the message declares no such role. */
export function roleRead(
  variable: string,
  field: EnvelopeFieldModel | undefined,
  fallback: string,
): string {
  if (!field) return fallback;
  const read = `${variable}${accessor(field.path)}`;
  return field.kind === "bigint-number" ? `Number(${read})` : read;
}

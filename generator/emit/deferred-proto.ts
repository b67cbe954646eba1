import { EMITTED_SCOPE } from "./npm-scope.js";
import type { GeneratedFile } from "./types.js";

/**
 * Stand-ins for ts-proto output that is still being computed (in a worker thread): one unique
 * marker per output name, so that every emitter can run meanwhile and the texts are put in
 * afterwards ({@link fillProtoTs}).
 */
export function protoTsPlaceholders(names: readonly string[]): Map<string, string> {
  return new Map(names.map((n) => [n, `${PROTO_TS_MARK}${n}\u0000`]));
}

/** How every ts-proto placeholder starts. */
export const PROTO_TS_MARK = "\u0000v2c-gen ts-proto output ";

/**
 * The emitted files with each placeholder replaced by ts-proto's text: exactly what the emitters
 * would have produced given the texts, or undefined when that cannot be guaranteed — ts-proto
 * produced other names, a placeholder is not in the output exactly once (an emitter used the
 * text otherwise than copying it), or a text names a package of the emitted npm scope (which
 * the scope rewrite would have touched). The caller then emits again with the texts.
 */
export function fillProtoTs(
  files: readonly GeneratedFile[],
  placeholders: ReadonlyMap<string, string>,
  texts: ReadonlyMap<string, string>,
): GeneratedFile[] | undefined {
  if (texts.size !== placeholders.size || [...texts.keys()].some((n) => !placeholders.has(n)))
    return undefined;
  if ([...texts.values()].some((t) => t.includes(`${EMITTED_SCOPE}/`) || t.includes("\u0000")))
    return undefined;
  const seen = new Map<string, number>();
  const out = files.map((f) => {
    if (!f.content.includes("\u0000")) return f;
    let content = f.content;
    for (const [name, marker] of placeholders) {
      const parts = content.split(marker);
      if (parts.length === 1) continue;
      seen.set(name, (seen.get(name) ?? 0) + parts.length - 1);
      content = parts.join(texts.get(name)!);
    }
    return { ...f, content };
  });
  if ([...placeholders.keys()].some((n) => seen.get(n) !== 1)) return undefined;
  if (out.some((f) => f.content.includes(PROTO_TS_MARK))) return undefined;
  return out;
}

/** Stand-in for the bundled contract's body while the YAML worker prints it. */
export const BUNDLED_PLACEHOLDER = "\u0000v2c-gen bundled contract\u0000";

/**
 * The emitted files with {@link BUNDLED_PLACEHOLDER} replaced by the contract's text, or
 * undefined when that cannot be guaranteed to equal emitting with the text (the placeholder is
 * not in the output exactly once, or the text holds a NUL); the caller then emits again.
 */
export function fillBundledAsyncApi(
  files: readonly GeneratedFile[],
  text: string,
): GeneratedFile[] | undefined {
  if (text.includes("\u0000")) return undefined;
  let seen = 0;
  const out = files.map((f) => {
    const parts = f.content.split(BUNDLED_PLACEHOLDER);
    if (parts.length === 1) return f;
    seen += parts.length - 1;
    return { ...f, content: parts.join(text) };
  });
  return seen === 1 ? out : undefined;
}

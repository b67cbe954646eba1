import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";

/** A compiled template folder: `render("topics.ts", view)` renders `templates/<folder>/topics.ts.hbs`. */
export interface TemplateSet {
  render(name: string, view: object): string;
}

const cache = new Map<string, TemplateSet>();

/** The marker a template carries when its output is already prettier-formatted. */
export const FORMATTED_MARKER = "{{!-- prettier-formatted --}}";

/** Every text rendered by a template with the marker (the formatter skips exactly these). */
const formattedOutputs = new Set<string>();

/**
 * True when `text` is, byte for byte, the output of a template marked prettier-formatted, so
 * prettier can be skipped. An emitter that changes the text afterwards loses the mark (its file
 * is formatted as usual). test/generate-formatted.test.ts checks every marked output with prettier.
 */
export function rendersFormatted(text: string): boolean {
  return formattedOutputs.has(text);
}

/**
 * Loads one artefact's templates plus the shared partials. Templates only print: they are
 * compiled with `strict: true` (a missing view field is an error, not an empty string) and
 * `noEscape: true` (we print code, not HTML).
 */
export function loadTemplates(templatesRoot: string, folder: string): TemplateSet {
  const key = `${templatesRoot}\0${folder}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const hb = Handlebars.create();
  const sharedDir = join(templatesRoot, "shared");
  for (const file of readdirSync(sharedDir)
    .filter((f) => f.endsWith(".hbs"))
    .sort()) {
    hb.registerPartial(file.replace(/\.hbs$/, ""), readFileSync(join(sharedDir, file), "utf8"));
  }
  hb.registerHelper("json", (value: unknown) => JSON.stringify(value));
  hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  const dir = join(templatesRoot, folder);
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  const marked = new Set<string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".hbs"))
    .sort()) {
    const text = readFileSync(join(dir, file), "utf8");
    const name = file.replace(/\.hbs$/, "");
    compiled.set(name, hb.compile(text, { strict: true, noEscape: true }));
    if (text.includes(FORMATTED_MARKER)) marked.add(name);
  }
  const set: TemplateSet = {
    render(name, view) {
      const t = compiled.get(name);
      if (!t) throw new Error(`no template ${folder}/${name}.hbs`);
      const out = t(view);
      if (marked.has(name)) formattedOutputs.add(out);
      return out;
    },
  };
  cache.set(key, set);
  return set;
}

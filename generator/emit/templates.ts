import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { compiledKey, loadCompiled } from "../compiled/store.js";
import { packageVersion } from "../package-version.js";
// The Handlebars runtime only (no compiler: a tenth of the full package to load); a static
// import, so the launcher's bundle carries it (generator/launch.mjs).
import HandlebarsRuntime from "handlebars/runtime";

/** A compiled template folder: `render("topics.ts", view)` renders `templates/<folder>/topics.ts.hbs`. */
export interface TemplateSet {
  render(name: string, view: object): string;
}

const cache = new Map<string, TemplateSet>();

/** The marker a template carries when its output is already prettier-formatted. */
export const FORMATTED_MARKER = "{{!-- prettier-formatted --}}";

/**
 * Templates only print: they are compiled with `strict: true` (a missing view field is an error,
 * not an empty string) and `noEscape: true` (we print code, not HTML).
 */
export const TEMPLATE_OPTIONS = { strict: true, noEscape: true } as const;

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

const requireHere = createRequire(import.meta.url);
type TemplateSpec = Parameters<typeof HandlebarsRuntime.template>[0];

/**
 * The precompiled form of a template text (what `Handlebars.precompile` prints, as a CommonJS
 * module), keyed by the text, Handlebars' version and the options. It comes from the prebuilt
 * folder or the cache (compiled/store.ts) when there, so a run loads only the Handlebars
 * runtime; the compiler is loaded only for a text compiled nowhere yet.
 */
export function templateSpec(text: string): TemplateSpec {
  const version = packageVersion("handlebars");
  const key = compiledKey("handlebars", version, JSON.stringify(TEMPLATE_OPTIONS), text);
  return loadCompiled<TemplateSpec>("hbs", key, () => {
    const compiler = requireHere("handlebars") as typeof import("handlebars");
    return `module.exports = ${String(compiler.precompile(text, { ...TEMPLATE_OPTIONS }))};\n`;
  });
}

/** Lists the `.hbs` files of a folder, sorted. */
export function templateFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".hbs"))
    .sort();
}

/**
 * Loads one artefact's templates plus the shared partials (see {@link TEMPLATE_OPTIONS}). A
 * template is looked up (or compiled) the first time it renders.
 */
export function loadTemplates(templatesRoot: string, folder: string): TemplateSet {
  const key = `${templatesRoot}\0${folder}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const hb = HandlebarsRuntime.create();
  const sharedDir = join(templatesRoot, "shared");
  for (const file of templateFiles(sharedDir)) {
    const spec = templateSpec(readFileSync(join(sharedDir, file), "utf8"));
    hb.registerPartial(file.replace(/\.hbs$/, ""), hb.template(spec));
  }
  hb.registerHelper("json", (value: unknown) => JSON.stringify(value));
  hb.registerHelper("eq", (a: unknown, b: unknown) => a === b);
  const dir = join(templatesRoot, folder);
  const texts = new Map<string, string>();
  for (const file of templateFiles(dir))
    texts.set(file.replace(/\.hbs$/, ""), readFileSync(join(dir, file), "utf8"));
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  const set: TemplateSet = {
    render(name, view) {
      const text = texts.get(name);
      if (text === undefined) throw new Error(`no template ${folder}/${name}.hbs`);
      let t = compiled.get(name);
      if (!t) compiled.set(name, (t = hb.template(templateSpec(text))));
      const out = t(view);
      if (text.includes(FORMATTED_MARKER)) formattedOutputs.add(out);
      return out;
    },
  };
  cache.set(key, set);
  return set;
}

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";

/** A compiled template folder: `render("topics.ts", view)` renders `templates/<folder>/topics.ts.hbs`. */
export interface TemplateSet {
  render(name: string, view: object): string;
}

const cache = new Map<string, TemplateSet>();

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
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".hbs"))
    .sort()) {
    compiled.set(
      file.replace(/\.hbs$/, ""),
      hb.compile(readFileSync(join(dir, file), "utf8"), { strict: true, noEscape: true }),
    );
  }
  const set: TemplateSet = {
    render(name, view) {
      const t = compiled.get(name);
      if (!t) throw new Error(`no template ${folder}/${name}.hbs`);
      return t(view);
    },
  };
  cache.set(key, set);
  return set;
}

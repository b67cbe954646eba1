import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { templateFiles, templateSpec } from "../emit/templates.js";
import { prebuildProtovalidate } from "../load/protovalidate.js";
import { EXTENSION_SCHEMA_FILE } from "../model/build-platform.js";
import { PREBUILT_DIR, setPrebuildDir } from "./store.js";
import { schemaValidators } from "./validators.js";

const TOOL_ROOT = resolve(import.meta.dirname, "..", "..");

/** What a prebuild compiled. */
export interface PrebuildResult {
  readonly dir: string;
  readonly templates: number;
  readonly schemaSets: number;
}

/**
 * Setup-time compilation (`node generator/launch.mjs --build`, run by `npm ci` as the
 * `prepare` script): every Handlebars template under templates/ precompiled, and standalone
 * validators for the toolchain's JSON Schemas — the `x-v2c` extension schema and the FMEA
 * schemas of the repository's spec (`fmea/schema/`; a spec with other schemas gets them
 * compiled on its first run), and buf's `buf/validate/validate.proto` printed from its package. The prebuilt folder is emptied first. Entries are keyed by content,
 * so an entry whose source was edited since is simply not found, and compiled on demand.
 */
export function prebuild(dir: string = PREBUILT_DIR): PrebuildResult {
  rmSync(dir, { recursive: true, force: true });
  setPrebuildDir(dir);
  try {
    let templates = 0;
    const root = join(TOOL_ROOT, "templates");
    for (const folder of readdirSync(root, { withFileTypes: true })) {
      if (!folder.isDirectory()) continue;
      for (const file of templateFiles(join(root, folder.name))) {
        templateSpec(readFileSync(join(root, folder.name, file), "utf8"));
        templates++;
      }
    }
    let schemaSets = 0;
    const extension = join(TOOL_ROOT, "generator", "model", EXTENSION_SCHEMA_FILE);
    schemaValidators([{ name: EXTENSION_SCHEMA_FILE, text: readFileSync(extension, "utf8") }]);
    schemaSets++;
    const fmeaSchemas = join(TOOL_ROOT, "fmea", "schema");
    if (existsSync(fmeaSchemas)) {
      const files = readdirSync(fmeaSchemas)
        .filter((f) => f.endsWith(".schema.json"))
        .sort();
      schemaValidators(
        files.map((f) => ({ name: f, text: readFileSync(join(fmeaSchemas, f), "utf8") })),
      );
      schemaSets++;
    }
    // buf's protovalidate import, printed once (and what lets launch.mjs start buf first thing).
    if (dir === PREBUILT_DIR) prebuildProtovalidate();
    return { dir, templates, schemaSets };
  } finally {
    setPrebuildDir(undefined);
  }
}

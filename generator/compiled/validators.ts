import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import { packageVersion } from "../package-version.js";
import { compiledKey, loadCompiled } from "./store.js";

/** How every JSON Schema of the toolchain is validated: all errors, each with its schema (for hints). */
export const AJV_OPTIONS = { allErrors: true, verbose: true, strict: false } as const;

/** One JSON Schema: a name (its file name) and its text. */
export interface SchemaText {
  readonly name: string;
  readonly text: string;
}

const requireHere = createRequire(import.meta.url);

/**
 * Validators for JSON Schemas that may reference each other by `$id`, by schema name. They are
 * ajv's standalone code (the same checks and errors as `ajv.compile`, without compiling at run
 * time), keyed by ajv's version, the options and every schema's name and text, and taken from
 * the prebuilt folder or the cache when there (compiled/store.ts); ajv itself is loaded only to
 * compile schemas seen nowhere yet. A schema that ajv rejects throws, as `ajv.compile` does.
 */
export function schemaValidators(schemas: readonly SchemaText[]): Map<string, ValidateFunction> {
  const key = compiledKey(
    "ajv-standalone",
    packageVersion("ajv"),
    JSON.stringify(AJV_OPTIONS),
    ...schemas.flatMap((s) => [s.name, s.text]),
  );
  const exports = loadCompiled<Record<string, ValidateFunction>>("ajv", key, () =>
    standaloneValidators(schemas),
  );
  return new Map(schemas.map((s) => [s.name, exports[s.name]!]));
}

/** ajv's standalone module exporting one validator per schema name. */
function standaloneValidators(schemas: readonly SchemaText[]): string {
  const Ajv = (requireHere("ajv") as { default: typeof import("ajv").default }).default;
  const standaloneCode = (
    requireHere("ajv/dist/standalone") as { default: typeof import("ajv/dist/standalone").default }
  ).default;
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
  const refs: Record<string, string> = {};
  for (const s of schemas) {
    const schema = JSON.parse(s.text) as { $id?: unknown };
    const id = typeof schema.$id === "string" ? schema.$id : s.name;
    ajv.addSchema(schema as object, typeof schema.$id === "string" ? undefined : s.name);
    refs[s.name] = id;
  }
  // Compile each first: a schema that does not compile throws here with ajv's own message.
  for (const id of Object.values(refs)) ajv.getSchema(id);
  return standaloneCode(ajv, refs);
}

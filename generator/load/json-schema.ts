import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ErrorObject, ValidateFunction } from "ajv";
import { schemaValidators } from "../compiled/validators.js";
import type { DiagnosticBag } from "../diagnostics.js";
import { pointerToPath, type YamlSource } from "./yaml-source.js";

/**
 * Validators for every `*.schema.json` in a folder (they reference each other by `$id`), by
 * file name: ajv standalone code, compiled once per schema content (compiled/validators.ts).
 */
export function compileSchemas(dir: string): Map<string, ValidateFunction> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".schema.json"))
    .sort();
  return schemaValidators(
    files.map((f) => ({ name: f, text: readFileSync(join(dir, f), "utf8") })),
  );
}

/**
 * Validates a YAML source against a compiled JSON Schema and records each violation at the
 * line and column of the offending value (or key, for unknown properties).
 */
export function validateWithSchema(
  source: YamlSource,
  validate: ValidateFunction,
  bag: DiagnosticBag,
): boolean {
  if (validate(source.value)) return true;
  for (const err of condense(validate.errors ?? [])) {
    const path = pointerToPath(err.instancePath);
    if (err.keyword === "additionalProperties") {
      const prop = (err.params as { additionalProperty: string }).additionalProperty;
      bag.error(
        source.file,
        source.locateKey([...path, prop]),
        "schema/unknown-property",
        `unknown property "${prop}"${where(path)}`,
      );
    } else if (err.keyword === "required") {
      const prop = (err.params as { missingProperty: string }).missingProperty;
      bag.error(
        source.file,
        source.locate(path),
        "schema/missing-property",
        `missing required property "${prop}"${where(path)}`,
      );
    } else {
      bag.error(
        source.file,
        source.locate(path),
        "schema/invalid",
        `${describe(path)} ${err.message ?? "is invalid"}${hint(err)}`,
      );
    }
  }
  return false;
}

/** Keeps one error per location for oneOf/anyOf (ajv reports every failed branch). */
function condense(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = new Set(
    errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf").map((e) => e.instancePath),
  );
  const seen = new Set<string>();
  const out: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === "if") continue;
    const underAlternative = [...alternatives].some(
      (p) => e.instancePath === p || e.instancePath.startsWith(`${p}/`),
    );
    if (underAlternative && e.keyword !== "oneOf" && e.keyword !== "anyOf") continue;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e);
  }
  return out;
}

function hint(err: ErrorObject): string {
  const description = (err.parentSchema as { description?: string } | undefined)?.description;
  if (err.keyword === "enum")
    return `: ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  if (
    (err.keyword === "oneOf" || err.keyword === "anyOf" || err.keyword === "pattern") &&
    description
  )
    return ` (${description})`;
  return "";
}

function describe(path: readonly (string | number)[]): string {
  return path.length === 0 ? "document" : `"${path.join(".")}"`;
}

function where(path: readonly (string | number)[]): string {
  return path.length === 0 ? "" : ` in "${path.join(".")}"`;
}

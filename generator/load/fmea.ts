import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DiagnosticBag } from "../diagnostics.js";
import { StepCache } from "../cache.js";
import type { Diagnostic } from "../diagnostics.js";
import { packageVersion } from "../package-version.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";
import type { RawAlert, RawAudience, RawFailureMode, RawMetric, RawRunbook } from "./fmea-types.js";

/** The four FMEA files, each with its source (for locating diagnostics) and typed content. */
export interface LoadedFmea {
  readonly failureModes: { source: YamlSource; rows: RawFailureMode[] };
  readonly metrics: { source: YamlSource; rows: RawMetric[]; namespace?: string };
  readonly alerts: { source: YamlSource; audiences: RawAudience[]; rows: RawAlert[] };
  readonly runbooks: { source: YamlSource; rows: RawRunbook[] };
}

/** File names inside `fmea/`, and the schema that validates each. */
export const FMEA_FILES = {
  failureModes: ["failure-modes.yaml", "failure-modes.schema.json"],
  metrics: ["metrics.yaml", "metrics.schema.json"],
  alerts: ["alerts.yaml", "alerts.schema.json"],
  runbooks: ["runbooks.yaml", "runbooks.schema.json"],
} as const;

/**
 * Reads and schema-validates the FMEA files. Returns undefined when any file is missing, does
 * not parse or does not match its schema (the problems are in `bag`); cross-references are
 * checked later, in the model.
 */
export async function loadFmea(
  root: string,
  bag: DiagnosticBag,
  cache: StepCache = new StepCache(undefined),
): Promise<LoadedFmea | undefined> {
  const schemaDir = join(root, "fmea", "schema");
  const texts = new Map<string, string>();
  const missing: string[] = [];
  for (const [file] of Object.values(FMEA_FILES)) {
    try {
      texts.set(file, readFileSync(join(root, "fmea", file), "utf8"));
    } catch {
      missing.push(file);
    }
  }
  for (const file of missing)
    bag.error(
      `fmea/${file}`,
      { line: 0, column: 0 },
      "fmea/missing-file",
      `cannot read fmea/${file}`,
    );
  if (missing.length > 0) return undefined;

  // Schema validation (ajv compile + run) is cached by the hash of the schemas and the files.
  const schemaTexts = readSchemaTexts(schemaDir);
  const key = StepCache.key(
    "fmea-schema",
    packageVersion("ajv"),
    ...schemaTexts,
    ...[...texts.entries()].flat(),
  );
  const cached = cache.get<Diagnostic[]>("fmea-schema", key);
  const schemaBag = new DiagnosticBag();
  const sources = new Map<string, YamlSource>();
  for (const [file, text] of texts)
    sources.set(file, parseYamlSource(`fmea/${file}`, text, schemaBag));
  if (cached) {
    schemaBag.addAll(cached);
  } else if (!schemaBag.hasErrors) {
    const { compileSchemas, validateWithSchema } = await import("./json-schema.js");
    const schemas = compileSchemas(schemaDir);
    for (const [file, schemaFile] of Object.values(FMEA_FILES)) {
      const validate = schemas.get(schemaFile);
      if (!validate)
        schemaBag.error(
          `fmea/${file}`,
          { line: 0, column: 0 },
          "fmea/missing-schema",
          `no schema fmea/schema/${schemaFile}`,
        );
      else validateWithSchema(sources.get(file)!, validate, schemaBag);
    }
    cache.set("fmea-schema", key, schemaBag.sorted());
  }
  bag.addAll(schemaBag.sorted());
  if (schemaBag.hasErrors) return undefined;
  const load = (key: keyof typeof FMEA_FILES): YamlSource | undefined =>
    sources.get(FMEA_FILES[key][0]);
  const fm = load("failureModes");
  const metrics = load("metrics");
  const alerts = load("alerts");
  const runbooks = load("runbooks");
  if (!fm || !metrics || !alerts || !runbooks) return undefined;
  const alertsValue = alerts.value as { audiences: RawAudience[]; alerts: RawAlert[] };
  return {
    failureModes: {
      source: fm,
      rows: (fm.value as { "failure-modes": RawFailureMode[] })["failure-modes"],
    },
    metrics: {
      source: metrics,
      ...(metrics.value as { metrics: RawMetric[]; namespace?: string }),
      rows: (metrics.value as { metrics: RawMetric[] }).metrics,
    },
    alerts: { source: alerts, audiences: alertsValue.audiences, rows: alertsValue.alerts },
    runbooks: { source: runbooks, rows: (runbooks.value as { runbooks: RawRunbook[] }).runbooks },
  };
}

function readSchemaTexts(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".schema.json"))
    .sort()
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DiagnosticBag } from "../diagnostics.js";
import { compileSchemas, validateWithSchema } from "./json-schema.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";
import type { RawAlert, RawAudience, RawFailureMode, RawMetric, RawRunbook } from "./fmea-types.js";

/** The four FMEA files, each with its source (for locating diagnostics) and typed content. */
export interface LoadedFmea {
  readonly failureModes: { source: YamlSource; rows: RawFailureMode[] };
  readonly metrics: { source: YamlSource; rows: RawMetric[] };
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
export function loadFmea(root: string, bag: DiagnosticBag): LoadedFmea | undefined {
  const schemas = compileSchemas(join(root, "fmea", "schema"));
  const load = (key: keyof typeof FMEA_FILES): YamlSource | undefined => {
    const [file, schemaFile] = FMEA_FILES[key];
    const rel = `fmea/${file}`;
    let text: string;
    try {
      text = readFileSync(join(root, rel), "utf8");
    } catch {
      bag.error(rel, { line: 0, column: 0 }, "fmea/missing-file", `cannot read ${rel}`);
      return undefined;
    }
    const source = parseYamlSource(rel, text, bag);
    if (source.value === undefined) return undefined;
    const validate = schemas.get(schemaFile);
    if (!validate) {
      bag.error(rel, { line: 0, column: 0 }, "fmea/missing-schema", `no schema fmea/schema/${schemaFile}`);
      return undefined;
    }
    return validateWithSchema(source, validate, bag) ? source : undefined;
  };
  const fm = load("failureModes");
  const metrics = load("metrics");
  const alerts = load("alerts");
  const runbooks = load("runbooks");
  if (!fm || !metrics || !alerts || !runbooks) return undefined;
  const alertsValue = alerts.value as { audiences: RawAudience[]; alerts: RawAlert[] };
  return {
    failureModes: { source: fm, rows: (fm.value as { "failure-modes": RawFailureMode[] })["failure-modes"] },
    metrics: { source: metrics, rows: (metrics.value as { metrics: RawMetric[] }).metrics },
    alerts: { source: alerts, audiences: alertsValue.audiences, rows: alertsValue.alerts },
    runbooks: { source: runbooks, rows: (runbooks.value as { runbooks: RawRunbook[] }).runbooks },
  };
}

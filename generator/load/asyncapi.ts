import { readFileSync } from "node:fs";
import { join } from "node:path";
import { StepCache } from "../cache.js";
import { packageVersion } from "../package-version.js";
import type { Diagnostic, DiagnosticBag } from "../diagnostics.js";
import type { RawAsyncApi } from "./asyncapi-types.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";

export const ASYNCAPI_FILE = "asyncapi.yaml";

/** asyncapi.yaml parsed with positions; `doc` is undefined when it does not parse. */
export interface LoadedAsyncApi {
  readonly source: YamlSource;
  readonly text: string;
  readonly doc: RawAsyncApi | undefined;
}

/** Reads and parses asyncapi.yaml (YAML syntax errors go to `bag`). */
export function readAsyncApi(root: string, bag: DiagnosticBag): LoadedAsyncApi | undefined {
  let text: string;
  try {
    text = readFileSync(join(root, ASYNCAPI_FILE), "utf8");
  } catch {
    bag.error(
      ASYNCAPI_FILE,
      { line: 0, column: 0 },
      "asyncapi/missing-file",
      `cannot read ${ASYNCAPI_FILE}`,
    );
    return undefined;
  }
  const source = parseYamlSource(ASYNCAPI_FILE, text, bag);
  return { source, text, doc: source.value as RawAsyncApi | undefined };
}

/**
 * Validates asyncapi.yaml with the official @asyncapi/parser (JSON Schema of the specification
 * plus its Spectral rules). Errors and warnings keep their line and column; information and
 * hints are dropped. The result is cached by content hash because the parser takes about a
 * second to load and run.
 */
export async function validateWithOfficialParser(
  root: string,
  text: string,
  cache: StepCache,
): Promise<Diagnostic[]> {
  const parserVersion = packageVersion("@asyncapi/parser");
  const key = StepCache.key("asyncapi-parser", parserVersion, text);
  const cached = cache.get<Diagnostic[]>("asyncapi", key);
  if (cached) return cached;

  process.env.SCARF_ANALYTICS = "false";
  const { Parser } = await import("@asyncapi/parser");
  const parser = new Parser();
  const { diagnostics } = await parser.parse(text, { source: join(root, ASYNCAPI_FILE) });
  const out: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.severity !== 0 && d.severity !== 1) continue;
    out.push({
      severity: d.severity === 0 ? "error" : "warning",
      file: ASYNCAPI_FILE,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      code: `asyncapi/${String(d.code)}`,
      message: d.path.length > 0 ? `${d.message} (at ${d.path.join(".")})` : d.message,
    });
  }
  cache.set("asyncapi", key, out);
  return out;
}

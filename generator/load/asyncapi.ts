import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { StepCache } from "../cache.js";
import { packageVersion } from "../package-version.js";
import type { Diagnostic, DiagnosticBag } from "../diagnostics.js";
import type { RawAsyncApi } from "./asyncapi-types.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";

export const ASYNCAPI_FILE = "asyncapi.yaml";

const requireHere = createRequire(import.meta.url);

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

/** The key of the parser's verdict on `text`: the parser's version and the text, hashed. */
export function officialParserKey(text: string): string {
  return StepCache.key("asyncapi-parser", packageVersion("@asyncapi/parser"), text).slice(0, 32);
}

/** What the worker sends back: the parser's diagnostics, reduced to plain data. */
interface WorkerReply {
  readonly diagnostics?: {
    severity: number;
    line: number;
    character: number;
    code: string;
    path: (string | number)[];
    message: string;
  }[];
  readonly error?: string;
}

/**
 * The worker's code (CommonJS, so it needs no file of its own and works from the bundled CLI):
 * it loads @asyncapi/parser from the path it is given and parses the text.
 */
const PARSER_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
process.env.SCARF_ANALYTICS = "false";
const { Parser } = require(workerData.parser);
new Parser().parse(workerData.text, { source: workerData.source }).then(
  ({ diagnostics }) => parentPort.postMessage({
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity, line: d.range.start.line, character: d.range.start.character,
      code: String(d.code), path: d.path, message: d.message,
    })),
  }),
  (e) => parentPort.postMessage({ error: String((e && e.stack) || e) }),
);`;

/**
 * Validates asyncapi.yaml with the official @asyncapi/parser (JSON Schema of the specification
 * plus its Spectral rules). Errors and warnings keep their line and column; information and
 * hints are dropped. The parser takes 1-3 s of CPU (mostly ajv compiling the specification's
 * schema), so it runs in a worker thread while the caller goes on loading protos, FMEA and
 * templates; its verdict is cached by content hash, and `recorded` (the verdict the last run
 * recorded in generated/manifest.json) is used when its key matches.
 */
export async function validateWithOfficialParser(
  root: string,
  text: string,
  cache: StepCache,
  recorded?: { readonly key: string; readonly diagnostics: Diagnostic[] },
): Promise<Diagnostic[]> {
  const key = officialParserKey(text);
  if (recorded?.key === key) return recorded.diagnostics;
  const cached = cache.get<Diagnostic[]>("asyncapi", key);
  if (cached) return cached;

  const reply = await new Promise<WorkerReply>((resolveReply, reject) => {
    const worker = new Worker(PARSER_WORKER, {
      eval: true,
      workerData: {
        parser: requireHere.resolve("@asyncapi/parser"),
        text,
        source: join(root, ASYNCAPI_FILE),
      },
      env: { ...process.env, SCARF_ANALYTICS: "false" },
    });
    worker.once("message", (m: WorkerReply) => {
      resolveReply(m);
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`AsyncAPI parser worker exited with ${code}`)));
  });
  if (reply.error !== undefined) throw new Error(`@asyncapi/parser failed: ${reply.error}`);
  const out: Diagnostic[] = [];
  for (const d of reply.diagnostics ?? []) {
    if (d.severity !== 0 && d.severity !== 1) continue;
    out.push({
      severity: d.severity === 0 ? "error" : "warning",
      file: ASYNCAPI_FILE,
      line: d.line + 1,
      column: d.character + 1,
      code: `asyncapi/${d.code}`,
      message: d.path.length > 0 ? `${d.message} (at ${d.path.join(".")})` : d.message,
    });
  }
  cache.set("asyncapi", key, out);
  return out;
}

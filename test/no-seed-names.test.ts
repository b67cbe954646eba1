import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import jsYaml from "js-yaml";
import { describe, expect, it } from "vitest";

/**
 * "The generator knows the vocabulary, never the instance": no name of the seed spec may appear
 * in the toolchain's code. The list is built from the seed's own sources (asyncapi.yaml, proto/,
 * fmea/), so a new name in the seed is checked without editing this test.
 */
const ROOT = join(import.meta.dirname, "..");
const SCANNED = ["generator", "templates", "runtime/src"];
/**
 * Build output inside them (gitignored): generator/dist is compiled from the sources scanned
 * here plus the npm packages bundled with them (whose own vocabulary is not the seed's).
 */
const BUILD_OUTPUT = new Set(["generator/dist"]);

/**
 * Seed names that are also vocabulary or plain English, each with the reason. Kept tiny: a
 * name here may still not be used as an instance fact.
 */
const ALLOWED: Record<string, string> = {
  // Envelope roles of `(v2c.options.v1.envelope)` (VOCABULARY §4) share their spelling with
  // the seed's fields: the option names are vocabulary.
  message_id: "envelope role name",
  vehicle_id: "envelope role name",
  schema_version: "envelope role name",
  records: "envelope role name / English",
  // Generic English words the seed also uses as ids (phase ids, participant ids, parameter names).
  connection: "English",
  monitoring: "English (and the component kind `monitoring`)",
  recovery: "English",
  region: "English (a topic parameter is never assumed to be one)",
  processor: "English",
  validator: "English",
  engineers: "English",
  oncall: "English",
  security: "English (stop-retrying event `security` is vocabulary)",
  engineering: "English",
  dlq: "the runtime's dead-letter key layout `dlq/<reason>/...` (vocabulary), also the seed's participant id",
  timestamp: "English",
  version: "English",
  // Proto field names of the seed that are plain English words.
  state: "English",
  status: "English",
  detail: "English",
  location: "English",
  lock: "English",
  sequence: "English",
};

/** The value at `path` of a parsed YAML tree (undefined when absent). */
function at(tree: unknown, ...path: string[]): unknown {
  let node = tree;
  for (const key of path)
    node = node && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

/** The entries of a mapping (none when not a mapping). */
const entries = (v: unknown): [string, unknown][] =>
  v && typeof v === "object" && !Array.isArray(v) ? Object.entries(v) : [];

/** The items of a sequence (none when not a sequence). */
const items = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const yaml = (rel: string): unknown => jsYaml.load(readFileSync(join(ROOT, rel), "utf8"));

/** The seed's instance names: ids, names, fields, metrics, regions, handler names. */
function seedNames(): Set<string> {
  const names = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === "string" && v.length >= 3) names.add(v);
  };
  const a = yaml("asyncapi.yaml");
  for (const [id, s] of entries(at(a, "servers"))) {
    add(id);
    add(at(s, "x-region"));
    add(at(s, "x-failover-to"));
  }
  for (const [id, c] of entries(at(a, "channels"))) {
    add(id);
    for (const [p] of entries(at(c, "parameters"))) add(p);
    for (const [m] of entries(at(c, "messages"))) add(m);
  }
  for (const [id, op] of entries(at(a, "operations"))) {
    add(id);
    add(at(op, "x-handler", "name"));
  }
  for (const [id, p] of entries(at(a, "components", "parameters"))) {
    add(id);
    for (const e of items(at(p, "enum"))) add(e);
  }
  for (const [id] of entries(at(a, "components", "messages"))) add(id);
  for (const p of items(at(a, "x-v2c", "participants"))) add(at(p, "id"));
  for (const p of items(at(a, "x-v2c", "phases"))) add(at(p, "id"));
  add(at(a, "x-v2c", "replay", "name"));
  // proto/v2c/options/ holds the toolchain's own option protos (vocabulary), not the seed's.
  for (const file of listFiles(join(ROOT, "proto")).filter(
    (f) => f.endsWith(".proto") && !/[/\\]options[/\\]|[/\\]buf[/\\]/.test(f),
  )) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/^\s*message\s+(\w+)/gm)) add(m[1]);
    for (const m of text.matchAll(/^\s*(?:repeated\s+|optional\s+)?[\w.]+\s+(\w+)\s*=\s*\d+/gm))
      add(m[1]);
    for (const m of text.matchAll(/^package\s+([\w.]+)/gm)) add(m[1]);
  }
  for (const r of items(at(yaml("fmea/failure-modes.yaml"), "failure-modes"))) {
    add(at(r, "id"));
    add(at(r, "mitigation", "policy", "dlq", "reason"));
  }
  const metrics = yaml("fmea/metrics.yaml");
  add(at(metrics, "namespace"));
  for (const m of items(at(metrics, "metrics"))) {
    add(at(m, "name"));
    const ns = at(m, "namespace");
    if (typeof ns === "string" && !ns.startsWith("AWS/")) add(ns);
  }
  const alerts = yaml("fmea/alerts.yaml");
  for (const x of items(at(alerts, "alerts"))) add(at(x, "id"));
  for (const x of items(at(alerts, "audiences"))) add(at(x, "id"));
  for (const x of items(at(yaml("fmea/runbooks.yaml"), "runbooks"))) add(at(x, "id"));
  for (const n of Object.keys(ALLOWED)) names.delete(n);
  return names;
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (BUILD_OUTPUT.has(p.slice(ROOT.length + 1))) continue;
    if (e.isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("no seed names in the toolchain", () => {
  const names = [...seedNames()].sort();

  it("builds its list from the seed (ids, fields, metrics, regions, handler names)", () => {
    for (const n of ["FM-07", "us-east-1", "telemetry-processor", "batch_id", "records_crc32"])
      expect(names).toContain(n);
    expect(names.length).toBeGreaterThan(100);
  });

  it("finds none of them in generator/, templates/, runtime/src/", () => {
    // A name counts as a whole token: not inside a longer identifier, path, package name, AWS
    // service prefix (`<service>:Action`, `<service>.amazonaws.com`: the adapter of a kind).
    const patterns = names.map(
      (n) =>
        [
          n,
          new RegExp(`(?<![A-Za-z0-9_\\-./@])${escape(n)}(?![A-Za-z0-9_\\-]|[.:][A-Za-z])`),
        ] as const,
    );
    const hits: string[] = [];
    for (const dir of SCANNED) {
      for (const file of listFiles(join(ROOT, dir))) {
        const lines = readFileSync(file, "utf8").split("\n");
        lines.forEach((line, i) => {
          for (const [name, re] of patterns)
            if (re.test(line)) hits.push(`${file.slice(ROOT.length + 1)}:${i + 1}: ${name}`);
        });
      }
    }
    expect(hits).toEqual([]);
  });
});

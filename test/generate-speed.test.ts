import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import AjvModule from "ajv";
import fc from "fast-check";
import jsYaml from "js-yaml";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as prettier from "prettier";
import { prebuild } from "../generator/compiled/prebuild.js";
import { PREBUILT_DIR } from "../generator/compiled/store.js";
import { AJV_OPTIONS, schemaValidators } from "../generator/compiled/validators.js";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { rendersFormatted } from "../generator/emit/templates.js";
import { prettyLiteral } from "../generator/output/literal.js";
import { loadProto } from "../generator/load/proto.js";
import {
  positionIndexHere,
  startPositionIndex,
  walkIndex,
} from "../generator/load/yaml-positions.js";
import { readRecords } from "../generator/output/records.js";
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import {
  startBufBuild,
  startEarlyBufBuild,
  takeEarlyBufBuild,
} from "../generator/load/buf-build.mjs";
import {
  materialiseProtovalidate,
  prebuildProtovalidate,
} from "../generator/load/protovalidate.js";
import { startYamlBundle } from "../generator/load/yaml-positions.js";
import { startEarlyYamlWorker, yamlWorker } from "../generator/load/yaml-worker.mjs";
import {
  BUNDLED_PLACEHOLDER,
  fillBundledAsyncApi,
  fillProtoTs,
  protoTsPlaceholders,
} from "../generator/emit/deferred-proto.js";
import { PROTOBUF_SCHEMA_FORMAT } from "../generator/emit/docs/asyncapi-bundle.js";
import { generate } from "../generator/pipeline.js";
import { runTsProtoChild, tsProtoRequest } from "../generator/protoc/ts-proto.js";
import { runTsProtoInProcess, runTsProtoInWorker } from "../generator/protoc/ts-proto-plugin.js";
import { REPO, specFixture, type SpecFixture } from "./support/spec-fixture.js";

const requireCjs = createRequire(import.meta.url);
const BUNDLE_CORE = join(REPO, "generator", "emit", "docs", "asyncapi-bundle-core.cjs");

// The shortcuts that keep `npm run generate` fast must never change what it produces.

describe("ts-proto in process", () => {
  it("produces exactly what its protoc plugin produces as a child process", async () => {
    const bag = new DiagnosticBag();
    const proto = await loadProto(REPO, bag);
    expect(bag.sorted()).toEqual([]);
    const request = tsProtoRequest(proto!);
    const [inProcess, child] = await Promise.all([
      runTsProtoInProcess(request),
      runTsProtoChild(request),
    ]);
    expect(inProcess.length).toBeGreaterThan(0);
    expect(inProcess).toEqual(child);
  }, 60_000);

  it("gives the same files in a worker thread as in this one (as the pipeline runs it)", async () => {
    const proto = await loadProto(REPO, new DiagnosticBag());
    const request = tsProtoRequest(proto!);
    const [here, worker] = await Promise.all([
      runTsProtoInProcess(request, { dprint: false }),
      runTsProtoInWorker(request, { dprint: false }),
    ]);
    expect(worker.length).toBeGreaterThan(0);
    expect(worker).toEqual(here);
  }, 60_000);
});

describe("ts-proto output put in after the emitters ran (fillProtoTs)", () => {
  const texts = new Map([
    ["a/v1/x", "export const x = 1;\n"],
    ["b/v1/y", "export const y = 2;\n"],
  ]);
  const placeholders = protoTsPlaceholders([...texts.keys()]);
  const emitted = (use: (name: string) => string) => [
    { path: "pkg/README.md", content: "no ts-proto here\n" },
    ...[...texts.keys()].map((n) => ({ path: `pkg/${n}.ts`, content: `// header\n${use(n)}` })),
  ];

  it("gives exactly the files an emitter given the texts gives", () => {
    expect(
      fillProtoTs(
        emitted((n) => placeholders.get(n)!),
        placeholders,
        texts,
      ),
    ).toEqual(emitted((n) => texts.get(n)!));
  });

  it("declines when it cannot guarantee that (the caller emits again with the texts)", () => {
    const twice = emitted((n) => placeholders.get(n)!.repeat(2));
    expect(fillProtoTs(twice, placeholders, texts)).toBeUndefined();
    const missing = emitted(() => "");
    expect(fillProtoTs(missing, placeholders, texts)).toBeUndefined();
    const other = new Map([["c/v1/z", "export const z = 3;\n"]]);
    expect(
      fillProtoTs(
        emitted((n) => placeholders.get(n)!),
        placeholders,
        other,
      ),
    ).toBeUndefined();
    const scoped = new Map([...texts].map(([n, t]) => [n, `import "@v2c/spec";\n${t}`]));
    expect(
      fillProtoTs(
        emitted((n) => placeholders.get(n)!),
        placeholders,
        scoped,
      ),
    ).toBeUndefined();
  });
});

// ajv ships CommonJS with a default export; under ESM interop the class is on `.default`.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;

/** Every path to a value inside a JSON-like document. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

/** The document with one value at `path` deleted, replaced or given an unknown sibling. */
function mutate(
  doc: unknown,
  path: readonly (string | number)[],
  op: "delete" | "replace" | "extra",
  value: unknown,
): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  if (path.length === 0) return op === "replace" ? value : copy;
  let parent = copy;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (op === "replace") parent[last] = value;
  else if (op === "extra" && !Array.isArray(parent)) parent["x-unexpected"] = value;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return copy;
}

describe("standalone (precompiled) validators", () => {
  const cases: [string, string, string, (string | number)[]][] = [
    ["FMEA failure modes", join(REPO, "fmea", "schema"), "failure-modes", []],
    ["FMEA metrics", join(REPO, "fmea", "schema"), "metrics", []],
    ["FMEA alerts", join(REPO, "fmea", "schema"), "alerts", []],
    ["FMEA runbooks", join(REPO, "fmea", "schema"), "runbooks", []],
    ["x-v2c extensions", join(REPO, "generator", "model"), "x-v2c", []],
  ];

  it.each(cases)(
    "%s: the same verdict and errors as ajv compiling the schemas at run time (fast-check, seeded)",
    (_name, dir, base) => {
      const files = readdirSync(dir)
        .filter((f) => f.endsWith(".schema.json"))
        .sort();
      const schemas = files.map((f) => ({ name: f, text: readFileSync(join(dir, f), "utf8") }));
      const standalone = schemaValidators(schemas).get(`${base}.schema.json`)!;
      const ajv = new Ajv({ ...AJV_OPTIONS });
      for (const s of schemas) ajv.addSchema(JSON.parse(s.text) as object);
      const schema = JSON.parse(schemas.find((s) => s.name === `${base}.schema.json`)!.text) as {
        $id: string;
      };
      const compiled = ajv.getSchema(schema.$id)!;
      const source =
        base === "x-v2c" ? join(REPO, "asyncapi.yaml") : join(REPO, "fmea", `${base}.yaml`);
      const doc = jsYaml.load(readFileSync(source, "utf8"));
      const paths = pathsOf(doc);
      const same = (d: unknown) => {
        const a = standalone(d);
        const b = compiled(d);
        expect(a).toBe(b);
        expect(standalone.errors ?? null).toEqual(compiled.errors ?? null);
        return a;
      };
      expect(same(doc)).toBe(true);
      let rejected = 0;
      fc.assert(
        fc.property(
          fc.nat(paths.length - 1),
          fc.constantFrom("delete" as const, "replace" as const, "extra" as const),
          fc.jsonValue({ maxDepth: 2 }),
          (i, op, value) => {
            if (!same(mutate(doc, paths[i]!, op, value))) rejected++;
          },
        ),
        { seed: 14, numRuns: 150 },
      );
      expect(rejected).toBeGreaterThan(10); // the mutations do break the documents
    },
    60_000,
  );
});

describe("the setup-time build (generator/dist/prebuilt)", () => {
  it("holds what compiling the current templates and schemas gives, deterministically", () => {
    const a = mkdtempSync(join(tmpdir(), "v2c-prebuilt-"));
    const b = mkdtempSync(join(tmpdir(), "v2c-prebuilt-"));
    try {
      const ra = prebuild(a);
      prebuild(b);
      const entries = readdirSync(a).sort();
      expect(entries.length).toBe(ra.templates + ra.schemaSets);
      expect(readdirSync(b).sort()).toEqual(entries);
      for (const e of entries) {
        const text = readFileSync(join(a, e), "utf8");
        expect(readFileSync(join(b, e), "utf8"), e).toBe(text);
        // An entry the repository's own build holds for the same key is the same code.
        if (existsSync(join(PREBUILT_DIR, e)))
          expect(readFileSync(join(PREBUILT_DIR, e), "utf8"), e).toBe(text);
      }
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("prettyLiteral", () => {
  // Seeded random JSON: nested objects and arrays, identifier and non-identifier keys, quotes,
  // long strings (value moved to the next line), numbers that fill lines, unicode.
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const words = ["a", "id", "name", "description", "FM-01", "b-c", "x y", "it's", 'say "hi"'];
  const long = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor";
  const value = (depth: number): unknown => {
    const t = rand();
    if (depth > 3 || t < 0.35) {
      const u = rand();
      if (u < 0.3) return Math.round(rand() * 1e6) / (rand() < 0.5 ? 1 : 1000);
      if (u < 0.6) return rand() < 0.2 ? long : `${pick(words)} évent`;
      return u < 0.7 ? null : u < 0.8 ? rand() < 0.5 : -rand() * 100;
    }
    if (t < 0.6) return Array.from({ length: Math.floor(rand() * 6) }, () => value(depth + 1));
    return Object.fromEntries(
      Array.from({ length: Math.floor(rand() * 6) }, () => [pick(words), value(depth + 1)]),
    );
  };

  it("prints 300 random values exactly as prettier does", async () => {
    for (let i = 0; i < 300; i++) {
      const text = `export const x = ${prettyLiteral({ k: value(0), list: [value(1), value(1)] })} as const;\n`;
      expect(await prettier.format(text, { parser: "typescript", printWidth: 100 })).toBe(text);
    }
  }, 60_000);
});

// Templates marked `{{!-- prettier-formatted --}}` skip prettier, so their output must already be
// exactly what prettier prints, for the seed and for the second golden spec.
describe.each([
  ["the seed", REPO],
  ["the variant case", join(REPO, "test", "cases", "variant", "input")],
])("output of templates marked prettier-formatted (%s)", (_name, from) => {
  it("is unchanged by prettier", async () => {
    const fx = specFixture(from);
    try {
      const r = await generate(fx.options({ cacheDir: undefined }));
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      const marked = r.files.filter((f) => rendersFormatted(f.content));
      expect(marked.length).toBeGreaterThan(0);
      const config = (await prettier.resolveConfig(join(REPO, "package.json"))) ?? {};
      for (const f of marked)
        expect(await prettier.format(f.content, { ...config, filepath: f.path }), f.path).toBe(
          f.content,
        );
    } finally {
      fx.cleanup();
    }
  }, 120_000);
});

describe("records of the last run in generated/manifest.json", () => {
  let fx: SpecFixture;
  let cacheDir: string;
  const fresh = () => mkdtempSync(join(tmpdir(), "v2c-cache-")); // an empty node_modules/.cache
  const run = async (cache: string | undefined) => {
    const r = await generate(fx.options({ cacheDir: cache }));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    return r.files;
  };

  beforeAll(async () => {
    fx = specFixture();
    cacheDir = fresh();
    const { writeFiles } = await import("../generator/output/write.js");
    writeFiles(fx.out, await run(undefined));
  }, 120_000);
  afterAll(() => {
    fx.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it("records the parser verdict and every prettier-formatted file", () => {
    const records = readRecords(fx.out);
    expect(records.asyncapi?.key).toMatch(/^[0-9a-f]{32}$/);
    expect(records.asyncapi?.diagnostics).toEqual([]);
    const formatted = Object.keys(records.formatted);
    expect(formatted.length).toBeGreaterThan(10);
    for (const rec of Object.values(records.formatted)) {
      expect(rec.in).toMatch(/^[0-9a-f]{32}$/);
      expect(rec.out).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  it("a fresh cache with the records gives byte-for-byte what a run without them gives", async () => {
    const dir = fresh();
    try {
      const [withRecords, without] = [await run(dir), await run(undefined)];
      expect(withRecords).toEqual(without);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("a hand-edited file on disk is not taken as the formatted text (the record's hash misses)", async () => {
    const rel = Object.keys(readRecords(fx.out).formatted).find((p) => p.endsWith(".ts"))!;
    const target = join(fx.out, rel);
    const original = readFileSync(target, "utf8");
    writeFileSync(target, `${original}// edited by hand\n`);
    const dir = fresh();
    try {
      const files = await run(dir);
      expect(files.find((f) => f.path === rel)!.content).toBe(original);
    } finally {
      writeFileSync(target, original);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  /** Whether ts-proto ran in a run with `dir` as its cache (a run keeps its output there). */
  const tsProtoRan = (dir: string) => readdirSync(dir).some((f) => f.startsWith("ts-proto-"));

  it("records ts-proto's input: a fresh cache takes its files from disk, byte-for-byte, without running it", async () => {
    const records = readRecords(fx.out);
    expect(records.tsProto?.key).toMatch(/^[0-9a-f]{32,}$/);
    const dir = fresh();
    try {
      const [withRecords, without] = [await run(dir), await run(undefined)];
      expect(tsProtoRan(dir)).toBe(false);
      expect(withRecords).toEqual(without);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("a hand-edited ts-proto file on disk: ts-proto runs and the file is what it gives", async () => {
    const rel = Object.keys(readRecords(fx.out).formatted).find((p) =>
      /^spec\/src\/proto\/.+\.ts$/.test(p),
    )!;
    const target = join(fx.out, rel);
    const original = readFileSync(target, "utf8");
    writeFileSync(target, original.replace("export const protobufPackage", "export const edited"));
    const dir = fresh();
    try {
      const files = await run(dir);
      expect(tsProtoRan(dir)).toBe(true);
      expect(files.find((f) => f.path === rel)!.content).toBe(original);
    } finally {
      writeFileSync(target, original);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("an edited asyncapi.yaml misses the recorded verdict: the parser runs and reports", async () => {
    const manifestPath = join(fx.out, "manifest.json");
    const manifest = readFileSync(manifestPath, "utf8");
    fx.edit("asyncapi.yaml", "\nasyncapi: 3", "\nunknownTopLevel: true\nasyncapi: 3");
    const dir = fresh();
    try {
      const r = await generate(fx.options({ cacheDir: dir }));
      expect(r.ok).toBe(false);
      const d = r.diagnostics.find((x) => x.message.includes("unknownTopLevel"));
      expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
      expect(readFileSync(manifestPath, "utf8")).toBe(manifest);
    } finally {
      fx.edit("asyncapi.yaml", "\nunknownTopLevel: true\nasyncapi: 3", "\nasyncapi: 3");
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("YAML positions indexed in a worker thread", () => {
  /** The walk yaml-source.ts did over a `yaml` document before positions were indexed. */
  const documentWalk = (text: string) => {
    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const nodePos = (n: unknown) => {
      const r = (n as Node | null)?.range;
      if (!r) return undefined;
      const p = lineCounter.linePos(r[0]);
      return { line: p.line, column: p.col };
    };
    return (path: readonly (string | number)[], wantKey: boolean) => {
      let node: unknown = doc.contents;
      let best = nodePos(node) ?? { line: 0, column: 0 };
      for (let i = 0; i < path.length; i++) {
        const seg = path[i]!;
        if (isMap(node)) {
          const pair = node.items.find(
            (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
          );
          if (!pair) return best;
          if (i === path.length - 1 && wantKey) return nodePos(pair.key) ?? best;
          node = pair.value;
          best = nodePos(node) ?? nodePos(pair.key) ?? best;
        } else if (isSeq(node)) {
          const item = node.items[Number(seg)];
          if (item === undefined) return best;
          node = item;
          best = nodePos(node) ?? best;
        } else return best;
      }
      return best;
    };
  };
  const sources = [
    join(REPO, "asyncapi.yaml"),
    ...["failure-modes", "metrics", "alerts", "runbooks"].map((f) =>
      join(REPO, "fmea", `${f}.yaml`),
    ),
    ...["variant", "ev-charging"].map((c) =>
      join(REPO, "test", "cases", c, "input", "asyncapi.yaml"),
    ),
  ];

  it.each(sources)(
    "%s: every value and key (and missing ones) where the document walk puts them",
    (file) => {
      const text = readFileSync(file, "utf8");
      const index = startPositionIndex(text)(); // through the worker, as the generator does
      expect(index).toEqual(positionIndexHere(text));
      const walk = documentWalk(text);
      let checked = 0;
      const visit = (v: unknown, at: (string | number)[]) => {
        for (const p of [at, [...at, "missing"], [...at, 99]])
          for (const wantKey of [false, true]) {
            expect(walkIndex(index!, p, wantKey), `${JSON.stringify(p)} ${wantKey}`).toEqual(
              walk(p, wantKey),
            );
            checked++;
          }
        if (Array.isArray(v)) v.forEach((x, i) => visit(x, [...at, i]));
        else if (v && typeof v === "object")
          for (const [k, x] of Object.entries(v)) visit(x, [...at, k]);
      };
      visit(jsYaml.load(text), []);
      expect(checked).toBeGreaterThan(100);
    },
  );
});

describe("YAML worker started by launch.mjs with the spec's files posted", () => {
  it("answers the loaders' requests for those texts with the same index, once", () => {
    const spec = specFixture();
    try {
      const core = join(REPO, "generator", "load", "yaml-positions-core.cjs");
      startEarlyYamlWorker({ root: spec.root, core });
      const pool = yamlWorker(core)!;
      const texts = [
        spec.read("asyncapi.yaml"),
        ...readdirSync(join(spec.root, "fmea"))
          .filter((f) => f.endsWith(".yaml"))
          .map((f) => spec.read(`fmea/${f}`)),
      ];
      for (const text of texts) expect(pool.posted.has(text)).toBe(true);
      for (const text of texts) {
        expect(startPositionIndex(text)()).toEqual(positionIndexHere(text));
        expect(pool.posted.has(text)).toBe(false); // taken over, not posted again
      }
    } finally {
      spec.cleanup();
    }
  });
});

describe("bundled contract printed in the YAML worker", () => {
  const contracts = [
    join(REPO, "asyncapi.yaml"),
    ...["variant", "ev-charging"].map((c) =>
      join(REPO, "test", "cases", c, "input", "asyncapi.yaml"),
    ),
  ];
  const job = (text: string) => {
    const messages = Object.keys(
      ((jsYaml.load(text) as { components?: { messages?: object } }).components?.messages ??
        {}) as object,
    );
    return {
      core: BUNDLE_CORE,
      schemaFormat: PROTOBUF_SCHEMA_FORMAT,
      payloads: messages.map((id, i) => ({
        id,
        schema: `syntax = "proto3";\n\npackage p.v${i};\n\nmessage ${id.replace(/\W/g, "")} {\n  string a = 1;\n}\n`,
      })),
    };
  };
  const bundleHere = (text: string) => {
    const j = job(text);
    return requireCjs(BUNDLE_CORE).bundleContract(text, j.payloads, j.schemaFormat) as string;
  };

  it.each(contracts)(
    "%s: the worker's text, on the document it indexed or parsed afresh, is this thread's",
    (file) => {
      const text = readFileSync(file, "utf8");
      const here = bundleHere(text);
      expect(here).toContain("schemaFormat:");
      expect(startPositionIndex(text)()).toBeDefined(); // the worker keeps this parse
      expect(startYamlBundle(text, job(text))()).toBe(here);
      expect(startYamlBundle(text, job(text))()).toBe(here); // parsed afresh
    },
  );

  it("an error in the worker's job gives undefined (the caller reruns it here, where it throws)", () => {
    const text = "components:\n  messages:\n    a: 1\n";
    const j = { ...job(text), payloads: [{ id: "a", schema: "x" }] };
    expect(startYamlBundle(text, j)()).toBeUndefined();
    expect(() => requireCjs(BUNDLE_CORE).bundleContract(text, j.payloads, j.schemaFormat)).toThrow(
      /not a map/,
    );
  });

  it("fills the placeholder only when it stands exactly once in the output", () => {
    const files = [
      { path: "a.yaml", content: `# head\n${BUNDLED_PLACEHOLDER}\n` },
      { path: "b.txt", content: "other\n" },
    ];
    expect(fillBundledAsyncApi(files, "body: 1")).toEqual([
      { path: "a.yaml", content: "# head\nbody: 1\n" },
      files[1],
    ]);
    expect(fillBundledAsyncApi([...files, files[0]!], "body: 1")).toBeUndefined();
    expect(fillBundledAsyncApi([files[1]!], "body: 1")).toBeUndefined();
    expect(fillBundledAsyncApi(files, "a\u0000b")).toBeUndefined();
  });
});

describe("buf build started before the bundle, answered from the step cache", () => {
  let fixture: SpecFixture;
  let cacheDir: string;
  beforeAll(() => {
    fixture = specFixture();
    cacheDir = mkdtempSync(join(tmpdir(), "v2c-buf-cache-"));
  });
  afterAll(() => {
    fixture.cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  const build = (cache: string | undefined) =>
    startBufBuild({
      toolRoot: REPO,
      root: fixture.root,
      library: materialiseProtovalidate(),
      extra: ["--exclude-imports"],
      cacheDir: cache,
    }).result;
  const cached = () => readdirSync(cacheDir).filter((f) => f.startsWith("buf-build-"));

  it("gives buf's bytes again from the cache, and builds anew when a proto file changes", async () => {
    const fresh = await build(undefined);
    expect(fresh.code).toBe(0);
    const first = await build(cacheDir);
    expect(first.stdout).toEqual(fresh.stdout);
    expect(cached()).toHaveLength(1);
    const again = await build(cacheDir);
    expect(again.stdout).toEqual(fresh.stdout);
    expect(cached()).toHaveLength(1); // a hit: nothing new written
    const protoFile = readdirSync(join(fixture.root, "proto"), { recursive: true })
      .map(String)
      .find((f) => f.endsWith(".proto"))!;
    fixture.write(
      `proto/${protoFile}`,
      `${fixture.read(`proto/${protoFile}`)}\nmessage CacheProbe {}\n`,
    );
    const edited = await build(cacheDir);
    expect(edited.code).toBe(0);
    expect(edited.stdout).not.toEqual(fresh.stdout);
    expect(cached()).toHaveLength(2);
  }, 60_000);

  it("answers from the output folder's records (a fresh clone's manifest) only for the same inputs", async () => {
    const spec = specFixture();
    try {
      const r = await generate(spec.options({ cacheDir: undefined }));
      expect(r.ok).toBe(true);
      const { writeFiles } = await import("../generator/output/write.js");
      writeFiles(spec.out, r.files);
      const recorded = readRecords(spec.out).buf;
      expect(recorded?.key).toMatch(/^[0-9a-f]{64}$/);
      const run = () =>
        startBufBuild({
          toolRoot: REPO,
          root: spec.root,
          library: materialiseProtovalidate(),
          extra: ["--exclude-imports"],
          recordsDir: spec.out,
        }).result;
      const fromRecords = await run();
      expect(fromRecords.source).toBe("records");
      const real = await startBufBuild({
        toolRoot: REPO,
        root: spec.root,
        library: materialiseProtovalidate(),
        extra: ["--exclude-imports"],
      }).result;
      expect(real.source).toBe("buf");
      expect(fromRecords.stdout).toEqual(real.stdout);
      // Damaged bytes in the record (its hash misses), then an edited proto: buf runs.
      const manifestPath = join(spec.out, "manifest.json");
      const manifest = readFileSync(manifestPath, "utf8");
      writeFileSync(
        manifestPath,
        manifest.replace(recorded!.descriptorSet, `A${recorded!.descriptorSet.slice(1)}`),
      );
      expect((await run()).source).toBe("buf");
      writeFileSync(manifestPath, manifest);
      const protoFile = readdirSync(join(spec.root, "proto"), { recursive: true })
        .map(String)
        .find((f) => f.endsWith(".proto"))!;
      spec.write(
        `proto/${protoFile}`,
        `${spec.read(`proto/${protoFile}`)}\nmessage RecordProbe {}\n`,
      );
      const edited = await run();
      expect(edited.source).toBe("buf");
      expect(edited.stdout).not.toEqual(real.stdout);
    } finally {
      spec.cleanup();
    }
  }, 120_000);

  it("keeps a plain node process alive until buf ends (only an early start runs in the background)", () => {
    const script = [
      `import { startBufBuild } from ${JSON.stringify(join(REPO, "generator", "load", "buf-build.mjs"))};`,
      `const r = await startBufBuild({ toolRoot: ${JSON.stringify(REPO)}, root: ${JSON.stringify(fixture.root)},`,
      `  library: ${JSON.stringify(materialiseProtovalidate())}, extra: ["--exclude-imports"] }).result;`,
      `process.stdout.write("buf exited " + r.code + " with " + r.stdout.length + " bytes");`,
    ].join("\n");
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^buf exited 0 with [1-9]\d* bytes$/);
  }, 60_000);

  it("a failed build is not cached and keeps buf's located message", async () => {
    const protoFile = readdirSync(join(fixture.root, "proto"), { recursive: true })
      .map(String)
      .find((f) => f.endsWith(".proto"))!;
    fixture.write(`proto/${protoFile}`, `${fixture.read(`proto/${protoFile}`)}\nmessage {\n`);
    const before = cached().length;
    const r = await build(cacheDir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/proto\/.+\.proto:\d+:\d+/);
    expect(cached()).toHaveLength(before);
  }, 60_000);

  it("the early build launch.mjs starts is the one loadProto takes over (same descriptors)", async () => {
    const spec = specFixture();
    try {
      const direct = await loadProto(spec.root, new DiagnosticBag());
      const prebuilt = prebuildProtovalidate(); // what the setup-time build leaves for launch.mjs
      const validateProto = "buf/validate/validate.proto";
      expect(readFileSync(join(prebuilt, validateProto), "utf8")).toBe(
        readFileSync(join(materialiseProtovalidate(), validateProto), "utf8"),
      );
      startEarlyBufBuild({ toolRoot: REPO, root: spec.root, cacheDir: undefined });
      const early = await loadProto(spec.root, new DiagnosticBag());
      expect(early?.bytes).toEqual(direct?.bytes);
      const started = (globalThis as Record<symbol, { taken: boolean } | undefined>)[
        Symbol.for("v2c-gen.early-buf")
      ];
      expect(started?.taken).toBe(true);
      expect(takeEarlyBufBuild(spec.root)).toBeUndefined(); // taken once
    } finally {
      spec.cleanup();
    }
  }, 60_000);
});

describe("the bundle run with V8's code cache (generator/code-cache.mjs)", () => {
  const runner = join(REPO, "generator", "code-cache.mjs");
  /** Runs `file` through runWithCodeCache in a fresh node; its output, then how it was compiled. */
  const runIt = (file: string) => {
    const r = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `import { runWithCodeCache } from ${JSON.stringify(runner)};\n` +
          "const how = runWithCodeCache(process.argv[1]);\n" +
          "process.on('exit', () => process.stdout.write(` ${how}`));",
        file,
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stderr).toBe("");
    return r.stdout;
  };

  it("writes the cache on the first run, uses it next, and never for an edited text of the same length", () => {
    const dir = mkdtempSync(join(tmpdir(), "v2c-code-cache-"));
    try {
      const file = join(dir, "bundle.cjs");
      // CommonJS as Node runs it: require, module, __filename; a function compiled lazily.
      const text = (word: string) =>
        `const { basename } = require("node:path");\n` +
        `function say() { return "${word} from " + basename(__filename); }\n` +
        `module.exports = say; process.stdout.write(say());\n`;
      writeFileSync(file, text("hello"));
      expect(runIt(file)).toBe("hello from bundle.cjs compiled");
      expect(existsSync(`${file}.v8`)).toBe(true);
      expect(runIt(file)).toBe("hello from bundle.cjs cached");
      // Same length, other code: V8 alone would accept the old cache (and run "hello").
      writeFileSync(file, text("howdy"));
      expect(runIt(file)).toBe("howdy from bundle.cjs compiled");
      expect(runIt(file)).toBe("howdy from bundle.cjs cached");
      // A cache V8 refuses (damaged after its header) is compiled anew, then rewritten.
      const cache = readFileSync(`${file}.v8`);
      cache.fill(7, 40);
      writeFileSync(`${file}.v8`, cache);
      expect(runIt(file)).toBe("howdy from bundle.cjs rejected");
      expect(runIt(file)).toBe("howdy from bundle.cjs cached");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as prettier from "prettier";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { rendersFormatted } from "../generator/emit/templates.js";
import { prettyLiteral } from "../generator/output/literal.js";
import { loadProto } from "../generator/load/proto.js";
import { readRecords } from "../generator/output/records.js";
import { generate } from "../generator/pipeline.js";
import { runTsProtoChild, tsProtoRequest } from "../generator/protoc/ts-proto.js";
import { runTsProtoInProcess } from "../generator/protoc/ts-proto-plugin.js";
import { REPO, specFixture, type SpecFixture } from "./support/spec-fixture.js";

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

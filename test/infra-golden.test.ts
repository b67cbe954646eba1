import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GeneratedFile } from "../generator/emit/types.js";
import { generate } from "../generator/pipeline.js";
import { specFixture, type SpecFixture } from "./support/spec-fixture.js";

const FAILURE_MODES = "fmea/failure-modes.yaml";

/** Generated files under `infra/`, by path. */
function infraFiles(files: readonly GeneratedFile[]): Map<string, string> {
  return new Map(files.filter((f) => f.path.startsWith("infra/")).map((f) => [f.path, f.content]));
}

/** Replaces the value of the first `threshold:` line after `- id: <id>` (keeping any comment). */
function editThreshold(yaml: string, id: string, value: number): { text: string; old: number } {
  const start = yaml.indexOf(`- id: ${id}\n`);
  if (start < 0) throw new Error(`${id} not found`);
  const re = /threshold: (-?[\d.]+)/g;
  re.lastIndex = start;
  const m = re.exec(yaml);
  if (!m) throw new Error(`no threshold after ${id}`);
  const text = yaml.slice(0, m.index) + `threshold: ${value}` + yaml.slice(m.index + m[0].length);
  return { text, old: Number(m[1]) };
}

describe("golden: one threshold edited in fmea/ changes exactly that alarm", () => {
  let fx: SpecFixture;
  let before: Map<string, string>;
  let after: Map<string, string>;
  let old: number;
  const NEW = 42;

  beforeAll(async () => {
    fx = specFixture();
    const base = await generate(fx.options());
    expect(base.ok).toBe(true);
    before = infraFiles(base.files);
    const edited = editThreshold(fx.read(FAILURE_MODES), "FM-08", NEW);
    old = edited.old;
    fx.write(FAILURE_MODES, edited.text);
    const next = await generate(fx.options());
    expect(next.ok).toBe(true);
    after = infraFiles(next.files);
  });

  afterAll(() => fx?.cleanup());

  it("generates the same set of infra files", () => {
    expect([...after.keys()]).toEqual([...before.keys()]);
    expect(before.size).toBeGreaterThan(10);
  });

  it("changes only src/alarm-definitions.ts, in one line: FM-08's threshold", () => {
    const changed = [...before.keys()].filter((p) => before.get(p) !== after.get(p));
    expect(changed).toEqual(["infra/src/alarm-definitions.ts"]);
    const a = before.get(changed[0]!)!.split("\n");
    const b = after.get(changed[0]!)!.split("\n");
    expect(b).toHaveLength(a.length);
    const diff = a.flatMap((line, i) => (line === b[i] ? [] : [{ i, from: line, to: b[i] }]));
    expect(diff.map(({ from, to }) => ({ from, to }))).toEqual([
      { from: `    threshold: ${old},`, to: `    threshold: ${NEW},` },
    ]);
    // The changed line belongs to the FM-08 alarm: the nearest alarm name above it.
    const names = a.slice(0, diff[0]!.i).filter((l) => /^ {4}name: "/.test(l));
    expect(names.at(-1)).toBe(`    name: "FM-08-dynamodb-throttling",`);
  });
});

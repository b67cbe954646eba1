import { afterAll, describe, expect, it } from "vitest";
import { formatDiagnostic } from "../generator/diagnostics.js";
import { generate } from "../generator/pipeline.js";
import {
  pick,
  protoMutations,
  yamlMutations,
  type SpecMutation,
} from "./support/spec-mutations.js";
import { protoFiles } from "./support/seed-edits.js";
import { specFixture } from "./support/spec-fixture.js";

// Specs we have not seen, approximated: the seed with one node of a YAML source, or one line of
// a .proto, deleted or changed (a seeded sample; the same every run). Whatever the edit, the
// generator must answer with located diagnostics (file:line:column) or generate: never an
// internal error. A larger sweep: `V2C_MUTATIONS=400 npx vitest run test/spec-mutations.test.ts`.
const COUNT = Number(process.env.V2C_MUTATIONS ?? 40);
const SEED = Number(process.env.V2C_MUTATION_SEED ?? 20261130);

const fx = specFixture();
afterAll(() => fx.cleanup());

const YAML_FILES = [
  "asyncapi.yaml",
  "fmea/failure-modes.yaml",
  "fmea/metrics.yaml",
  "fmea/runbooks.yaml",
  "fmea/alerts.yaml",
];
const mutations: SpecMutation[] = [
  ...pick(
    YAML_FILES.flatMap((f) => yamlMutations(f, fx.read(f))),
    COUNT,
    SEED,
  ),
  ...pick(
    protoFiles(fx).flatMap((f) => protoMutations(f, fx.read(f))),
    Math.ceil(COUNT / 3),
    SEED,
  ),
];

describe("one-point spec edits: located diagnostics or output, never an internal error", () => {
  it.each(mutations.map((m) => [`${m.file} ${m.where} (${m.kind})`, m] as const))(
    "%s",
    async (_name, m) => {
      const original = fx.read(m.file);
      fx.write(m.file, m.apply(original));
      try {
        const r = await generate(fx.options());
        const errors = r.diagnostics.filter((d) => d.severity === "error");
        expect(errors.filter((d) => !(d.file && d.line > 0)).map(formatDiagnostic)).toEqual([]);
        expect(r.ok).toBe(errors.length === 0);
        if (!r.ok) expect(r.files).toEqual([]);
      } finally {
        fx.write(m.file, original);
      }
    },
    60_000,
  );
});

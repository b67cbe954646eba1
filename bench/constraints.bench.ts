/**
 * Compiled constraint checkers vs @bufbuild/protovalidate on the seed's payload messages, same
 * run, same messages: 300 realistic valid messages per type (every constrained number inside
 * its range, ids matching their patterns, sub-messages set) and the same messages with two
 * fields pushed out of range. protovalidate runs on the protobuf-es message (the only
 * representation it accepts), the checker on the ts-proto object the generated code decodes.
 *
 *   npx tsx bench/constraints.bench.ts
 */
import { create, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { createValidator } from "@bufbuild/protovalidate";
import fc from "fast-check";
import { DiagnosticBag } from "../generator/diagnostics.js";
import { loadProto, messageConstraints } from "../generator/load/proto.js";
import { collectFieldRules } from "../generator/load/protovalidate-rules.js";
import { isLibraryProto } from "../generator/load/protovalidate.js";
import type { FieldConstraintModel } from "../generator/model/types.js";
import { ConstraintChecker, type FieldConstraint } from "../runtime/src/constraints.js";

const N = Number(process.env.N ?? 300);
const ROUNDS = Number(process.env.ROUNDS ?? 10);

type Init = Record<string, unknown>;

/** One realistic valid value per field, drawn with a fixed seed. */
function sample(
  desc: DescMessage,
  rules: Map<string, FieldConstraintModel>,
  prefix: string,
  seed: number,
): { es: Init; ts: Init } {
  const es: Init = {};
  const ts: Init = {};
  fields: for (const f of desc.fields as DescField[]) {
    if (f.oneof) continue;
    const path = prefix ? `${prefix}.${f.name}` : f.name;
    const c = rules.get(path);
    if (f.fieldKind === "message") {
      const inner = sample(f.message, rules, path, seed + 1);
      es[f.localName] = inner.es;
      ts[f.localName] = inner.ts;
      continue fields;
    }
    let v: unknown;
    if (c?.pattern)
      v = fc.sample(fc.stringMatching(new RegExp(c.pattern)), { seed, numRuns: 1 })[0];
    else if (f.fieldKind === "enum") v = f.enum.values.at(-1)!.number;
    else if (f.fieldKind === "scalar" && f.scalar === 9) v = "x";
    else if (f.fieldKind === "scalar" && f.scalar === 8) v = true;
    else if (f.fieldKind === "scalar") {
      const lo = c?.min ?? 1;
      const hi = c?.max ?? 1000;
      v = Math.round(lo + ((hi - lo) * ((seed % 97) + 1)) / 99);
    } else continue;
    if (f.fieldKind === "list") v = [v];
    const big = f.fieldKind === "scalar" && [3, 4, 6, 16, 18].includes(f.scalar);
    es[f.localName] = big ? BigInt(v as number) : v;
    ts[f.localName] = v;
  }
  return { es, ts };
}

/** Mean µs per call of `fn` over `items`, best of ROUNDS. */
function measure<T>(items: readonly T[], fn: (x: T) => unknown): number {
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (const x of items) sink += fn(x) ? 1 : 0;
    best = Math.min(best, ((performance.now() - t0) * 1000) / items.length);
  }
  if (sink < 0) console.log(sink);
  return best;
}

const bag = new DiagnosticBag();
const proto = (await loadProto(process.cwd(), bag))!;
const validator = createValidator();
console.log(
  "message                              fields  checker µs/msg  protovalidate µs/msg  ratio  (valid | 2 violations)",
);
for (const file of proto.set.file.filter(
  (f) => !isLibraryProto(f.name) && !f.name.startsWith("v2c/options/"),
)) {
  for (const desc of proto.registry.getFile(file.name)!.messages) {
    const table = collectFieldRules(proto, desc, bag);
    // Payload messages only (those with a schema_version); sub-messages are inside them.
    if (!messageConstraints(proto, desc) || !table.some((c) => c.ruleType)) continue;
    const rules = new Map(table.map((c) => [c.protoPath, c]));
    const checker = new ConstraintChecker({
      message: desc.typeName,
      schemaVersion: 1,
      minSupportedSchemaVersion: 1,
      fields: table as FieldConstraint[],
    });
    const valid = Array.from({ length: N }, (_, i) => sample(desc, rules, "", i));
    const ranged = table.filter((c) => c.max !== undefined && !c.repeated && !c.oneofs).slice(0, 2);
    const invalid = valid.map(({ es, ts }) => {
      const e = structuredClone(es);
      const t = structuredClone(ts);
      for (const c of ranged) {
        const keys = c.path.split(".");
        let ne: Init = e;
        let nt: Init = t;
        for (const k of keys.slice(0, -1)) {
          ne = ne[k] as Init;
          nt = nt[k] as Init;
        }
        const last = keys.at(-1)!;
        nt[last] = c.max! + 1;
        ne[last] = typeof ne[last] === "bigint" ? BigInt(c.max! + 1) : c.max! + 1;
      }
      return { es: e, ts: t };
    });
    const row = (items: typeof valid) => {
      const msgs = items.map((x) => ({ es: create(desc, x.es as never), ts: x.ts }));
      validator.validate(desc, msgs[0]!.es); // first call compiles the rules (~0.3 s), not measured
      const ours = measure(msgs, (m) => checker.check(m.ts).length === 0);
      const theirs = measure(msgs, (m) => validator.validate(desc, m.es).kind === "valid");
      const verdicts = msgs.every(
        (m) =>
          (checker.check(m.ts).length === 0) === (validator.validate(desc, m.es).kind === "valid"),
      );
      if (!verdicts) throw new Error(`${desc.typeName}: verdicts differ`);
      return { ours, theirs };
    };
    const v = row(valid);
    const x = row(invalid);
    console.log(
      `${desc.typeName.padEnd(36)} ${String(table.length).padStart(6)}  ${v.ours.toFixed(2).padStart(6)} | ${x.ours.toFixed(2).padStart(5)}  ${v.theirs.toFixed(2).padStart(9)} | ${x.theirs.toFixed(2).padStart(6)}  ${(v.theirs / v.ours).toFixed(0).padStart(4)}x | ${(x.theirs / x.ours).toFixed(0)}x`,
    );
  }
}

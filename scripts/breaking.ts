/**
 * `npm run breaking`: the contract's breaking-change gate (README.md, "Contract evolution").
 * Compares proto/ (buf breaking, buf.yaml's rule set) and asyncapi.yaml (@asyncapi/diff,
 * classified) with the base revision from the local git history, offline, and fails on a
 * breaking change the contract does not declare:
 * - every breaking change needs a major `info.version` bump of asyncapi.yaml;
 * - a proto change inside a payload message's tree also needs that message's `schema_version`
 *   bumped with `min_supported_schema_version` kept;
 * - a payload switched to another proto message also needs the old message kept beside the new
 *   one (a new package version, e.g. v2 beside v1).
 * Without a base revision (not a git checkout, shallow clone, first commit) it prints a notice
 * and passes.
 *
 *   tsx scripts/breaking.ts [--base <rev>] [specRoot]     (env BREAKING_BASE = <rev> too)
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { contractBreaks, majorVersion, type ContractBreak } from "./breaking-asyncapi.js";
import { extractTree, resolveBase } from "./breaking-git.js";
import { protoBreaks, versionChanges, type ProtoBreak } from "./breaking-proto.js";
import { bufRules } from "./buf.js";

/** The gate's verdict: `lines` is the report, `ok` whether it passes. */
export interface BreakingReport {
  readonly ok: boolean;
  readonly lines: string[];
}

/** Runs the gate for the spec at `root` against `base` (see {@link resolveBase}). */
export async function checkBreaking(root: string, base?: string): Promise<BreakingReport> {
  const resolved = resolveBase(root, base);
  if ("notice" in resolved)
    return { ok: true, lines: [`breaking: notice: ${resolved.notice}; nothing compared (passes)`] };
  const baseRoot = extractTree(root, resolved.commit, ["proto", "asyncapi.yaml"]);
  try {
    return await compare(root, baseRoot, `${resolved.label} (${resolved.commit.slice(0, 12)})`);
  } finally {
    rmSync(baseRoot, { recursive: true, force: true });
  }
}

async function compare(root: string, baseRoot: string, label: string): Promise<BreakingReport> {
  const lines = [`breaking: comparing the working tree with ${label}`];
  const failures: string[] = [];
  const readDoc = (dir: string) =>
    existsSync(join(dir, "asyncapi.yaml"))
      ? ((parse(readFileSync(join(dir, "asyncapi.yaml"), "utf8")) ?? {}) as Record<string, unknown>)
      : undefined;
  const [baseDoc, doc] = [readDoc(baseRoot), readDoc(root)];
  const baseMajor = baseDoc ? majorVersion(baseDoc) : undefined;
  const major = doc ? majorVersion(doc) : undefined;
  const bumped = baseMajor !== undefined && major !== undefined && major > baseMajor;
  if (bumped)
    lines.push(
      `breaking: info.version major bumped ${baseMajor} -> ${major}: breaking changes are declared`,
    );

  let proto: Awaited<ReturnType<typeof protoBreaks>> | undefined;
  if (existsSync(join(baseRoot, "proto")) && existsSync(join(root, "proto"))) {
    proto = await protoBreaks(root, baseRoot, bufRules(root));
    if ("error" in proto)
      return { ok: false, lines: [...lines, `breaking: error: ${proto.error}`] };
    const versions = versionChanges(proto.current, proto.base);
    for (const b of proto.breaks) failures.push(...protoVerdict(b, bumped, versions, lines));
  } else lines.push("breaking: notice: no proto/ at the base or now; protos not compared");

  if (baseDoc && doc) {
    const has = (name: string | undefined) =>
      name !== undefined &&
      proto !== undefined &&
      !("error" in proto) &&
      proto.current.registry.getMessage(name) !== undefined;
    for (const b of contractBreaks(baseDoc, doc))
      failures.push(...contractVerdict(b, bumped, has, lines));
  } else lines.push("breaking: notice: no asyncapi.yaml at the base or now; contract not compared");

  if (failures.length === 0) {
    lines.push("breaking: ok");
    return { ok: true, lines };
  }
  lines.push(
    `breaking: ${failures.length} undeclared breaking change(s); see README.md "Contract evolution" for how to declare one`,
  );
  return { ok: false, lines };
}

function protoVerdict(
  b: ProtoBreak,
  bumped: boolean,
  versions: ReturnType<typeof versionChanges>,
  lines: string[],
): string[] {
  const why: string[] = [];
  if (!bumped) why.push("no major info.version bump");
  for (const p of b.payloads) {
    const v = versions.get(p);
    if (!v?.base || !v.current) continue;
    if (v.current.schemaVersion <= v.base.schemaVersion)
      why.push(`${p} schema_version not bumped (${v.base.schemaVersion})`);
    else if (v.current.minSupportedSchemaVersion !== v.base.minSupportedSchemaVersion)
      why.push(
        `${p} min_supported_schema_version changed ${v.base.minSupportedSchemaVersion} -> ${v.current.minSupportedSchemaVersion}`,
      );
  }
  lines.push(
    `${b.text} [buf ${b.rule}]${why.length ? ` — breaking: ${why.join("; ")}` : " — declared"}`,
  );
  return why.length ? [b.text] : [];
}

function contractVerdict(
  b: ContractBreak,
  bumped: boolean,
  hasMessage: (name: string | undefined) => boolean,
  lines: string[],
): string[] {
  const why: string[] = [];
  if (!bumped) why.push("no major info.version bump");
  if (b.kind === "payload-switched" && !hasMessage(b.previousMessage))
    why.push(`the old message ${b.previousMessage ?? "?"} is gone (keep it beside the new one)`);
  lines.push(
    `asyncapi.yaml ${b.path}: ${b.text}${why.length ? ` — breaking: ${why.join("; ")}` : " — declared"}`,
  );
  return why.length ? [b.text] : [];
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const i = args.indexOf("--base");
  const base = i >= 0 ? args.splice(i, 2)[1] : undefined;
  const report = await checkBreaking(resolve(args[0] ?? "."), base);
  for (const line of report.lines) (report.ok ? console.log : console.error)(line);
  return report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();

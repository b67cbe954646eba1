/** The proto half of the breaking-change gate: `buf breaking` against the base revision. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescEnum, DescMessage, FileRegistry } from "@bufbuild/protobuf";
import { DiagnosticBag } from "../generator/diagnostics.js";
import {
  bufBinary,
  loadProto,
  messageConstraints,
  run,
  type LoadedProto,
} from "../generator/load/proto.js";
import { bufWorkspace } from "../generator/load/protovalidate.js";

/** One breaking change buf found, in buf's own words, and the payload messages it touches. */
export interface ProtoBreak {
  /** `proto/<file>:<line>:<col>:<buf's message>` — exactly what `buf breaking` prints. */
  readonly text: string;
  readonly rule: string;
  /** Fully-qualified payload messages (those with a schema_version) whose tree holds the change. */
  readonly payloads: readonly string[];
}

/** A payload message's schema versions at the base and now. */
export interface VersionChange {
  readonly message: string;
  readonly base?: { schemaVersion: number; minSupportedSchemaVersion: number };
  readonly current?: { schemaVersion: number; minSupportedSchemaVersion: number };
}

/**
 * Runs `buf breaking` (the rule set of `breakingRules`, i.e. buf.yaml's) on `<root>/proto`
 * against an image of `<baseRoot>/proto`, both with buf/validate/validate.proto resolved
 * offline. Returns buf's findings, attributed to payload messages, and both proto loads.
 */
export async function protoBreaks(
  root: string,
  baseRoot: string,
  breakingRules: Record<string, unknown>,
): Promise<{ breaks: ProtoBreak[]; current: LoadedProto; base: LoadedProto } | { error: string }> {
  const bag = new DiagnosticBag();
  const out = mkdtempSync(join(tmpdir(), "v2c-image-"));
  const image = join(out, "base.binpb");
  const baseWs = bufWorkspace(join(baseRoot, "proto"));
  const ws = bufWorkspace(join(root, "proto"), breakingRules);
  try {
    // The three buf builds (both descriptor sets, the base image) run concurrently.
    const [current, base, built] = await Promise.all([
      loadProto(root, bag),
      loadProto(baseRoot, bag),
      run(bufBinary(), ["build", "proto", "-o", image], baseWs.dir),
    ]);
    if (!current || !base)
      return {
        error: bag
          .sorted()
          .map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`)
          .join("\n"),
      };
    if (built.code !== 0) return { error: `base revision does not build: ${built.stderr.trim()}` };
    const r = await run(
      bufBinary(),
      ["breaking", "proto", "--against", image, "--error-format=json"],
      ws.dir,
    );
    const stdout = Buffer.from(r.stdout).toString("utf8");
    if (r.code !== 0 && r.code !== 100) return { error: r.stderr.trim() || stdout };
    const breaks = stdout
      .split("\n")
      .filter((l) => l.trim().startsWith("{"))
      .map((l) => JSON.parse(l) as BufFinding)
      .map((f) => ({
        text: `${f.path}:${f.start_line}:${f.start_column}:${f.message}`,
        rule: f.type,
        payloads: payloadsTouching(f, current, base),
      }));
    return { breaks, current, base };
  } finally {
    baseWs.dispose();
    ws.dispose();
    rmSync(out, { recursive: true, force: true });
  }
}

interface BufFinding {
  path: string;
  start_line: number;
  start_column: number;
  type: string;
  message: string;
}

/** Schema versions of every payload message at the base and now. */
export function versionChanges(
  current: LoadedProto,
  base: LoadedProto,
): Map<string, VersionChange> {
  const out = new Map<string, VersionChange>();
  for (const [side, proto] of [
    ["current", current],
    ["base", base],
  ] as const) {
    for (const m of allMessages(proto.registry)) {
      const v = messageConstraints(proto, m);
      if (!v) continue;
      const prev = out.get(m.typeName) ?? { message: m.typeName };
      out.set(m.typeName, {
        ...prev,
        [side]: {
          schemaVersion: v.schemaVersion,
          minSupportedSchemaVersion: v.minSupportedSchemaVersion,
        },
      });
    }
  }
  return out;
}

/** The payload messages (with a schema_version option) whose type tree contains the finding's type. */
function payloadsTouching(f: BufFinding, current: LoadedProto, base: LoadedProto): string[] {
  const named =
    /on (?:message|enum) "([\w.]+)"/.exec(f.message)?.[1] ??
    /(?:message|enum) "([\w.]+)" was deleted/.exec(f.message)?.[1];
  if (!named) return [];
  const file = f.path.replace(/^proto\//, "");
  const out = new Set<string>();
  for (const proto of [current, base]) {
    const pkg = proto.registry.getFile(file)?.proto.package;
    if (pkg === undefined) continue;
    const target = `${pkg}.${named}`;
    for (const m of allMessages(proto.registry)) {
      if (messageConstraints(proto, m) && reaches(m, target, new Set())) out.add(m.typeName);
    }
  }
  return [...out].sort();
}

function reaches(m: DescMessage, target: string, seen: Set<string>): boolean {
  if (m.typeName === target) return true;
  if (seen.has(m.typeName)) return false;
  seen.add(m.typeName);
  return m.fields.some((f) => {
    const t: DescMessage | DescEnum | undefined = f.message ?? f.enum;
    if (!t) return false;
    if (t.kind === "enum") return t.typeName === target;
    return reaches(t, target, seen);
  });
}

function allMessages(registry: FileRegistry): DescMessage[] {
  const out: DescMessage[] = [];
  for (const t of registry) if (t.kind === "message") out.push(t);
  return out;
}

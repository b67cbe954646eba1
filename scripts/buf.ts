/**
 * buf over proto/ with `buf/validate/validate.proto` resolved offline: `lint` (buf lint + buf
 * format --diff --exit-code), `format` (buf format --write). The lint and breaking rule sets are
 * buf.yaml's (repository root); the protovalidate module is added by a temporary workspace.
 *
 *   tsx scripts/buf.ts lint|format [specRoot]
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { bufBinary } from "../generator/load/proto.js";
import { bufWorkspace, type BufWorkspace } from "../generator/load/protovalidate.js";

/** The lint/breaking sections of `<root>/buf.yaml` (empty when the file is absent). */
export function bufRules(root: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(join(root, "buf.yaml"), "utf8");
  } catch {
    return {};
  }
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ["lint", "breaking"]) if (doc[key] !== undefined) out[key] = doc[key];
  return out;
}

/** Runs buf in a workspace over `<root>/proto`; returns its exit code (output passes through). */
export function runBuf(ws: BufWorkspace, args: string[]): number {
  const r = spawnSync(bufBinary(), args, { cwd: ws.dir, stdio: "inherit" });
  return r.status ?? 1;
}

function main(): number {
  const [command, rootArg] = process.argv.slice(2);
  const root = resolve(rootArg ?? ".");
  const ws = bufWorkspace(join(root, "proto"), bufRules(root));
  try {
    if (command === "lint") {
      const lint = runBuf(ws, ["lint", "proto"]);
      const format = runBuf(ws, ["format", "proto", "--diff", "--exit-code"]);
      if (format !== 0)
        console.error("buf format: proto/ is off buf's layout (npm run format:proto fixes it)");
      return lint !== 0 ? lint : format;
    }
    if (command === "format") return runBuf(ws, ["format", "proto", "--write"]);
    console.error("usage: tsx scripts/buf.ts lint|format [specRoot]");
    return 2;
  } finally {
    ws.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();

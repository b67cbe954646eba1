import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "./support/spec-fixture.js";

const GENERATED = join(REPO, "generated");
const packages = readdirSync(GENERATED, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(GENERATED, d.name, "tsconfig.json")))
  .map((d) => d.name)
  .sort();

function tsc(project: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(REPO, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", project],
      { cwd: REPO },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 170_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

// Every generated workspace package compiles on its own (its tsconfig, its imports).
describe("generated packages typecheck with tsc --noEmit", () => {
  it("finds the generated packages", () => {
    expect(packages).toContain("spec");
  });

  it.each(packages)(
    "generated/%s",
    async (pkg) => {
      const r = await tsc(join(GENERATED, pkg, "tsconfig.json"));
      expect(r.output).toBe("");
      expect(r.code).toBe(0);
    },
    180_000,
  );
});

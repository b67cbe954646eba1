import { readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, specFixture, type SpecFixture } from "./support/spec-fixture.js";

// Each case runs the real CLI on a temporary copy of the spec, the way CI runs
// `npm run generate -- --check`.
describe("generate --check", () => {
  let fx: SpecFixture;
  const check = () => runCli(["--root", fx.root, "--check"], fx.root);
  const file = (rel: string) => join(fx.out, rel);

  beforeAll(() => {
    fx = specFixture();
    const r = runCli(["--root", fx.root], fx.root);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => fx.cleanup());

  it("passes when generated/ is in sync", () => {
    const r = check();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/generated\/ is up to date \(\d+ files\)/);
  });

  it("fails on a hand-edited generated file, shows a unified diff and the fix, and writes nothing", () => {
    const target = file("spec/src/topics.ts");
    const original = readFileSync(target, "utf8");
    writeFileSync(target, original.replace('"vehicleTelemetry"', '"vehicleTelemetryEdited"'));
    try {
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("changed:  generated/spec/src/topics.ts");
      expect(r.stderr).toContain('-  "vehicleTelemetryEdited",');
      expect(r.stderr).toContain('+  "vehicleTelemetry",');
      expect(r.stderr).toContain("Run `npm run generate` to update generated/");
      expect(readFileSync(target, "utf8")).toContain("vehicleTelemetryEdited");
    } finally {
      writeFileSync(target, original);
    }
  });

  it("fails on a deleted generated file", () => {
    const target = file("spec/src/fmea.ts");
    const original = readFileSync(target, "utf8");
    rmSync(target);
    try {
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("missing:  generated/spec/src/fmea.ts");
      expect(existsSync(target)).toBe(false);
    } finally {
      writeFileSync(target, original);
    }
  });

  it("fails on an extra file the generator does not produce", () => {
    const extra = file("spec/src/hand-written.ts");
    writeFileSync(extra, "export const x = 1;\n");
    try {
      const r = check();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("orphaned: generated/spec/src/hand-written.ts");
    } finally {
      rmSync(extra);
    }
  });

  it("fails on a spec edit that was not regenerated, then passes after generate", () => {
    fx.edit("fmea/failure-modes.yaml", "threshold: 80 # chosen", "threshold: 90 # chosen");
    const r = check();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("changed:  generated/spec/src/fmea.ts");
    expect(r.stderr).toMatch(/^-\s+threshold: 80,$/m);
    expect(r.stderr).toMatch(/^\+\s+threshold: 90,$/m);
    expect(runCli(["--root", fx.root], fx.root).code).toBe(0);
    expect(check().code).toBe(0);
  });

  it("generate removes orphaned files and is byte-for-byte repeatable", () => {
    const extra = file("spec/src/stale.ts");
    writeFileSync(extra, "export {};\n");
    const before = readFileSync(file("spec/src/contract.ts"));
    const r = runCli(["--root", fx.root], fx.root);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 written, 1 removed/);
    expect(existsSync(extra)).toBe(false);
    expect(readFileSync(file("spec/src/contract.ts")).equals(before)).toBe(true);
  });
});

import { describe, expect, it } from "vitest";
import { applyNpmScope } from "../generator/emit/npm-scope.js";

const files = [
  { path: "spec/package.json", content: JSON.stringify({ name: "@v2c/spec" }) },
  { path: "client/package.json", content: JSON.stringify({ name: "@v2c/client" }) },
  {
    path: "client/src/index.ts",
    content: [
      'import { a } from "@v2c/spec";',
      'import { b } from "@v2c/spec/topics";',
      'import { c } from "@v2c/runtime/client/index";',
      'import { d } from "@v2c/spec-extra";',
      "// see @v2c/client.",
    ].join("\n"),
  },
];

describe("x-v2c.npm-scope", () => {
  it("renames exactly the generated packages, wherever they are referenced", () => {
    const out = applyNpmScope(files, "@acme-fleet");
    expect(out.map((f) => f.content)).toEqual([
      JSON.stringify({ name: "@acme-fleet/spec" }),
      JSON.stringify({ name: "@acme-fleet/client" }),
      [
        'import { a } from "@acme-fleet/spec";',
        'import { b } from "@acme-fleet/spec/topics";',
        'import { c } from "@v2c/runtime/client/index";',
        'import { d } from "@v2c/spec-extra";',
        "// see @acme-fleet/client.",
      ].join("\n"),
    ]);
  });

  it("leaves the output untouched under the default scope", () => {
    expect(applyNpmScope(files, "@v2c")).toBe(files);
  });
});

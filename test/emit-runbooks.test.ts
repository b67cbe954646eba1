import { beforeAll, describe, expect, it } from "vitest";
import { RUNBOOKS_PAGE } from "../generator/emit/runbooks/index.js";
import { defaultOptions } from "../generator/options.js";
import { generate, type GenerationResult } from "../generator/pipeline.js";
import { REPO } from "./support/spec-fixture.js";

describe("docs/runbooks.md", () => {
  let result: GenerationResult;
  let page: string;
  beforeAll(async () => {
    result = await generate(defaultOptions(REPO));
    page = result.files.find((f) => f.path === RUNBOOKS_PAGE)!.content;
  });

  it("has an anchor for every runbook, procedure and failure mode that an alarm links to", () => {
    const m = result.model!;
    const anchors = new Set([...page.matchAll(/<a id="([^"]+)"><\/a>/g)].map((x) => x[1]));
    for (const r of m.runbooks) expect(anchors.has(r.id), r.id).toBe(true);
    for (const f of m.failureModes) expect(anchors.has(f.id), f.id).toBe(true);
    for (const a of m.alerts) expect(anchors.has(a.runbook), a.id).toBe(true);
  });

  it("prints each procedure's steps in order and each failure mode's response", () => {
    const m = result.model!;
    const replay = m.runbooks.find((r) => r.id === "procedure-dlq-replay")!;
    const section = page.slice(page.indexOf('<a id="procedure-dlq-replay">'));
    let at = 0;
    for (const step of replay.steps) {
      const i = section.indexOf(step, at);
      expect(i, step).toBeGreaterThan(at - 1);
      at = i;
    }
    const fm = m.failureModes.find((f) => f.id === "FM-20")!;
    for (const step of fm.response) expect(page).toContain(step);
  });
});

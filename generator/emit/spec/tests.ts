import type { EmitContext, GeneratedFile } from "../types.js";
import { camel, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";

/**
 * `test/topics.test.ts`: exercises the generated topic templates with the spec's own examples
 * (build -> parse round trip, filter, a rejected parameter per validated parameter).
 */
export function emitSpecTests(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const channels = ctx.model.channels.map((c) => {
    const params = Object.fromEntries(c.parameters.map((p) => [p.name, p.example]));
    let topic = c.address;
    for (const [k, v] of Object.entries(params)) topic = topic.replace(`{${k}}`, v);
    return {
      id: c.id,
      constName: `${camel(c.id)}Topic`,
      params: JSON.stringify(params),
      topic,
      filter: c.filter,
      invalid: c.parameters
        .filter((p) => p.enum || p.pattern)
        .map((p) => ({
          name: p.name,
          params: JSON.stringify({ ...params, [p.name]: "not/valid" }),
        })),
    };
  });
  const content = loadTemplates(templatesRoot, "spec").render("topics.test.ts", {
    sources: sourceList(["asyncapi.yaml"]),
    imports: [
      `import { describe, expect, it } from "vitest";`,
      `import { ${channels
        .map((c) => c.constName)
        .sort()
        .join(", ")} } from "../src/topics.js";`,
    ],
    channels,
  });
  return { path: "spec/test/topics.test.ts", content };
}

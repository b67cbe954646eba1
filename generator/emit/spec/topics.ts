import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, literal, pascal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME } from "./package.js";

/** `src/topics.ts`: one validated TopicTemplate per channel. */
export function emitTopics(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const imports = new ImportCollector();
  const TopicTemplate = imports.use(`${RUNTIME}/topic-template`, "TopicTemplate");
  const channels = ctx.model.channels.map((c) => ({
    id: c.id,
    address: c.address,
    title: c.title,
    description: c.description,
    constName: `${camel(c.id)}Topic`,
    paramsType: `${pascal(c.id)}TopicParams`,
    parameters: c.parameters.map((p) => ({
      name: p.name,
      description: p.description || p.name,
      type: p.enum ? p.enum.map((e) => JSON.stringify(e)).join(" | ") : "string",
    })),
    rules: literal(
      Object.fromEntries(
        c.parameters.map((p) => [
          p.name,
          { ...(p.enum ? { enum: p.enum } : {}), ...(p.pattern ? { pattern: p.pattern } : {}) },
        ]),
      ),
    ),
  }));
  const content = loadTemplates(templatesRoot, "spec").render("topics.ts", {
    sources: sourceList(["asyncapi.yaml"]),
    imports: imports.lines(),
    templateClass: TopicTemplate,
    channels,
  });
  return { path: "spec/src/topics.ts", content };
}

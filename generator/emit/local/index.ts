import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, sourceList } from "../names.js";
import { RUNTIME, type PackageVersions } from "../spec/package.js";
import { loadTemplates } from "../templates.js";

/**
 * `generated/local` (`@v2c/local`): the whole flow on one machine — the generated handlers on
 * the local adapters behind a rules engine that subscribes to Mosquitto with one rule per
 * send operation, as the IoT rules of the CDK app do in AWS.
 */
export function emitLocal(
  ctx: EmitContext,
  templatesRoot: string,
  versions: PackageVersions,
): GeneratedFile[] {
  const m = ctx.model;
  const t = loadTemplates(templatesRoot, "local");
  const sends = m.operations.filter((o) => o.action === "send" && o.handler);
  const imports = new ImportCollector();
  const createLocalHandlers = imports.use("@v2c/handlers", "createLocalHandlers");
  imports.use("@v2c/handlers", "LocalHandlers", true);
  const engine = imports.use(`${RUNTIME}/local/rules-engine`, "LocalRulesEngine");
  imports.use(`${RUNTIME}/local/rules-engine`, "LocalRule", true);
  const entry = imports.use(`${RUNTIME}/cloud/dlq-entry`, "createDeadLetterEntry");
  imports.use("@v2c/spec", "operations");
  const topics = sends.map((o) => imports.use("@v2c/spec", `${camel(o.channelId)}Topic`));
  imports.use("node:crypto", "createHash");
  const rules = sends.map((o) => ({
    name: o.handler!.name,
    operationId: o.id,
    topicConst: `${camel(o.channelId)}Topic`,
    handlerProp: camel(o.handler!.name),
  }));
  const vehicleParam =
    m.channels
      .find((c) => c.id === sends[0]?.channelId)
      ?.parameters.find((p) => /vehicle/.test(p.name))?.name ?? "vehicle_id";
  const pipeline = t.render("pipeline.ts", {
    sources: sourceList(["asyncapi.yaml"]),
    imports: imports.lines(),
    createLocalHandlers,
    engine,
    entry,
    rules,
    vehicleParam,
    topicParsers: topics.map((tc) => `${tc}.parse(topic)?.${vehicleParam}`).join(" ?? "),
  });
  const pkg = {
    name: "@v2c/local",
    version: m.info.version,
    private: true,
    description: `Generated: the ${m.info.title} flow on one machine (Mosquitto + rules engine + handlers on SQLite). DO NOT EDIT.`,
    type: "module",
    exports: { ".": "./src/pipeline.ts" },
    dependencies: {
      "@v2c/handlers": m.info.version,
      [RUNTIME]: versions.runtime,
      "@v2c/spec": m.info.version,
    },
  };
  return [
    { path: "local/package.json", content: `${JSON.stringify(pkg, null, 2)}\n` },
    {
      path: "local/tsconfig.json",
      content: `${JSON.stringify({ extends: "../../tsconfig.base.json", include: ["src", "bin", "test"] }, null, 2)}\n`,
    },
    { path: "local/src/pipeline.ts", content: pipeline },
    {
      path: "local/bin/run.ts",
      content: t.render("run.ts", {
        sources: sourceList(["asyncapi.yaml"]),
        imports: [`import { startLocalPipeline } from "../src/pipeline.js";`],
        rules,
      }),
    },
    {
      path: "local/README.md",
      content: t.render("README.md", {
        sources: sourceList(["asyncapi.yaml"]),
        title: m.info.title,
        rules: rules.map((r) => ({
          ...r,
          filter: m.channels.find(
            (c) => c.id === sends.find((o) => o.id === r.operationId)!.channelId,
          )!.filter,
        })),
      }),
    },
  ];
}

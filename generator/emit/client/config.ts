import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME } from "../spec/package.js";
import { clientView, SPEC } from "./view.js";

/** `src/config.ts`: `clientConfig` (every resolved figure with its source) and the time scaling used by tests. */
export function emitClientConfig(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const view = clientView(ctx.model);
  const imports = new ImportCollector();
  for (const name of ["servers", "platform", ...(view.batches.length ? ["operations"] : [])])
    imports.use(SPEC, name);
  const { reconnect, publishRetry, quota, certificateWarning } = view.rows;
  for (const r of [reconnect, publishRetry, quota, certificateWarning])
    if (r.key) imports.use(SPEC, r.key);
  const retryPolicy = imports.use(`${RUNTIME}/policy`, "RetryPolicy", true);
  const content = loadTemplates(templatesRoot, "client").render("config.ts", {
    sources: sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]),
    imports: imports.lines(),
    retryPolicy,
    ...view,
  });
  const r = view.rows;
  return {
    path: "ecu-client/src/config.ts",
    content,
    traces: [
      { failureMode: r.reconnect.id, kind: "mitigation", symbol: "clientConfig.reconnect" },
      { failureMode: r.publishRetry.id, kind: "mitigation", symbol: "clientConfig.publishRetry" },
      { failureMode: r.quota.id, kind: "mitigation", symbol: "clientConfig.quotaWindowMs" },
      {
        failureMode: r.certificateWarning.id,
        kind: "mitigation",
        symbol: "clientConfig.certificateWarningMs",
      },
      {
        failureMode: r.sizeCheck.id,
        kind: "mitigation",
        symbol: "clientConfig.servers.maxPacketBytes",
      },
      {
        failureMode: r.clockSkew.id,
        kind: "mitigation",
        symbol: "clientConfig.clockSkewToleranceMs",
      },
    ].filter((t) => t.failureMode !== "default") as GeneratedFile["traces"],
  };
}

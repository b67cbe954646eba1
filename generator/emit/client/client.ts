import type { EmitContext, GeneratedFile, Trace } from "../types.js";
import { ImportCollector } from "../imports.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME_CLIENT, SPEC, clientView } from "./view.js";

/** `src/client.ts`: `VehicleClient` with one typed method per operation, and `createVehicleClient`. */
export function emitClientClass(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const view = clientView(ctx.model);
  const imports = new ImportCollector();
  imports.use("node:crypto", "randomUUID");
  imports.use("node:fs", "readFileSync");
  for (const name of ["servers", "messages"]) imports.use(SPEC, name);
  imports.use(SPEC, "ServerId", true);
  for (const c of view.channels) imports.use(SPEC, c.topic);
  for (const op of [...view.payloads, ...view.receives]) {
    imports.use(SPEC, op.type);
    imports.use(SPEC, op.checker);
  }
  if (
    [...view.sends, ...view.batches].some((op) => op.hasAlias) ||
    view.receives.some((r) => r.reply?.hasAlias)
  )
    imports.use(SPEC, "channels");
  for (const name of [
    "ClientEvents",
    "ClockSkewDetector",
    "CertificateMonitor",
    "PersistentQueue",
    "VehicleSession",
    "noopMetrics",
    "reusingEncoder",
  ])
    imports.use(RUNTIME_CLIENT, name);
  for (const name of [
    "ClientMetrics",
    "ClockSkewSample",
    "PublishResult",
    "RandomSource",
    "SessionTimeouts",
  ])
    imports.use(RUNTIME_CLIENT, name, true);
  if (view.batches.length > 0) {
    for (const name of ["BatchAccumulator", "BatchPublisher"]) imports.use(RUNTIME_CLIENT, name);
    imports.use(RUNTIME_CLIENT, "PublishedBatch", true);
    for (const b of view.batches) imports.use("./batch-codec.js", b.codec);
  }
  imports.use("./config.js", "clientConfig");
  imports.use("./config.js", "scaledDelays");
  imports.use("./errors.js", "MessageValidationError");
  const content = loadTemplates(templatesRoot, "client").render("client.ts", {
    sources: sourceList(ctx.model.sources),
    imports: imports.lines(),
    ...view,
  });
  const r = view.rows;
  const traces: Trace[] = [
    {
      failureMode: r.sizeCheck.id,
      kind: "mitigation",
      symbol: "VehicleClient (session maxPacketBytes)",
    },
    {
      failureMode: r.clockSkew.id,
      kind: "mitigation",
      symbol: "VehicleClient.observeReferenceTime",
    },
    {
      failureMode: r.certificateWarning.id,
      kind: "mitigation",
      symbol: "VehicleClient.certificate",
    },
    {
      failureMode: r.failover.id,
      kind: "mitigation",
      symbol:
        "VehicleClient (failoverChain after a full reconnect schedule; useServer to fail back)",
    },
    ...view.batches.map((b) => ({
      failureMode: r.split.id,
      kind: "mitigation" as const,
      symbol: `VehicleClient.${b.id}`,
    })),
    ...ctx.model.failureModes
      .filter((fm) => fm.owner === "ecu-client" && fm.mitigation.policy.stopRetrying)
      .map((fm) => ({
        failureMode: fm.id,
        kind: "mitigation" as const,
        symbol: "createVehicleClient (session stops on credential/security refusals)",
      })),
  ];
  return {
    path: "ecu-client/src/client.ts",
    content,
    traces: traces.filter((t) => t.failureMode !== "default"),
  };
}

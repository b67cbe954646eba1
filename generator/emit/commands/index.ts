import type { Model, OperationModel } from "../../model/types.js";
import { ImportCollector } from "../imports.js";
import { camel, literal, pascal, sourceList } from "../names.js";
import { RUNTIME, type PackageVersions } from "../spec/package.js";
import { packageVersion } from "../../package-version.js";
import { manifestFiles, packageTsconfigContent } from "../package-manifest.js";
import { loadTemplates } from "../templates.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { payloadView, topicParamViews } from "../client/view-operations.js";
import { sampleSnapshot } from "../client/sample.js";

const SPEC = "@v2c/spec";

/** What the commander's transports import besides the runtime: MQTT.js and the IoT data plane. */
const COMMANDER_DEPENDENCIES = ["@aws-sdk/client-iot-data-plane", "mqtt"] as const;
const COMMANDER = `${RUNTIME}/commander/index`;

/** One vehicle `receive` operation as the cloud publishes it. */
function commandView(model: Model, op: OperationModel) {
  const message = model.messages.find((m) => m.id === op.messageId)!;
  const channel = model.channels.find((c) => c.id === op.channelId)!;
  const request = payloadView(message);
  const env = message.envelope;
  const replyMessage = op.reply
    ? model.messages.find((m) => m.id === op.reply!.messageId)
    : undefined;
  const replyChannel = op.reply
    ? model.channels.find((c) => c.id === op.reply!.channelId)
    : undefined;
  return {
    id: op.id,
    title: op.title,
    const: `${camel(op.id)}Operation`,
    requestMethod: `request${pascal(op.id)}`,
    /** The vehicle client's handler method of the same operation. */
    clientMethod: `on${pascal(op.id)}`,
    inputType: `${message.tsName}Input`,
    topic: `${camel(channel.id)}Topic`,
    paramsType: `${pascal(channel.id)}TopicParams`,
    ...request,
    vehicleParameter: env.vehicleId && env.vehicleParameter ? env.vehicleParameter : null,
    /** A valid value of every field the commands package does not fill (its declared rules). */
    sample:
      Object.keys(sampleSnapshot(message)).length > 0 ? literal(sampleSnapshot(message)) : null,
    correlation: request.envelope.correlation ?? request.envelope.id,
    qos: op.qos,
    retain: op.retain,
    expiryS: op.messageExpiryS ?? null,
    reply:
      replyMessage && replyChannel
        ? {
            type: replyMessage.tsName,
            topic: `${camel(replyChannel.id)}Topic`,
            correlation: replyMessage.envelope.correlationId!.path,
          }
        : null,
  };
}

/**
 * `@v2c/commands`: the cloud side of every vehicle `receive` operation — a typed publish, and for
 * operations with an AsyncAPI 3 `reply`, a typed request that resolves with the correlated reply.
 * Nothing is emitted when the spec has no receive operation.
 */
export function emitCommands(
  ctx: EmitContext,
  templatesRoot: string,
  versions: PackageVersions,
): GeneratedFile[] {
  const m = ctx.model;
  const ops = m.operations.filter((op) => op.action === "receive").map((op) => commandView(m, op));
  if (ops.length === 0) return [];
  const t = loadTemplates(templatesRoot, "commands");
  const imports = new ImportCollector();
  imports.use(SPEC, "messages");
  for (const op of ops) {
    imports.use(SPEC, op.type);
    imports.use(SPEC, op.checker);
    imports.use(SPEC, op.topic);
    imports.use(SPEC, op.paramsType, true);
    if (op.reply) {
      imports.use(SPEC, op.reply.type);
      imports.use(SPEC, op.reply.topic);
    }
  }
  imports.use(COMMANDER, "CommandPublisher");
  imports.use(COMMANDER, "CommandValidationError");
  for (const name of ["CommandOperation", "CommandTransport", "PublishedCommand", "ReplyBinding"])
    imports.use(COMMANDER, name, true);
  // A real package (dist, .d.ts, files allow-list) like the others: the commander's transports
  // need MQTT.js (broker) and the IoT data plane client (AWS).
  const manifest = manifestFiles("commands", {
    name: "@v2c/commands",
    version: m.info.version,
    description: `Generated from the ${m.info.title} spec: the cloud's typed publisher of vehicle commands (broker or AWS IoT data plane), with request/reply. ESM only. DO NOT EDIT.`,
    entryPoints: { ".": "index" },
    dependencies: {
      [RUNTIME]: versions.runtime,
      "@v2c/spec": m.info.version,
      ...Object.fromEntries(COMMANDER_DEPENDENCIES.map((d) => [d, packageVersion(d)])),
    },
  });
  const sources = sourceList(m.sources);
  const testImports = new ImportCollector();
  for (const name of ["afterEach", "describe", "expect", "it"]) testImports.use("vitest", name);
  testImports.use("node:crypto", "randomUUID");
  testImports.use("node:fs", "mkdtempSync");
  testImports.use("node:fs", "rmSync");
  testImports.use("node:os", "tmpdir");
  testImports.use("node:path", "join");
  testImports.use("../src/index.js", "createVehicleCommands");
  testImports.use(COMMANDER, "MqttCommandTransport");
  testImports.use(COMMANDER, "RequestTimeoutError");
  testImports.use("@v2c/ecu-client", "createVehicleClient");
  testImports.use(`${RUNTIME}/testing`, "startMosquitto");
  // The README example addresses one vehicle: a command whose topic carries a vehicle id.
  const vehicleParam = ops.find((o) => o.vehicleParameter)?.vehicleParameter;
  // The test's vehicle client needs its own id even when every command is a broadcast.
  const clientVehicleParam =
    vehicleParam ?? topicParamViews(m).find((p) => p.source === "vehicleId")?.name;
  const params = m.channels.flatMap((c) => c.parameters);
  const example = Object.fromEntries(params.map((p) => [p.name, p.example]));
  const configParams = Object.fromEntries(
    params.filter((p) => p.name !== clientVehicleParam).map((p) => [p.name, p.example]),
  );
  const files: GeneratedFile[] = [
    ...manifest,
    { path: "commands/tsconfig.json", content: packageTsconfigContent(["src", "test"]) },
    {
      path: "commands/README.md",
      content: t.render("README.md", {
        sources,
        title: m.info.title,
        ops,
        // The README's runnable example: the first operation addressed to one vehicle.
        example: vehicleParam
          ? {
              op: ops.find((o) => o.vehicleParameter),
              server: JSON.stringify(m.servers[0]?.id ?? ""),
              vehicleId: JSON.stringify(example[vehicleParam] ?? ""),
              params: literal(example),
              configParams: literal(configParams),
            }
          : // No vehicle-addressed command (no vehicle parameter): no example.
            { op: null },
      }),
    },
    { path: "commands/src/index.ts", content: t.render("index.ts", { sources, imports: [] }) },
    {
      path: "commands/src/commands.ts",
      content: t.render("commands.ts", { sources, imports: imports.lines(), ops }),
    },
  ];
  // The per-operation test drives the generated vehicle client as the other end: every
  // command, addressed to that vehicle or broadcast to the values of its other parameters.
  if (clientVehicleParam && m.operations.some((op) => op.action === "send" || op.reply)) {
    files.push({
      path: "commands/test/commands.test.ts",
      content: t.render("commands.test.ts", {
        sources,
        imports: testImports.lines(),
        ops,
        server: m.servers[0]!.id,
        params: literal(example),
        vehicleParam: clientVehicleParam,
        vehicleId: JSON.stringify(example[clientVehicleParam] ?? ""),
        hasConfigParams: Object.keys(configParams).length > 0,
        configParams: literal(configParams),
      }),
    });
  }
  return files;
}

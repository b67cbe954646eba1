import { sampleSnapshot } from "../client/sample.js";
import type { MessageModel, Model } from "../../model/types.js";
import type { EmitContext, GeneratedFile, Trace } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, pascal, sourceList } from "../names.js";
import type { TemplateSet } from "../templates.js";
import { handlerViews, policyRows, type HandlerView } from "./views.js";

const lit = (v: unknown) => JSON.stringify(v);

/** The topic of `channelId` built from its parameters' spec examples. */
export function exampleTopic(model: Model, channelId: string): string {
  const channel = model.channels.find((c) => c.id === channelId)!;
  let topic = channel.address;
  for (const p of channel.parameters) topic = topic.replace(`{${p.name}}`, p.example);
  return topic;
}

/** The example vehicle id of a handler's topic (its vehicle parameter's example). */
export function exampleVehicle(model: Model, h: HandlerView): string {
  const channel = model.channels.find((c) => c.id === h.channelId)!;
  return channel.parameters.find((p) => p.name === h.param)?.example ?? "";
}

/** `sample<Message>` builder name. */
export const sampleName = (m: MessageModel) => `sample${pascal(m.id)}`;

/** `invalid<Message>` builder name. */
export const invalidName = (m: MessageModel) => `invalid${pascal(m.id)}`;

type Json = { [key: string]: Json | number };

/**
 * A snapshot of `m` with one declared numeric range broken (above its max, or below a
 * positive min), other ranged fields in range; undefined when `m` declares no such range
 * outside its envelope roles.
 */
export function invalidSnapshot(m: MessageModel): Json | undefined {
  const envelope = new Set(
    Object.values(m.envelope).flatMap((v) =>
      v && typeof v === "object" && "path" in v ? [(v as { path: string }).path] : [],
    ),
  );
  const c = m.constraints.find(
    (x) =>
      x.kind === "number" &&
      !x.repeated &&
      !envelope.has(x.path) &&
      (x.max !== undefined || (x.min !== undefined && x.min > 0)),
  );
  if (!c) return undefined;
  const out = structuredClone(sampleSnapshot(m)) as Json;
  const keys = c.path.split(".");
  let node = out;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Json;
  node[keys.at(-1)!] = c.max !== undefined ? c.max + 1 : c.min! - 1;
  return out;
}

/** `test/samples.ts`: valid encoded messages built from the envelope roles and constraints. */
function emitSamples(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const imports = new ImportCollector();
  imports.use("@v2c/spec", "messages");
  const handlers = handlerViews(ctx.model);
  const records = new Map<string, MessageModel>();
  const batches = new Map<string, MessageModel>();
  for (const h of handlers) {
    records.set(h.record.id, h.record);
    if (h.kind === "batch") batches.set(h.message.id, h.message);
  }
  const set = (field: { path: string } | undefined, value: string) =>
    field ? [{ key: lit(field.path), value }] : [];
  const view = (m: MessageModel) => ({
    name: sampleName(m),
    tsName: m.tsName,
    idLiteral: lit(m.id),
    snapshot: lit(sampleSnapshot(m)),
  });
  for (const m of [...records.values(), ...batches.values()]) imports.use("@v2c/spec", m.tsName);
  if (batches.size > 0) imports.use("node:zlib", "crc32");
  const content = t.render("samples.ts", {
    sources: sourceList(["asyncapi.yaml", ...new Set(handlers.map((h) => h.message.protoFile))]),
    imports: imports.lines(),
    records: [...records.values()].map((m) => ({
      ...view(m),
      invalidName: invalidSnapshot(m) ? invalidName(m) : "",
      invalidSnapshot: lit(invalidSnapshot(m) ?? {}),
      fields: [
        ...set(m.envelope.messageId, "messageId"),
        ...set(m.envelope.vehicleId, "vehicleId"),
        ...set(m.envelope.eventTime, "timestampMs"),
        ...set(m.envelope.schemaVersion, `messages[${lit(m.id)}].schemaVersion`),
      ],
    })),
    batches: [...batches.values()].map((m) => ({
      ...view(m),
      fields: [
        ...set(m.envelope.messageId, "nextId()"),
        ...set(m.envelope.vehicleId, "vehicleId"),
        ...set(m.envelope.eventTime, "createdAtMs"),
        ...set(m.envelope.schemaVersion, `messages[${lit(m.id)}].schemaVersion`),
        ...set(m.envelope.records, "records.map((r) => Buffer.from(r))"),
        ...set(m.envelope.checksum, "(crc ^ crcDelta) >>> 0"),
      ],
    })),
  });
  return { path: "handlers/test/samples.ts", content };
}

/**
 * `test/handlers.test.ts`: runs every generated handler end to end on the local adapters (a
 * valid message stored once, a redelivery deduplicated, a corrupt payload dead-lettered, the
 * replay), with the spec's example topics; plus `test/samples.ts`.
 */
export function emitHandlerTests(ctx: EmitContext, t: TemplateSet): GeneratedFile[] {
  const handlers = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const imports = new ImportCollector();
  for (const n of ["afterEach", "beforeEach", "describe", "expect", "it"]) imports.use("vitest", n);
  for (const [m, n] of [
    ["node:fs", "mkdtempSync"],
    ["node:fs", "rmSync"],
    ["node:os", "tmpdir"],
    ["node:path", "join"],
  ] as const)
    imports.use(m, n);
  imports.use("../src/local.js", "createLocalHandlers");
  imports.use("../src/local.js", "LocalHandlers", true);
  if (handlers.some((h) => h.zstd)) imports.use("@mongodb-js/zstd", "compress");
  const views = handlers.map((h) => {
    imports.use("./samples.js", sampleName(h.record));
    if (h.kind === "batch") imports.use("./samples.js", sampleName(h.message));
    const dedup = h.operation.handler!.dedup !== undefined;
    return {
      operationLiteral: lit(h.operationId),
      topic: lit(exampleTopic(ctx.model, h.channelId)),
      vehicle: lit(exampleVehicle(ctx.model, h)),
      batch: h.kind === "batch",
      zstd: h.zstd,
      dedup,
      sample: sampleName(h.record),
      batchSample: h.kind === "batch" ? sampleName(h.message) : "",
      tests: {
        stored:
          h.kind === "batch"
            ? `${h.name}: stores every record of a batch${dedup ? " and dedups a resent batch per record" : ""}`
            : `${h.name}: stores a valid message${dedup ? " once and counts the redelivery as a duplicate" : ""}`,
        corrupt: `${h.name}: a payload that does not decode goes to the DLQ with a reason, and is counted`,
      },
    };
  });
  const content = t.render("handlers.test.ts", {
    sources: sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]),
    imports: imports.lines(),
    handlers: views,
    replayProp: camel(rows.replayName),
    replayTest: `${rows.replayName}: a dead-lettered message is replayed once the cause is gone, and the DLQ is emptied`,
    replayOperation: views.find((v) => !v.batch),
  });
  const traces: Trace[] = [];
  return [emitSamples(ctx, t), { path: "handlers/test/handlers.test.ts", content, traces }];
}

import type { EmitContext, GeneratedFile, Trace } from "../types.js";
import { ImportCollector } from "../imports.js";
import { camel, sourceList } from "../names.js";
import type { TemplateSet } from "../templates.js";
import { timeField } from "./fields.js";
import { batchFields, handlerViews, policyRows, recordFields, vehicleParameter } from "./views.js";

/** The topic of `channelId` built from its parameters' spec examples. */
function exampleTopic(ctx: EmitContext, channelId: string): string {
  const channel = ctx.model.channels.find((c) => c.id === channelId)!;
  let topic = channel.address;
  for (const p of channel.parameters) topic = topic.replace(`{${p.name}}`, p.example);
  return topic;
}

/**
 * `test/handlers.test.ts`: runs the generated handlers end to end on the local adapters
 * (store, duplicate, FM-07, FM-21, FM-22, batch, replay), with the spec's example topics.
 */
export function emitHandlerTests(ctx: EmitContext, t: TemplateSet): GeneratedFile {
  const { record, batch } = handlerViews(ctx.model);
  const rows = policyRows(ctx.model);
  const param = vehicleParameter(ctx.model, record);
  const channel = ctx.model.channels.find((c) => c.id === record.channelId)!;
  const imports = new ImportCollector();
  for (const n of ["afterEach", "beforeEach", "describe", "expect", "it"]) imports.use("vitest", n);
  imports.use("node:fs", "mkdtempSync");
  imports.use("node:fs", "rmSync");
  imports.use("node:os", "tmpdir");
  imports.use("node:path", "join");
  imports.use("node:zlib", "crc32");
  imports.use("@mongodb-js/zstd", "compress");
  imports.use("@v2c/spec", record.message.tsName);
  imports.use("@v2c/spec", batch.message.tsName);
  imports.use("@v2c/spec", "platform");
  imports.use("../src/local.js", "createLocalHandlers");
  imports.use("../src/local.js", "LocalHandlers", true);
  imports.use("../src/policy.js", "reasons");
  imports.use("../src/policy.js", "handlerMetrics");
  const tests = {
    stored: "stores a valid record once and counts the redelivery as a duplicate (FM-10)",
    parse: "FM-07 protobuf parsing failure: a corrupt payload goes to the DLQ with its reason",
    skew: "FM-21 clock skew: a record from the future is dead-lettered, and replay stores it once the clock agrees",
    batch: "stores every record of a zstd batch and dedups a resent batch per record",
    checksum:
      "FM-22 payload corruption: a batch whose records do not match their CRC-32 is dead-lettered whole",
  };
  const content = t.render("handlers.test.ts", {
    sources: sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]),
    imports: imports.lines(),
    recordTopic: exampleTopic(ctx, record.channelId),
    batchTopic: exampleTopic(ctx, batch.channelId),
    vehicleId: channel.parameters.find((p) => p.name === param)!.example,
    record: {
      ...record,
      prop: camel(record.name),
      fields: recordFields(ctx.model, record.message, param),
    },
    batch: {
      ...batch,
      prop: camel(batch.name),
      fields: {
        ...batchFields(ctx.model, batch.message, param),
        time: timeField(batch.message).path,
      },
    },
    replayProp: camel(rows.replayName),
    tests,
  });
  const traces: Trace[] = [
    { failureMode: "FM-10", kind: "test", symbol: tests.stored },
    { failureMode: "FM-07", kind: "test", symbol: tests.parse },
    { failureMode: "FM-21", kind: "test", symbol: tests.skew },
    { failureMode: "FM-10", kind: "test", symbol: tests.batch },
    { failureMode: "FM-22", kind: "test", symbol: tests.checksum },
  ];
  return { path: "handlers/test/handlers.test.ts", content, traces };
}

import type { FailureModeModel, Model } from "../../model/types.js";
import type { GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { literal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME_CLIENT, SPEC, type ClientView } from "./view.js";
import type { PayloadView } from "./view-operations.js";
import type { ClientTestKind } from "./test-kinds.js";
import { sampleSnapshot } from "./sample.js";

// What the client's generated tests share, whichever operation they drive: the harness, the
// import lists of the test templates, and the file names of the rows' tests.

/** The runtime's testing kit (Mosquitto, test PKI, scripted MQTT 5 peer), imported by package name. */
export const SUPPORT = "@v2c/runtime/testing";
/** The generated tests' own harness (test/harness.ts). */
export const HARNESS = "./harness.js";
export const VITEST = "vitest";

/** One import of a test file: module, symbol, and whether it is a type-only import. */
export type Use = readonly [module: string, symbol: string, typeOnly?: boolean];

/** Symbols of the harness. */
export const H = (...names: string[]): Use[] => names.map((n) => [HARNESS, n] as const);
/** Tests that read a session metric get its name from the spec through the harness. */
export const M: Use = [HARNESS, "metricName"];
/** Values of the runtime client. */
export const R = (...names: string[]): Use[] => names.map((n) => [RUNTIME_CLIENT, n] as const);
/** Types of the runtime client. */
export const RT = (...names: string[]): Use[] =>
  names.map((n) => [RUNTIME_CLIENT, n, true] as const);
/** The generated client's `clientConfig` (the spec's figures). */
export const CFG: Use = ["../src/index.js", "clientConfig"];

/** A single-message send operation as the client templates print it. */
export type SendView = ClientView["sends"][number];

/** What each test template imports (beyond vitest and the row's constant). */
export function importsOf(
  kind: ClientTestKind | "todo" | "client",
  view: ClientView,
  acked?: SendView,
): Use[] {
  const send: Use[] = view.sends[0] ? [[SPEC, view.sends[0].type]] : [];
  // The harness's SAMPLE is a snapshot of the first send's message; another send gets its own.
  const sample: Use[] = acked && acked === view.sends[0] ? H("SAMPLE") : [];
  const batch = view.batches[0];
  switch (kind) {
    case "reconnect":
      return [
        M,
        ...H("Cleanups", "makeClient", "ScriptedPeer"),
        ...sample,
        ...R("ReasonCode", "applyJitter"),
        ...RT("ConnectFailedEvent", ...(acked ? ["QueueDroppedEvent"] : [])),
        CFG,
        ...(acked ? ([[SPEC, acked.type]] as Use[]) : []),
      ];
    case "puback":
      return [
        M,
        ...H("Cleanups", "makeClient", "ScriptedPeer", "waitUntil"),
        ...sample,
        ...R("ReasonCode", "applyJitter"),
        [SPEC, acked!.type],
      ];
    case "quota":
      return [
        M,
        ...H("Cleanups", "makeClient", "ScriptedPeer", "signalCode"),
        ...R("ReasonCode"),
        ...RT("ConnectFailedEvent"),
        CFG,
      ];
    case "size":
      return [
        M,
        ...H(
          "Cleanups",
          "makeClient",
          "ScriptedPeer",
          "SERVER",
          "signalCode",
          "startMosquitto",
          "waitUntil",
        ),
        ...sample,
        ...R("PacketTooLargeError"),
        CFG,
        [SPEC, acked!.type],
      ];
    case "unauthorized":
      return [
        M,
        ...H("Cleanups", "makeClient", "ScriptedPeer", "signalCode"),
        ...sample,
        ...R("NotAuthorizedError"),
        ...RT("SecurityEvent"),
      ];
    case "split":
      return [
        ...H(
          "Cleanups",
          "makeClient",
          "SAMPLE",
          "ScriptedPeer",
          "VEHICLE_ID",
          "signalCode",
          "waitUntil",
        ),
        ...R("decodeBatch"),
        ...RT("BatchSplitEvent"),
        CFG,
        ["../src/index.js", batch!.codec],
        [SPEC, batch!.record.type],
      ];
    case "checksum":
      return [
        ...H("Cleanups", "makeClient", "SAMPLE", "ScriptedPeer", "VEHICLE_ID"),
        // A QoS 0 batch resolves once written: the test waits for the peer to read it.
        ...(batch!.qos >= 1 ? [] : H("waitUntil")),
        ...R("batchChecksum", "decodeBatch", "encodeBatch", "PayloadCorruptionError"),
        ...RT("BatchCodec"),
        CFG,
        ["../src/index.js", batch!.codec],
        ["node:crypto", "randomUUID"],
        ["node:zlib", "crc32"],
      ];
    case "credential":
      return [
        ...H("Cleanups", "makeClient", "VEHICLE_ID", "makeTestPki", "startMosquitto"),
        ...sample,
        [HARNESS, "MosquittoBroker", true],
        [HARNESS, "TestPki", true],
        [HARNESS, "Identity", true],
        ...R("CredentialError", "certificateNotAfter"),
        ...RT("CertificateExpiringEvent", "ConnectFailedEvent"),
        CFG,
        [VITEST, "beforeAll"],
        [VITEST, "afterAll"],
      ];
    case "failover":
      return [
        ...H("Cleanups", "makeClient", "ScriptedPeer", "SERVER"),
        ...(acked ? sample : []),
        ...R("ReasonCode"),
        ...RT("FailoverEvent"),
        CFG,
        [SPEC, "servers"],
        [SPEC, "ServerId", true],
        ...(acked ? ([[SPEC, acked.type]] as Use[]) : []),
      ];
    case "clock-skew":
      return [
        ...H("Cleanups", "makeClient", "SAMPLE"),
        ...RT("ClockSkewEvent"),
        CFG,
        [SPEC, "platform"],
      ];
    case "client":
      return [
        ...H(
          "Cleanups",
          "makeClient",
          "SAMPLE",
          "VEHICLE_ID",
          "OTHER_VEHICLE_ID",
          "startMosquitto",
          "waitUntil",
        ),
        [HARNESS, "MosquittoBroker", true],
        ["../src/index.js", "IGNORED_METRIC"],
        ["../src/index.js", "MessageValidationError"],
        [SPEC, "messages"],
        ["@v2c/runtime/topic-template", "TopicParameterError"],
        ["mqtt", "connectAsync"],
        ["mqtt", "MqttClient", true],
        ["node:crypto", "randomUUID"],
        [VITEST, "beforeAll"],
        [VITEST, "afterAll"],
        ...send,
        ...(view.receives[0] ? ([[SPEC, view.receives[0].type]] as Use[]) : []),
        ...(view.receives[0]?.reply ? ([[SPEC, view.receives[0].reply.type]] as Use[]) : []),
      ];
    case "todo":
      return [];
  }
}

/** Renders `templates/client/test-<kind>.ts.hbs`. */
export function render(kind: string, view: object, templatesRoot: string): string {
  return loadTemplates(templatesRoot, "client").render(`test-${kind}.ts`, view);
}

/** The row as the client test templates read it. */
export function rowView(fm: FailureModeModel) {
  return {
    id: fm.id,
    key: fm.key,
    name: fm.name,
    signal: fm.detection.signal.code,
    stop: fm.mitigation.policy.stopRetrying ?? null,
    split: fm.mitigation.policy.split ?? null,
    checksum: fm.mitigation.policy.checksum ?? null,
    limitName: "max packet bytes",
  };
}

/** Why a failover test cannot run (the first server names no `x-failover-to`), or undefined. */
export function noFailoverReason(m: Model): string | undefined {
  const server = m.servers[0]!;
  return server.failoverTo
    ? undefined
    : `server ${server.id} declares no x-failover-to: there is no endpoint to fail over to`;
}

/** A client row's test file, traced to its failure mode. */
export function clientTestFile(fm: FailureModeModel, content: string): GeneratedFile {
  const name = clientTestName(fm);
  return {
    path: `ecu-client/test/${name}`,
    content,
    traces: [
      { failureMode: fm.id, kind: "test", symbol: `${name}: describe("${fm.id} ${fm.name}")` },
    ],
  };
}

/** `FM-xx-<slug>.test.ts`: the file of a client row's test. */
export const clientTestName = (fm: FailureModeModel) =>
  `FM-${fm.id.replace(/^FM-/, "")}-${fm.slug}.test.ts`;

/**
 * Collects a test file's imports: vitest's (`describe`, and `it`, `expect`, `afterEach` unless
 * the file is only an `it.todo`), the row's constant, then `uses` minus the `skip` symbols.
 */
export function testImports(
  kind: string,
  uses: readonly Use[],
  rowKey?: string,
  skip: readonly string[] = [],
): ImportCollector {
  const imports = new ImportCollector();
  imports.use(VITEST, "describe");
  if (kind !== "todo") {
    imports.use(VITEST, "expect");
    imports.use(VITEST, "it");
    imports.use(VITEST, "afterEach");
  } else imports.use(VITEST, "it");
  if (rowKey) imports.use(SPEC, rowKey);
  for (const [module, symbol, typeOnly] of uses)
    if (!skip.includes(symbol)) imports.use(module, symbol, typeOnly ?? false);
  return imports;
}

/**
 * `test/harness.ts`: the testing kit, the spec's example vehicle ids, `makeClient`, and
 * `SAMPLE`, a valid snapshot of `payload` (the message the tests publish, or a batch's record).
 */
export function harnessFile(
  m: Model,
  view: ClientView,
  payload: PayloadView,
  templatesRoot: string,
): GeneratedFile {
  const vehicleParam = view.topicParams.find((p) => p.source === "vehicleId")!.name;
  const vehicleId = m.channels
    .flatMap((c) => c.parameters)
    .find((p) => p.name === vehicleParam)!.example;
  const prefix = /^[^0-9A-Z]*[A-Z]*-?/.exec(vehicleId)?.[0] ?? "";
  const otherVehicleId = prefix + [...vehicleId.slice(prefix.length)].reverse().join("");

  const harnessImports = new ImportCollector();
  harnessImports.use("node:fs", "mkdtempSync");
  harnessImports.use("node:fs", "rmSync");
  harnessImports.use("node:os", "tmpdir");
  harnessImports.use("node:path", "join");
  harnessImports.use(RUNTIME_CLIENT, "InMemoryClientMetrics");
  harnessImports.use(SPEC, "ServerId", true);
  harnessImports.use("../src/index.js", "createVehicleClient");
  harnessImports.use("../src/index.js", "clientConfig");
  harnessImports.use("../src/index.js", "VehicleClient", true);
  harnessImports.use("../src/index.js", "VehicleClientConfig", true);
  harnessImports.use("../src/index.js", payload.snapshotType, true);
  return {
    path: "ecu-client/test/harness.ts",
    content: loadTemplates(templatesRoot, "client").render("harness.ts", {
      sources: sourceList(m.sources),
      imports: harnessImports.lines(),
      support: SUPPORT,
      serverId: m.servers[0]!.id,
      vehicleId,
      otherVehicleId,
      snapshotType: payload.snapshotType,
      sample: literal(sampleSnapshot(payload.message)),
      topicParams: Object.fromEntries(view.configParams.map((p) => [p.name, p.example])),
      hasConfigParams: view.configParams.length > 0,
    }),
  };
}

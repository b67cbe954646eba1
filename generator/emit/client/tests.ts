import type { FailureModeModel } from "../../model/types.js";
import type { EmitContext, GeneratedFile } from "../types.js";
import { ImportCollector } from "../imports.js";
import { literal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME_CLIENT, SPEC, clientView, type ClientView } from "./view.js";
import { clientPolicyRows, clientTestedRows } from "./policies.js";
import { clientTestPlan, type ClientTestKind } from "./test-kinds.js";
import { invalidSnapshot, sampleSnapshot } from "./sample.js";

/** The runtime's testing kit (Mosquitto, test PKI, scripted MQTT 5 peer), imported by package name. */
const SUPPORT = "@v2c/runtime/testing";
const HARNESS = "./harness.js";
const VITEST = "vitest";

type Use = readonly [module: string, symbol: string, typeOnly?: boolean];

const H = (...names: string[]): Use[] => names.map((n) => [HARNESS, n] as const);
/** Tests that read a session metric get its name from the spec through the harness. */
const M: Use = [HARNESS, "metricName"];
const R = (...names: string[]): Use[] => names.map((n) => [RUNTIME_CLIENT, n] as const);
const RT = (...names: string[]): Use[] => names.map((n) => [RUNTIME_CLIENT, n, true] as const);
const CFG: Use = ["../src/index.js", "clientConfig"];

type SendView = ClientView["sends"][number];

/** Test kinds whose signal is a PUBACK reason (or its absence): they need a QoS >= 1 send. */
const ACKED_KINDS: ReadonlySet<string> = new Set(["puback", "unauthorized"]);
/** Test kinds that check a message waits in the local queue while offline. */
const QUEUED_KINDS: ReadonlySet<string> = new Set(["credential", "reconnect", "failover"]);

/** The send the row's alarm `operation` dimension names among `accepted`, else the first one. */
function sendFor(
  fm: FailureModeModel,
  sends: readonly SendView[],
  accept: (s: SendView) => boolean,
): SendView | undefined {
  const accepted = sends.filter(accept);
  const named = fm.detection.alarm.dimensions.operation;
  return accepted.find((s) => s.id === named) ?? accepted[0];
}

/**
 * The send operation a PUBACK test publishes on: the QoS >= 1 one the row's alarm `operation`
 * dimension names, else the first QoS >= 1 one; none when every send is QoS 0 (no PUBACK).
 */
export function ackedSend(fm: FailureModeModel, sends: readonly SendView[]): SendView | undefined {
  return sendFor(fm, sends, (s) => s.qos >= 1);
}

/** The send an offline-queue check publishes on: one the vehicle queues while offline. */
export function queuedSend(fm: FailureModeModel, sends: readonly SendView[]): SendView | undefined {
  return sendFor(fm, sends, (s) => s.offline === "queue");
}

/** The send a row's test publishes on (`undefined`: none fits), or the first send for the rest. */
function sendOf(kind: string, fm: FailureModeModel, sends: readonly SendView[]) {
  if (ACKED_KINDS.has(kind)) return ackedSend(fm, sends);
  // The size test's broker refusal (DISCONNECT after the PUBLISH) needs a send that waits for it.
  if (kind === "size") return ackedSend(fm, sends) ?? sends[0];
  if (QUEUED_KINDS.has(kind)) return queuedSend(fm, sends);
  return sends[0];
}

/** What each test template imports (beyond vitest and the row's constant). */
function importsOf(
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

function render(kind: string, view: object, templatesRoot: string): string {
  return loadTemplates(templatesRoot, "client").render(`test-${kind}.ts`, view);
}

/** `FM-xx-<slug>.test.ts`: the file of a client row's test. */
const clientTestName = (fm: FailureModeModel) =>
  `FM-${fm.id.replace(/^FM-/, "")}-${fm.slug}.test.ts`;

/**
 * A spec whose vehicle sends no single message (only batches, or only receives): the client's
 * tests drive a single-message send, so `client.test.ts` and each client row's test are an
 * `it.todo` saying so (and the rows are reported as pending: a `--strict` gap).
 */
function pendingClientTests(m: EmitContext["model"], templatesRoot: string): GeneratedFile[] {
  const reason =
    "the generated client tests drive a single-message send operation, and this spec declares none (only batch or receive operations)";
  const todo = (row: { id: string; name: string }) => {
    const imports = new ImportCollector();
    imports.use(VITEST, "describe");
    imports.use(VITEST, "it");
    return render(
      "todo",
      { sources: sourceList(m.sources), imports: imports.lines(), row, reason },
      templatesRoot,
    );
  };
  return [
    {
      path: "ecu-client/test/client.test.ts",
      content: todo({ id: "generated", name: "VehicleClient" }),
    },
    ...clientTestedRows(m).map((fm) => {
      const name = clientTestName(fm);
      return {
        path: `ecu-client/test/${name}`,
        content: todo({ id: fm.id, name: fm.name }),
        traces: [
          {
            failureMode: fm.id,
            kind: "test" as const,
            symbol: `${name}: describe("${fm.id} ${fm.name}")`,
            pending: reason,
          },
        ],
      };
    }),
  ];
}

/**
 * `test/harness.ts`, `test/client.test.ts` and one `test/FM-xx-<slug>.test.ts` per failure mode
 * the client owns or applies a policy of; a mode with nothing to exercise gets `it.todo(reason)`.
 */
export function emitClientTests(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const m = ctx.model;
  const view = clientView(m);
  const rows = clientPolicyRows(m);
  const send = view.sends[0];
  const batch = view.batches[0] ?? null;
  const receive = view.receives[0] ?? null;
  if (!send) return pendingClientTests(m, templatesRoot);
  const t = loadTemplates(templatesRoot, "client");
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
  harnessImports.use("../src/index.js", send.snapshotType, true);
  const files: GeneratedFile[] = [
    {
      path: "ecu-client/test/harness.ts",
      content: t.render("harness.ts", {
        sources: sourceList(m.sources),
        imports: harnessImports.lines(),
        support: SUPPORT,
        serverId: m.servers[0]!.id,
        vehicleId,
        otherVehicleId,
        snapshotType: send.snapshotType,
        sample: literal(sampleSnapshot(send.message)),
        topicParams: Object.fromEntries(view.configParams.map((p) => [p.name, p.example])),
        hasConfigParams: view.configParams.length > 0,
      }),
    },
  ];

  const common = (
    kind: ClientTestKind | "todo" | "client",
    rowKey?: string,
    skip: readonly string[] = [],
    acked?: SendView,
  ) => {
    const imports = new ImportCollector();
    imports.use(VITEST, "describe");
    if (kind !== "todo") {
      imports.use(VITEST, "expect");
      imports.use(VITEST, "it");
      imports.use(VITEST, "afterEach");
    } else imports.use(VITEST, "it");
    if (rowKey) imports.use(SPEC, rowKey);
    for (const [module, symbol, typeOnly] of importsOf(kind, view, acked))
      if (!skip.includes(symbol)) imports.use(module, symbol, typeOnly ?? false);
    return imports;
  };

  const invalid = invalidSnapshot(send.message);
  const clientImports = common("client", undefined, invalid ? [] : ["MessageValidationError"]);
  files.push({
    path: "ecu-client/test/client.test.ts",
    content: render(
      "client",
      {
        sources: sourceList(m.sources),
        imports: clientImports.lines(),
        send,
        sendStatus: send.qos === 0 ? "sent" : "acked",
        receive,
        // The received message's other declared rules, satisfied (its envelope the test fills).
        receiveSample: receive ? literal(sampleSnapshot(receive.message)) : null,
        invalidSnapshot: invalid ? literal(invalid.snapshot) : null,
        invalidViolations: invalid ? literal(invalid.violations) : null,
        invalidTodo: `${send.message.id} declares no numeric range outside its envelope fields that a value can break`,
      },
      templatesRoot,
    ),
  });

  for (const fm of clientTestedRows(m)) {
    let plan = clientTestPlan(fm, rows);
    const acked = sendOf(plan.kind, fm, view.sends);
    if (ACKED_KINDS.has(plan.kind) && !acked)
      plan = {
        kind: "todo",
        reason: `no send operation with QoS >= 1: ${fm.detection.signal.name} is a PUBACK outcome and QoS 0 has no PUBACK`,
      };
    const target = m.servers[0]!.failoverTo;
    if (plan.kind === "failover" && !target)
      plan = {
        kind: "todo",
        reason: `server ${m.servers[0]!.id} declares no x-failover-to: there is no endpoint to fail over to`,
      };
    const usesRow = !["todo", "clock-skew", "credential", "failover"].includes(plan.kind);
    const ownSend =
      ACKED_KINDS.has(plan.kind) || QUEUED_KINDS.has(plan.kind) || plan.kind === "size";
    const imports = common(plan.kind, usesRow ? fm.key : undefined, [], acked);
    const name = clientTestName(fm);
    const content = render(
      plan.kind,
      {
        sources: sourceList(["asyncapi.yaml", "fmea/failure-modes.yaml"]),
        imports: imports.lines(),
        row: {
          id: fm.id,
          key: fm.key,
          name: fm.name,
          signal: fm.detection.signal.code,
          stop: fm.mitigation.policy.stopRetrying ?? null,
          split: fm.mitigation.policy.split ?? null,
          checksum: fm.mitigation.policy.checksum ?? null,
          limitName: "max packet bytes",
        },
        reason: plan.kind === "todo" ? plan.reason : null,
        expired: plan.kind === "credential" && plan.credential === "expired",
        credential: plan.kind === "credential" ? plan.credential : null,
        send: ownSend ? (acked ?? null) : send,
        acked: acked !== undefined && acked.qos >= 1,
        sample: acked && acked !== send ? literal(sampleSnapshot(acked.message)) : "SAMPLE",
        batch,
      },
      templatesRoot,
    );
    files.push({
      path: `ecu-client/test/${name}`,
      content,
      traces: [
        { failureMode: fm.id, kind: "test", symbol: `${name}: describe("${fm.id} ${fm.name}")` },
      ],
    });
  }
  return files;
}

import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { envelopeView } from "../generator/emit/client/envelope.js";
import { invalidSnapshot, sampleSnapshot } from "../generator/emit/client/sample.js";
import { clientTestPlan } from "../generator/emit/client/test-kinds.js";
import { clientPolicyRows, type ClientPolicyRows } from "../generator/emit/client/policies.js";
import { ackedSend, queuedSend } from "../generator/emit/client/tests.js";
import { loadTemplates } from "../generator/emit/templates.js";
import type {
  FailureModeModel,
  FieldConstraintModel,
  MessageModel,
  Model,
} from "../generator/model/types.js";

const REPO = resolve(import.meta.dirname, "..");
const UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";
const VIN = "^VIN-[A-HJ-NPR-Z0-9]{17}$";

const field = (path: string, over: Partial<FieldConstraintModel>): FieldConstraintModel => ({
  path,
  protoPath: path.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
  kind: "number",
  repeated: false,
  required: false,
  ...over,
});

/** A tiny payload: envelope fields, two ranged nested fields, an unconstrained one. */
const message = {
  id: "Ping",
  tsName: "Ping",
  schemaVersion: 2,
  constraints: [
    field("pingId", { kind: "string", required: true, pattern: UUID }),
    field("carId", { kind: "string", required: true, pattern: VIN }),
    field("sentAtMs", { kind: "bigint-number", required: true, unit: "ms", min: 0, max: 10 }),
    field("version", { required: true, min: 2, max: 2 }),
    field("engine.rpm", { min: 0, max: 9000 }),
    field("engine.tempC", { min: -40, max: 151 }),
  ],
  envelope: {
    messageId: { field: "ping_id", path: "pingId", kind: "string" },
    vehicleId: { field: "car_id", path: "carId", kind: "string" },
    vehicleParameter: "car_id",
    eventTime: { field: "sent_at_ms", path: "sentAtMs", kind: "bigint-number" },
    schemaVersion: { field: "version", path: "version", kind: "number" },
  },
} as unknown as MessageModel;

function row(over: Partial<FailureModeModel>): FailureModeModel {
  return {
    id: "FM-99",
    name: "Something",
    detection: { signal: { name: "certificate-expired", code: "CERT_HAS_EXPIRED" } },
    mitigation: { description: "Do it", policy: {}, uses: [] },
    ...over,
  } as unknown as FailureModeModel;
}

describe("ecu-client emitter pieces", () => {
  it("prints the declared envelope roles; the caller never supplies the vehicle id or schema version", () => {
    expect(envelopeView(message)).toEqual({
      id: "pingId",
      correlation: null,
      vehicle: "carId",
      timestamp: "sentAtMs",
      expires: null,
      schemaVersion: "version",
      records: null,
      checksum: null,
      keys: '"carId" | "version"',
    });
  });

  it("samples each ranged field at its midpoint and breaks exactly one by one over the max", () => {
    expect(sampleSnapshot(message)).toEqual({ engine: { rpm: 4500, tempC: 56 } });
    expect(invalidSnapshot(message)).toEqual({
      snapshot: { engine: { rpm: 9001, tempC: 56 } },
      violations: ["engine.rpm:max"],
    });
  });

  it("fills every other field the rules require, with a value that keeps them", () => {
    const rich = {
      ...message,
      protoName: "demo.Ping",
      constraints: [
        ...message.constraints,
        field("firmware", { kind: "string", required: true, pattern: "^fw-[0-9]{2}\\.[0-9]{2}$" }),
        field("label", { kind: "string", minLength: 3, maxLength: 8, prefix: "lb" }),
        field("region", { kind: "string", in: ["eu", "us"] }),
        field("mode", { kind: "enum", required: true, definedOnly: [0, 2, 5], notIn: [2] }),
        field("gear", { kind: "enum", required: true }),
        field("armed", { kind: "bool", required: true }),
        field("odometer", { required: true }),
        field("location", { kind: "message", required: true }),
        field("note", { kind: "string" }),
        field("tags", { kind: "string", repeated: true, required: true, pattern: "^t$" }),
      ],
      enumFields: { "demo.Ping": [{ key: "gear", values: [0, 3, 4] }] },
    } as unknown as MessageModel;
    const sample = sampleSnapshot(rich);
    expect(sample).toMatchObject({
      engine: { rpm: 4500, tempC: 56 },
      label: "lba",
      region: "eu",
      mode: 5,
      gear: 3,
      armed: true,
      odometer: 1,
      location: {},
    });
    expect(sample.firmware).toMatch(/^fw-[0-9]{2}\.[0-9]{2}$/);
    // Envelope fields stay the client's; unconstrained and repeated ones stay empty.
    for (const key of ["pingId", "carId", "sentAtMs", "version", "note", "tags"])
      expect(sample).not.toHaveProperty(key);
    // Deterministic: the same sample every run.
    expect(sampleSnapshot(rich)).toEqual(sample);
  });

  it("plans a credential test from the detection signal, and a todo with the reason otherwise", () => {
    const other = row({ id: "FM-98" });
    const rows = Object.fromEntries(
      [
        "reconnect",
        "publishRetry",
        "quota",
        "certificateWarning",
        "sizeCheck",
        "split",
        "checksum",
        "clockSkew",
      ].map((k) => [k, other]),
    ) as unknown as ClientPolicyRows;
    const stop = {
      description: "Renew",
      policy: { stopRetrying: "credential" as const },
      uses: [],
    };
    expect(clientTestPlan(row({ mitigation: stop }), rows)).toEqual({
      kind: "credential",
      credential: "expired",
    });
    expect(
      clientTestPlan(
        row({
          mitigation: stop,
          detection: {
            signal: { name: "certificate-revoked", code: "CERT_REVOKED" },
          } as FailureModeModel["detection"],
        }),
        rows,
      ),
    ).toEqual({ kind: "credential", credential: "revoked" });
    expect(clientTestPlan(row({ id: "FM-97" }), rows)).toEqual({
      kind: "todo",
      reason: "no client-side mitigation to exercise for FM-97 (Do it)",
    });
  });

  it("breaks nothing when the message declares no range outside its envelope", () => {
    const bare = { ...message, constraints: message.constraints.slice(0, 4) } as MessageModel;
    expect(invalidSnapshot(bare)).toBeUndefined();
  });

  it("binds the client's policy rows by signal and policy key, whatever their phase or owner", () => {
    const fm = (id: string, signal: string, policy: object, over: object = {}) =>
      row({
        id,
        phase: "anything",
        owner: "handlers",
        detection: { signal: { name: signal, code: "x" } },
        mitigation: { description: "d", policy, uses: [] },
        ...over,
      } as unknown as Partial<FailureModeModel>);
    const rows = [
      fm("FM-1", "unavailable", { retry: { attempts: 1 } }),
      fm("FM-2", "connect-timeout", { retry: { attempts: 2 } }),
      fm("FM-3", "ack-timeout", { pubackTimeoutMs: 100 }),
      fm("FM-4", "quota-exceeded", {}),
      fm("FM-5", "quota-exceeded", { quotaWait: { durationMs: 5 } }),
      fm("FM-6", "too-large", { split: { strategy: "halves" } }),
      fm("FM-7", "too-large", { sizeCheck: true }, { owner: "ecu-client" }),
      fm("FM-8", "too-large", { sizeCheck: true }),
    ];
    const bound = clientPolicyRows({ failureModes: rows } as unknown as Model);
    expect(Object.fromEntries(Object.entries(bound).map(([k, v]) => [k, v?.id]))).toEqual({
      reconnect: "FM-2",
      publishRetry: "FM-3",
      quota: "FM-5",
      certificateWarning: undefined,
      sizeCheck: "FM-7",
      split: "FM-6",
      checksum: undefined,
      clockSkew: undefined,
    });
  });

  it("publishes a PUBACK row's test on the QoS >= 1 send its alarm names, else the first one", () => {
    const sends = [
      { id: "streamStatus", qos: 0 },
      { id: "reportA", qos: 1 },
      { id: "reportB", qos: 1 },
    ] as unknown as Parameters<typeof ackedSend>[1];
    const alarmOn = (operation?: string) =>
      row({
        detection: {
          signal: { name: "ack-timeout", code: "x" },
          alarm: { dimensions: operation ? { operation } : {} },
        },
      } as unknown as Partial<FailureModeModel>);
    expect(ackedSend(alarmOn("reportB"), sends)?.id).toBe("reportB");
    expect(ackedSend(alarmOn("streamStatus"), sends)?.id).toBe("reportA");
    expect(ackedSend(alarmOn(), sends)?.id).toBe("reportA");
    expect(ackedSend(alarmOn(), sends.slice(0, 1))).toBeUndefined();
    const queued = [
      { id: "streamStatus", qos: 0, offline: "drop" },
      { id: "bufferStatus", qos: 0, offline: "queue" },
    ] as unknown as Parameters<typeof queuedSend>[1];
    expect(queuedSend(alarmOn(), queued)?.id).toBe("bufferStatus");
    expect(queuedSend(alarmOn(), queued.slice(0, 1))).toBeUndefined();
  });

  it("prints a todo test file exactly", () => {
    const out = loadTemplates(join(REPO, "templates"), "client").render("test-todo.ts", {
      sources: "fmea/failure-modes.yaml",
      imports: ['import { describe, it } from "vitest";'],
      row: { id: "FM-97", name: "Something" },
      reason: 'cannot "exercise" here',
    });
    expect(out).toBe(
      [
        "// Code generated by v2c-gen from fmea/failure-modes.yaml. DO NOT EDIT.",
        "// Edit the spec sources and run `npm run generate`.",
        'import { describe, it } from "vitest";',
        "",
        'describe("FM-97 Something", () => {',
        '  it.todo("cannot \\"exercise\\" here");',
        "});",
        "",
      ].join("\n"),
    );
  });
});

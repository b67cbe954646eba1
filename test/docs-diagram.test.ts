import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import plantumlEncoder from "plantuml-encoder";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DIAGRAM_PATH,
  renderFailureBranch,
  renderParticipants,
  renderPhase,
} from "../generator/emit/docs/diagram.js";
import { participantKeyword, pumlAlias } from "../generator/emit/docs/plantuml-text.js";
import { DOCS_README_PATH } from "../generator/emit/docs/readme.js";
import { loadTemplates } from "../generator/emit/templates.js";
import type { FailureModeModel, Model, PhaseModel } from "../generator/model/types.js";
import { defaultOptions } from "../generator/options.js";
import { generate } from "../generator/pipeline.js";

const REPO = resolve(import.meta.dirname, "..");
const templates = () => loadTemplates(join(REPO, "templates"), "docs");

/** PlantUML from apt (`/usr/bin/plantuml`) or on PATH; the syntax check is skipped without it. */
const PLANTUML = ["/usr/bin/plantuml", "/usr/local/bin/plantuml"].find((p) => existsSync(p));

/** A failure mode with only the fields the diagram reads set to something meaningful. */
function failureMode(over: Partial<FailureModeModel>): FailureModeModel {
  const alarm = {
    metric: "m",
    dimensions: {},
    statistic: "Sum",
    comparison: "GreaterThanThreshold" as const,
    threshold: 0,
    periodS: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching" as const,
  };
  return {
    id: "FM-99",
    key: "FM_99",
    name: "Rate Limit Exceeded",
    slug: "rate-limit-exceeded",
    phase: "connection",
    component: "iot-core",
    owner: "ecu-client",
    severity: "MEDIUM",
    probability: { band: "LOW", rate: [0.0005, 0.0005], note: "0.05% during fleet-wide events" },
    mtbfMs: 604_800_000,
    mttrMs: { min: 60_000, max: 60_000 },
    mttrText: "1m",
    impact: "Connection rejected",
    causes: [],
    detection: {
      description: "AWS IoT Core CONNACK with 0x97 (Quota Exceeded)",
      signal: { name: "quota-exceeded", code: "0x97" },
      alarm,
    },
    mitigation: { description: "Connection pooling, stagger reconnects", policy: {}, uses: [] },
    recovery: { mode: "automated", description: "Client waits for the rate limit window to reset" },
    notify: "engineering",
    response: [],
    location: { file: "fmea/failure-modes.yaml", line: 1, column: 1 },
    ...over,
  };
}

const phase: PhaseModel = {
  id: "connection",
  title: "Phase 1: Connection Establishment",
  purpose: "Establish a secure MQTT 5.0 connection.",
  steps: [{ from: "mqtt-client", to: "iot-core", text: "CONNECT", operation: "connect" }],
  sla: [
    { name: "connection-latency-p99", text: "1000ms", value: 1000, unit: "ms" },
    { name: "availability", text: "0.9995", value: 0.9995, unit: "ratio" },
  ],
};

describe("docs emitter: exact PlantUML pieces from a tiny model", () => {
  it("declares each participant with the shape of its component kind and a safe alias", () => {
    const out = renderParticipants(templates(), [
      { id: "ecu", name: "ECU", kind: "vehicle" },
      { id: "mqtt-client", name: "MQTT Client", kind: "vehicle-client" },
      { id: "dynamodb", name: "DynamoDB", kind: "key-value-store" },
      { id: "dlq", name: "S3 DLQ", kind: "object-store" },
    ]);
    expect(out).toBe(
      [
        'actor "ECU" as ecu',
        'participant "MQTT Client" as mqtt_client',
        'database "DynamoDB" as dynamodb',
        'queue "S3 DLQ" as dlq',
      ].join("\n"),
    );
  });

  it("draws a kind outside the vocabulary (refused in the model stage) as a plain participant", () => {
    expect(renderParticipants(templates(), [{ id: "x", name: "X", kind: "robot" }])).toBe(
      'participant "X" as x',
    );
  });

  it("draws one failure mode as an alt branch on its component with its FMEA note", () => {
    expect(renderFailureBranch(templates(), failureMode({}), true)).toBe(
      [
        "alt FM-99 Rate Limit Exceeded [MEDIUM]",
        "  iot_core -[#red]> iot_core : quota-exceeded (0x97)",
        "  iot_core -[#green]> iot_core : automated recovery: Connection pooling, stagger reconnects",
        "  note over iot_core #FFF5CC",
        "    **FM-99 Rate Limit Exceeded**",
        "    Severity: MEDIUM, probability LOW (0.05% during fleet-wide events)",
        "    Detection: AWS IoT Core CONNACK with 0x97 (Quota Exceeded)",
        "    Mitigation: Connection pooling, stagger reconnects",
        "    Recovery (automated): Client waits for the rate limit window to reset",
        "    MTTR: 1m",
        "  end note",
      ].join("\n"),
    );
  });

  it("chains a phase's failure modes as alt/else/end after its success path, then the SLA note", () => {
    const manual = failureMode({
      id: "FM-98",
      name: "Certificate Expired",
      component: "mqtt-client",
      severity: "HIGH",
      probability: { band: "VERY LOW" },
      detection: {
        ...failureMode({}).detection,
        description: "Expiry // monitor",
        signal: { name: "certificate-expired", code: "CERT_HAS_EXPIRED" },
      },
      mitigation: { description: "Auto-renewal", policy: {}, uses: [] },
      recovery: { mode: "manual", description: "Renew via SMS" },
      mttrText: "30m-1h",
    });
    const other = failureMode({ id: "FM-97", phase: "elsewhere" });
    expect(renderPhase(templates(), phase, [failureMode({}), other, manual])).toBe(
      [
        "== Phase 1: Connection Establishment ==",
        "note across",
        "  Establish a secure MQTT 5.0 connection.",
        "end note",
        "mqtt_client -> iot_core : CONNECT [connect]",
        "alt FM-99 Rate Limit Exceeded [MEDIUM]",
        "  iot_core -[#red]> iot_core : quota-exceeded (0x97)",
        "  iot_core -[#green]> iot_core : automated recovery: Connection pooling, stagger reconnects",
        "  note over iot_core #FFF5CC",
        "    **FM-99 Rate Limit Exceeded**",
        "    Severity: MEDIUM, probability LOW (0.05% during fleet-wide events)",
        "    Detection: AWS IoT Core CONNACK with 0x97 (Quota Exceeded)",
        "    Mitigation: Connection pooling, stagger reconnects",
        "    Recovery (automated): Client waits for the rate limit window to reset",
        "    MTTR: 1m",
        "  end note",
        "else FM-98 Certificate Expired [HIGH]",
        "  mqtt_client -[#red]> mqtt_client : certificate-expired (CERT_HAS_EXPIRED)",
        "  mqtt_client -[#orange]> mqtt_client : manual recovery: Auto-renewal",
        "  note over mqtt_client #FFE0CC",
        "    **FM-98 Certificate Expired**",
        "    Severity: HIGH, probability VERY LOW",
        "    Detection: Expiry ~// monitor",
        "    Mitigation: Auto-renewal",
        "    Recovery (manual): Renew via SMS",
        "    MTTR: 30m-1h",
        "  end note",
        "end",
        "note across #E8F5E9",
        "  **SLA**",
        "  connection-latency-p99: 1000ms",
        "  availability: 99.95%",
        "end note",
      ].join("\n"),
    );
  });
});

describe("docs emitter: the generated diagram and README", () => {
  let model: Model;
  let diagram: string;
  let readme: string;
  let dir: string;

  beforeAll(async () => {
    const r = await generate(defaultOptions(REPO));
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    model = r.model!;
    diagram = r.files.find((f) => f.path === DIAGRAM_PATH)!.content;
    readme = r.files.find((f) => f.path === DOCS_README_PATH)!.content;
    dir = mkdtempSync(join(tmpdir(), "v2c-docs-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("starts with the generated header and declares every participant once, with its kind", () => {
    expect(diagram.split("\n")[0]).toBe(
      "' Code generated by v2c-gen from asyncapi.yaml, fmea/failure-modes.yaml. DO NOT EDIT.",
    );
    expect(model.participants.length).toBe(11);
    for (const p of model.participants) {
      const decl = diagram.split("\n").filter((l) => l.endsWith(` as ${pumlAlias(p.id)}`));
      expect(decl).toEqual([`${participantKeyword(p.kind)} "${p.name}" as ${pumlAlias(p.id)}`]);
    }
  });

  it("has one section per phase and one alt/else branch per failure mode, inside its phase, on its component", () => {
    const sections = diagram.split(/^== /m).slice(1);
    expect(sections.map((s) => s.slice(0, s.indexOf(" ==")))).toEqual(
      model.phases.map((p) => p.title),
    );
    expect(model.failureModes.length).toBe(23);
    for (const fm of model.failureModes) {
      const section = sections[model.phases.findIndex((p) => p.id === fm.phase)]!;
      const branch = new RegExp(
        `^(alt|else) ${fm.id} .*\\n  ${pumlAlias(fm.component)} -\\[#red\\]> ${pumlAlias(fm.component)} :`,
        "m",
      );
      expect(section, fm.id).toMatch(branch);
      expect(section).toContain(`**${fm.id} `);
      expect(section).toContain(`Recovery (${fm.recovery.mode}):`);
    }
    for (const p of model.phases) {
      for (const s of p.steps)
        expect(diagram).toContain(`${pumlAlias(s.from)} -> ${pumlAlias(s.to)} : `);
    }
  });

  it.skipIf(!PLANTUML)(
    "passes `plantuml -checkonly`, which fails on a broken copy (skipped only when plantuml is not installed)",
    () => {
      const good = join(dir, "telemetry-flow.puml");
      writeFileSync(good, diagram);
      const ok = spawnSync(PLANTUML!, ["-checkonly", good], { encoding: "utf8" });
      expect(ok.status, ok.stdout + ok.stderr).toBe(0);
      // The same diagram with a participant kind PlantUML does not know must be rejected, so the
      // check above can fail (PlantUML 1.2020 exits 200 on a syntax error).
      const bad = join(dir, "broken.puml");
      const broken = diagram.replace(/^queue "/m, 'robot "');
      expect(broken).not.toBe(diagram);
      writeFileSync(bad, broken);
      const ko = spawnSync(PLANTUML!, ["-checkonly", bad], { encoding: "utf8" });
      expect(ko.status).not.toBe(0);
    },
  );

  it("links the diagram on plantuml.com with an encoding that decodes to the generated file", () => {
    const m = /\(https:\/\/www\.plantuml\.com\/plantuml\/svg\/([A-Za-z0-9_-]+)\)/.exec(readme);
    expect(m).not.toBeNull();
    expect(plantumlEncoder.decode(m![1]!)).toBe(diagram);
  });

  it("tabulates every phase and every participant with its failure modes", () => {
    expect(readme.startsWith("<!-- Code generated by v2c-gen from")).toBe(true);
    for (const p of model.phases)
      expect(readme).toMatch(
        new RegExp(
          `^\\| \`${p.id}\` +\\| ${p.title.replace(/[()]/g, "\\$&")} +\\| ${p.steps.length} +\\|`,
          "m",
        ),
      );
    for (const p of model.participants) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${p.id}\` `));
      expect(row, p.id).toBeDefined();
      for (const fm of model.failureModes.filter((f) => f.component === p.id))
        expect(row).toContain(fm.id);
    }
  });
});

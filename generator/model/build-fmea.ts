import type { LoadedFmea } from "../load/fmea.js";
import type { RawAlarm, RawPolicy } from "../load/fmea-types.js";
import { fileLocation, type DiagnosticBag } from "../diagnostics.js";
import type { RawAsyncApi } from "../load/asyncapi-types.js";
import { SourceContext } from "./context.js";
import { formatDuration } from "./duration.js";
import type { ContractModel } from "./build-contract.js";
import { checkMetricNamespaces, checkMetricRoles, checkSignal } from "./fmea-vocabulary.js";
import { withV2cDefaults } from "./build-platform.js";
import type {
  AlarmModel,
  AlertModel,
  AudienceModel,
  FailureModeModel,
  MetricModel,
  PolicyModel,
  RunbookModel,
  SpecReferenceModel,
} from "./types.js";

/** The operations half of the model: everything from fmea/, linked to the contract. */
export interface FmeaModel {
  readonly metrics: MetricModel[];
  readonly audiences: AudienceModel[];
  readonly alerts: AlertModel[];
  readonly runbooks: RunbookModel[];
  readonly failureModes: FailureModeModel[];
}

/** Builds the FMEA model; an unknown metric, phase, participant, audience, runbook or reference is an error at its location. */
export function buildFmea(
  fmea: LoadedFmea,
  contract: ContractModel,
  asyncapiDoc: RawAsyncApi,
  bag: DiagnosticBag,
): FmeaModel {
  const participants = new Set(contract.participants.map((p) => p.id));
  const defaulted = withV2cDefaults(asyncapiDoc);
  const kindOf = new Map(contract.participants.map((p) => [p.id, p.kind]));
  const phases = new Set(contract.phases.map((p) => p.id));

  // Metrics
  const mctx = new SourceContext(fmea.metrics.source, bag);
  const metrics: MetricModel[] = [];
  const metricByName = new Map<string, MetricModel>();
  fmea.metrics.rows.forEach((m, i) => {
    if (metricByName.has(m.name))
      mctx.error(
        ["metrics", i, "name"],
        "fmea/duplicate-metric",
        `metric "${m.name}" is defined twice`,
      );
    if (!participants.has(m.source))
      mctx.error(
        ["metrics", i, "source"],
        "fmea/unknown-participant",
        `metric "${m.name}" names unknown source participant "${m.source}"`,
      );
    const model: MetricModel = {
      name: m.name,
      ...(m.seed !== undefined ? { seed: m.seed } : {}),
      description: m.description,
      kind: m.kind,
      unit: m.unit,
      source: m.source,
      ...(m.role ? { role: m.role as MetricModel["role"] } : {}),
      namespace: m.namespace ?? fmea.metrics.namespace ?? "",
      cloudwatchName: m["cloudwatch-name"] ?? m.name,
      dimensions: m.dimensions ?? [],
      ...(m.numerator ? { numerator: m.numerator } : {}),
      ...(m.denominator ? { denominator: m.denominator } : {}),
    };
    metrics.push(model);
    metricByName.set(m.name, model);
  });
  fmea.metrics.rows.forEach((m, i) => {
    for (const key of ["numerator", "denominator"] as const) {
      const ref = m[key];
      if (ref && !metricByName.has(ref))
        mctx.error(
          ["metrics", i, key],
          "fmea/unknown-metric",
          `ratio "${m.name}" names unknown ${key} metric "${ref}"`,
        );
    }
  });
  checkMetricRoles(fmea.metrics.rows, fmea.metrics.namespace, mctx);
  checkMetricNamespaces(fmea.metrics.rows, fmea.metrics.namespace, mctx);
  const seedNumbers = new Map<number, string>();
  fmea.metrics.rows.forEach((m, i) => {
    if (m.seed === undefined) return;
    const other = seedNumbers.get(m.seed);
    if (other)
      mctx.error(
        ["metrics", i, "seed"],
        "fmea/duplicate-seed-metric",
        `seed metric ${m.seed} is already "${other}"`,
      );
    seedNumbers.set(m.seed, m.name);
  });

  // Audiences, runbooks, alerts
  const actx = new SourceContext(fmea.alerts.source, bag);
  const audiences: AudienceModel[] = fmea.alerts.audiences.map((a, i) => ({
    id: a.id,
    description: a.description,
    ...(a["escalate-after"]
      ? { escalateAfterMs: actx.duration(a["escalate-after"], ["audiences", i, "escalate-after"]) }
      : {}),
  }));
  const audienceIds = new Set(audiences.map((a) => a.id));

  const rctx = new SourceContext(fmea.runbooks.source, bag);
  const runbookIds = new Set<string>();
  const runbooks: RunbookModel[] = fmea.runbooks.rows.map((r, i) => {
    if (runbookIds.has(r.id))
      rctx.error(
        ["runbooks", i, "id"],
        "fmea/duplicate-runbook",
        `runbook "${r.id}" is defined twice`,
      );
    runbookIds.add(r.id);
    return {
      id: r.id,
      kind: r.kind,
      title: r.title,
      when: r.when ?? [],
      ...(r.trigger ? { trigger: r.trigger } : {}),
      steps: r.steps,
      criteria: r.criteria ?? [],
      timeEstimateMs: {
        min: rctx.duration(r["time-estimate"].min, ["runbooks", i, "time-estimate", "min"]),
        max: rctx.duration(r["time-estimate"].max, ["runbooks", i, "time-estimate", "max"]),
      },
      ...(r.automation ? { automation: r.automation } : {}),
      ...(r.prevention ? { prevention: r.prevention } : {}),
    };
  });

  const alarm = (ctx: SourceContext, raw: RawAlarm, path: (string | number)[]): AlarmModel => {
    const metric = metricByName.get(raw.metric);
    if (!metric)
      ctx.error(
        [...path, "metric"],
        "fmea/unknown-metric",
        `unknown metric "${raw.metric}" (not in fmea/metrics.yaml)`,
      );
    if (raw["rate-of"] && !metricByName.has(raw["rate-of"]))
      ctx.error(
        [...path, "rate-of"],
        "fmea/unknown-metric",
        `unknown metric "${raw["rate-of"]}" (not in fmea/metrics.yaml)`,
      );
    for (const dim of Object.keys(raw.dimensions ?? {})) {
      if (metric && !metric.dimensions.includes(dim))
        ctx.error(
          [...path, "dimensions", dim],
          "fmea/unknown-dimension",
          `metric "${raw.metric}" has no dimension "${dim}" (it has: ${metric.dimensions.join(", ") || "none"})`,
        );
    }
    if (raw["datapoints-to-alarm"] > raw["evaluation-periods"])
      ctx.error(
        [...path, "datapoints-to-alarm"],
        "fmea/bad-alarm",
        `datapoints-to-alarm (${raw["datapoints-to-alarm"]}) exceeds evaluation-periods (${raw["evaluation-periods"]})`,
      );
    const periodMs = ctx.duration(raw.period, [...path, "period"]);
    if (periodMs % 60_000 !== 0 && ![10_000, 30_000].includes(periodMs))
      ctx.error(
        [...path, "period"],
        "fmea/bad-alarm",
        `CloudWatch alarm periods are 10s, 30s or a multiple of 60s, got ${raw.period}`,
      );
    return {
      metric: raw.metric,
      dimensions: raw.dimensions ?? {},
      ...(raw["rate-of"] ? { rateOf: raw["rate-of"] } : {}),
      statistic: raw.statistic,
      comparison: raw.comparison,
      threshold: raw.threshold,
      periodS: periodMs / 1000,
      evaluationPeriods: raw["evaluation-periods"],
      datapointsToAlarm: raw["datapoints-to-alarm"],
      treatMissingData: raw["treat-missing-data"] ?? "notBreaching",
    };
  };

  const alertIds = new Set<string>();
  const alerts: AlertModel[] = fmea.alerts.rows.map((a, i) => {
    const base = ["alerts", i];
    if (alertIds.has(a.id))
      actx.error([...base, "id"], "fmea/duplicate-alert", `alert "${a.id}" is defined twice`);
    alertIds.add(a.id);
    if (!audienceIds.has(a.notify))
      actx.error([...base, "notify"], "fmea/unknown-audience", `unknown audience "${a.notify}"`);
    if (!runbookIds.has(a.runbook))
      actx.error([...base, "runbook"], "fmea/unknown-runbook", `unknown runbook "${a.runbook}"`);
    return {
      id: a.id,
      name: a.name,
      severity: a.severity,
      slaViolation: a["sla-violation"] ?? false,
      alarm: alarm(actx, a.alarm, [...base, "alarm"]),
      notify: a.notify,
      action: a.action,
      ...(a.escalation ? { escalation: a.escalation } : {}),
      ...(a["root-cause"] ? { rootCause: a["root-cause"] } : {}),
      ...(a.expected ? { expected: a.expected } : {}),
      runbook: a.runbook,
    };
  });

  // Failure modes
  const fctx = new SourceContext(fmea.failureModes.source, bag);
  const rows = fmea.failureModes.rows;
  const seen = new Map<string, number>();
  rows.forEach((r, i) => {
    if (seen.has(r.id))
      fctx.error(
        ["failure-modes", i, "id"],
        "fmea/duplicate-id",
        `failure mode id "${r.id}" is already used by row ${seen.get(r.id)! + 1}`,
      );
    else seen.set(r.id, i);
  });
  const ownPolicies = new Map<string, PolicyModel>();
  rows.forEach((r, i) =>
    ownPolicies.set(
      r.id,
      policy(fctx, r.mitigation.policy, ["failure-modes", i, "mitigation", "policy"]),
    ),
  );

  const failureModes: FailureModeModel[] = rows.map((r, i) => {
    const base = ["failure-modes", i];
    if (!phases.has(r.phase))
      fctx.error(
        [...base, "phase"],
        "fmea/unknown-phase",
        `unknown phase "${r.phase}" (phases: ${[...phases].join(", ")})`,
      );
    if (!participants.has(r.component))
      fctx.error(
        [...base, "component"],
        "fmea/unknown-participant",
        `unknown component "${r.component}" (participants: ${[...participants].join(", ")})`,
      );
    const signal = checkSignal(r, kindOf.get(r.component), fctx, base);
    if (!audienceIds.has(r.notify))
      fctx.error([...base, "notify"], "fmea/unknown-audience", `unknown audience "${r.notify}"`);
    if (r.runbook && !runbookIds.has(r.runbook))
      fctx.error([...base, "runbook"], "fmea/unknown-runbook", `unknown runbook "${r.runbook}"`);
    const uses: SpecReferenceModel[] = (r.mitigation.uses ?? []).map((ref, j) => ({
      ref,
      value: resolveUse(ref, defaulted, ownPolicies, () =>
        fctx.error(
          [...base, "mitigation", "uses", j],
          "fmea/unknown-reference",
          `reference "${ref}" does not resolve`,
        ),
      ),
    }));
    const own = ownPolicies.get(r.id)!;
    const inherited = uses
      .filter((u) => u.ref.startsWith("fmea:"))
      .reduce<PolicyModel>((acc, u) => ({ ...(u.value as PolicyModel), ...acc }), {});
    const rate = r.probability.rate;
    const mttr =
      r.mttr === "immediate"
        ? { min: 0, max: 0 }
        : typeof r.mttr === "string"
          ? {
              min: fctx.duration(r.mttr, [...base, "mttr"]),
              max: fctx.duration(r.mttr, [...base, "mttr"]),
            }
          : {
              min: fctx.duration(r.mttr.min, [...base, "mttr", "min"]),
              max: fctx.duration(r.mttr.max, [...base, "mttr", "max"]),
            };
    return {
      id: r.id,
      location: fileLocation(fctx.source.file, fctx.source.locate([...base, "id"])),
      key: /^[A-Za-z_]/.test(r.id) ? r.id.replace(/[^A-Za-z0-9_]/g, "_") : `_${r.id}`,
      name: r.name,
      slug: r.name
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-|-$/g, ""),
      phase: r.phase,
      component: r.component,
      owner: r.owner,
      severity: r.severity,
      probability: {
        band: r.probability.band,
        ...(rate !== undefined
          ? { rate: (Array.isArray(rate) ? [rate[0], rate[1]] : [rate, rate]) as [number, number] }
          : {}),
        ...(r.probability.note ? { note: r.probability.note } : {}),
      },
      mtbfMs: fctx.duration(r.mtbf, [...base, "mtbf"]),
      mttrMs: mttr,
      mttrText:
        r.mttr === "immediate"
          ? "Immediate"
          : mttr.min === mttr.max
            ? formatDuration(mttr.min)
            : `${formatDuration(mttr.min)}-${formatDuration(mttr.max)}`,
      impact: r.impact,
      ...(r["cost-impact"] ? { costImpact: r["cost-impact"] } : {}),
      ...(r["business-impact"] ? { businessImpact: r["business-impact"] } : {}),
      ...(r["data-loss-risk"] ? { dataLossRisk: r["data-loss-risk"] } : {}),
      causes: r.causes ?? [],
      detection: {
        description: r.detection.description,
        signal,
        alarm: alarm(fctx, r.detection.alarm, [...base, "detection", "alarm"]),
      },
      mitigation: { description: r.mitigation.description, policy: { ...inherited, ...own }, uses },
      recovery: { ...r.recovery },
      notify: r.notify,
      ...(r.runbook ? { runbook: r.runbook } : {}),
      response: r.response,
    };
  });
  return { metrics, audiences, alerts, runbooks, failureModes };
}

/** Converts a row's raw policy into milliseconds and checks internal consistency. */
function policy(ctx: SourceContext, raw: RawPolicy, path: (string | number)[]): PolicyModel {
  const retry = raw.retry;
  if (retry && retry.delays.length !== retry.attempts) {
    ctx.error(
      [...path, "retry", "delays"],
      "fmea/bad-retry",
      `retry has ${retry.attempts} attempts but ${retry.delays.length} delays`,
    );
  }
  const cb = raw["circuit-breaker"];
  return {
    ...(retry
      ? {
          retry: {
            attempts: retry.attempts,
            delaysMs: retry.delays.map((d, i) => ctx.duration(d, [...path, "retry", "delays", i])),
            jitter: retry.jitter,
            dupFlag: retry["dup-flag"] ?? false,
          },
        }
      : {}),
    ...(cb
      ? {
          circuitBreaker: {
            openAfterFailures: cb["open-after-failures"],
            windowMs: ctx.duration(cb.window, [...path, "circuit-breaker", "window"]),
            halfOpenAfterMs: ctx.duration(cb["half-open-after"], [
              ...path,
              "circuit-breaker",
              "half-open-after",
            ]),
            halfOpenTraffic: cb["half-open-traffic"],
          },
        }
      : {}),
    ...(raw.dlq ? { dlqReason: raw.dlq.reason } : {}),
    ...(raw["puback-timeout"]
      ? { pubackTimeoutMs: ctx.duration(raw["puback-timeout"], [...path, "puback-timeout"]) }
      : {}),
    ...(raw["quota-wait"]
      ? {
          quotaWait: {
            durationMs: ctx.duration(raw["quota-wait"].duration, [
              ...path,
              "quota-wait",
              "duration",
            ]),
            jitter: raw["quota-wait"].jitter ?? "none",
          },
        }
      : {}),
    ...(raw["stop-retrying"] ? { stopRetrying: raw["stop-retrying"].event } : {}),
    ...(raw["certificate-expiry-warning"]
      ? {
          certificateExpiryWarningMs: ctx.duration(raw["certificate-expiry-warning"].before, [
            ...path,
            "certificate-expiry-warning",
            "before",
          ]),
        }
      : {}),
    ...(raw["size-check"] ? { sizeCheck: true } : {}),
    ...(raw.split ? { split: raw.split.strategy } : {}),
    ...(raw.dedup ? { dedupKey: raw.dedup.key } : {}),
    ...(raw.deadline
      ? {
          deadlineSafetyMarginMs: ctx.duration(raw.deadline["safety-margin"], [
            ...path,
            "deadline",
            "safety-margin",
          ]),
        }
      : {}),
    ...(raw.timeouts
      ? {
          timeouts: {
            connectMs: ctx.duration(raw.timeouts.connect, [...path, "timeouts", "connect"]),
            requestMs: ctx.duration(raw.timeouts.request, [...path, "timeouts", "request"]),
          },
        }
      : {}),
    ...(raw.failover ? { failover: raw.failover.to } : {}),
    ...(raw.checksum ? { checksum: raw.checksum.algorithm } : {}),
  };
}

const POLICY_KEYS: Record<string, keyof PolicyModel> = {
  retry: "retry",
  "circuit-breaker": "circuitBreaker",
  dlq: "dlqReason",
  "puback-timeout": "pubackTimeoutMs",
  "quota-wait": "quotaWait",
  timeouts: "timeouts",
};

/** Resolves `asyncapi:<dotted path>` into the document, or `fmea:<id>/<policy key>` into another row's policy. */
function resolveUse(
  ref: string,
  doc: RawAsyncApi,
  policies: Map<string, PolicyModel>,
  fail: () => void,
): unknown {
  if (ref.startsWith("asyncapi:")) {
    let node: unknown = doc;
    for (const seg of ref.slice("asyncapi:".length).split(".")) {
      if (node === null || typeof node !== "object" || !(seg in (node as object))) {
        fail();
        return undefined;
      }
      node = (node as Record<string, unknown>)[seg];
    }
    return node;
  }
  const m = /^fmea:([A-Za-z][A-Za-z0-9_-]*)\/([a-z-]+)$/.exec(ref);
  const key = m ? POLICY_KEYS[m[2]!] : undefined;
  const value = m && key ? policies.get(m[1]!)?.[key] : undefined;
  if (value === undefined) {
    fail();
    return undefined;
  }
  return { [key!]: value };
}

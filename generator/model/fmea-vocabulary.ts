import type { RawFailureMode, RawMetric } from "../load/fmea-types.js";
import type { SourceContext } from "./context.js";
import {
  METRIC_ROLES,
  SIGNALS,
  canonicalCode,
  isMetricRole,
  isSignal,
  known,
  signalAppliesTo,
  signalsOf,
  type SignalName,
} from "./vocabulary.js";

/**
 * Checks a row's `detection.signal` against the vocabulary and the kind of its component, and
 * returns the model's signal: the name and the platform code (the row's `code`, else the
 * signal's canonical code; a numeric code is written in hex when the canonical one is an MQTT
 * reason code, since YAML reads `0x97` as 151).
 */
export function checkSignal(
  row: RawFailureMode,
  componentKind: string | undefined,
  ctx: SourceContext,
  base: readonly (string | number)[],
): { name: SignalName; code: string } {
  const name = row.detection.signal;
  const at = [...base, "detection", "signal"];
  if (!isSignal(name)) {
    ctx.error(
      at,
      "fmea/unknown-signal",
      `unknown signal "${name}"; known signals: ${known(Object.keys(SIGNALS))}`,
    );
    return { name: name as SignalName, code: String(row.detection.code ?? name) };
  }
  if (componentKind !== undefined && !signalAppliesTo(name, componentKind)) {
    const fits = signalsOf(componentKind);
    ctx.error(
      at,
      "fmea/signal-not-applicable",
      `signal "${name}" does not apply to component "${row.component}" of kind ${componentKind} ` +
        `(it applies to: ${SIGNALS[name].kinds.join(", ")}); signals of kind ${componentKind}: ${fits.length ? known(fits) : "none"}`,
    );
  }
  const canonical = canonicalCode(name);
  const raw = row.detection.code;
  const code =
    raw === undefined
      ? canonical
      : typeof raw === "number" && canonical.startsWith("0x")
        ? `0x${raw.toString(16).padStart(2, "0")}`
        : String(raw);
  return { name, code };
}

/**
 * Checks the `role:` of every metric: a known role, at most one metric per role, exactly the
 * dimensions the runtime sets for it, and a namespace (the metric's own or the file's default).
 */
export function checkMetricRoles(
  rows: readonly RawMetric[],
  defaultNamespace: string | undefined,
  ctx: SourceContext,
): void {
  const taken = new Map<string, string>();
  rows.forEach((m, i) => {
    const base = ["metrics", i];
    if (m.namespace === undefined && defaultNamespace === undefined)
      ctx.error(
        [...base, "name"],
        "fmea/missing-namespace",
        `metric "${m.name}" has no namespace and the file has no top-level "namespace:" default`,
      );
    if (m.role === undefined) return;
    if (!isMetricRole(m.role)) {
      ctx.error(
        [...base, "role"],
        "fmea/unknown-metric-role",
        `unknown metric role "${m.role}"; known roles: ${known(Object.keys(METRIC_ROLES))}`,
      );
      return;
    }
    const other = taken.get(m.role);
    if (other)
      ctx.error(
        [...base, "role"],
        "fmea/duplicate-metric-role",
        `role "${m.role}" is already played by metric "${other}"`,
      );
    taken.set(m.role, m.name);
    const want: readonly string[] = METRIC_ROLES[m.role].dimensions;
    const dims = m.dimensions ?? [];
    if (dims.join(",") !== want.join(","))
      ctx.error(
        [...base, m.dimensions ? "dimensions" : "role"],
        "fmea/metric-role-dimensions",
        `metric "${m.name}" plays role "${m.role}", whose dimensions the runtime sets to [${want.join(", ")}], but it declares [${dims.join(", ")}]`,
      );
  });
}

/** A namespace of AWS's own metrics (`AWS/IoT`, `AWS/Lambda`, ...), not the pipeline's. */
export const isAwsNamespace = (namespace: string): boolean => namespace.startsWith("AWS/");

/**
 * The pipeline's own metrics (every namespace but AWS's) share one namespace: the handlers emit
 * them there (EMF) and the dashboard reads them from it. The first own metric sets it (the
 * file's default when a metric takes it); a metric in another own namespace is an error at its
 * `namespace`, and so is a file with no own metric at all.
 */
export function checkMetricNamespaces(
  rows: readonly RawMetric[],
  defaultNamespace: string | undefined,
  ctx: SourceContext,
): void {
  let own: { namespace: string; metric: string } | undefined;
  rows.forEach((m, i) => {
    const namespace = m.namespace ?? defaultNamespace;
    if (namespace === undefined || isAwsNamespace(namespace)) return;
    if (!own) {
      own = { namespace, metric: m.name };
      return;
    }
    if (namespace !== own.namespace)
      ctx.error(
        ["metrics", i, m.namespace !== undefined ? "namespace" : "name"],
        "fmea/metric-namespace",
        `metric "${m.name}" is in namespace "${namespace}", but the pipeline's own metrics share one namespace ("${own.namespace}", of metric "${own.metric}"); only AWS's metrics ("AWS/...") may be elsewhere`,
      );
  });
  if (!own && rows.length > 0)
    ctx.error(
      ["metrics"],
      "fmea/metric-namespace",
      `every metric is in an AWS namespace; the handlers' own metrics need one namespace of their own (a top-level "namespace:" and the metrics that use it)`,
    );
}

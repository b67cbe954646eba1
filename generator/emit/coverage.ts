import type { FailureModeModel, Model } from "../model/types.js";
import type { GeneratedFile, Trace } from "./types.js";

/**
 * The generated package whose tests must exercise a mode's mitigation (a mode owned by
 * operations is a manual procedure; its `it.todo` lives with the infrastructure).
 */
const OWNER_PACKAGE: Record<FailureModeModel["owner"], string> = {
  "ecu-client": "ecu-client/",
  handlers: "handlers/",
  infra: "infra/",
  operations: "infra/",
};

/** A trace with the generated file it was found in. */
export interface LocatedTrace extends Trace {
  readonly file: string;
}

/** What the generated output does about one failure mode. */
export interface FailureModeCoverage {
  readonly failureMode: FailureModeModel;
  readonly alarms: LocatedTrace[];
  readonly mitigations: LocatedTrace[];
  readonly tests: LocatedTrace[];
  /** What is missing: "detection", "alarm", "mitigation" or "test in generated/<owner package>". */
  readonly missing: string[];
}

/**
 * Joins the FMEA rows with the traces emitters attached to their files. A manual mode's
 * mitigation is its procedure (response steps, optionally a runbook), so it needs no code trace.
 */
export function computeCoverage(
  model: Model,
  files: readonly GeneratedFile[],
): FailureModeCoverage[] {
  const traces: LocatedTrace[] = files.flatMap((f) =>
    (f.traces ?? []).map((t) => ({ ...t, file: f.path })),
  );
  const sort = (a: LocatedTrace, b: LocatedTrace) =>
    a.file.localeCompare(b.file) || a.symbol.localeCompare(b.symbol);
  return model.failureModes.map((fm) => {
    const mine = traces.filter((t) => t.failureMode === fm.id);
    const alarms = mine.filter((t) => t.kind === "alarm").sort(sort);
    const mitigations = mine.filter((t) => t.kind === "mitigation").sort(sort);
    const tests = mine.filter((t) => t.kind === "test").sort(sort);
    const missing: string[] = [];
    if (!fm.detection.description || !fm.detection.alarm.metric) missing.push("detection");
    if (alarms.length === 0) missing.push("alarm");
    if (mitigations.length === 0 && !(fm.recovery.mode === "manual" && fm.response.length > 0))
      missing.push("mitigation");
    const own = tests.filter((t) => t.file.startsWith(OWNER_PACKAGE[fm.owner]));
    if (own.length === 0) missing.push(`test in generated/${OWNER_PACKAGE[fm.owner]}`);
    else if (own.every((t) => t.pending !== undefined))
      missing.push(
        `executable test in generated/${OWNER_PACKAGE[fm.owner]} (${own.find((t) => t.pending)!.pending})`,
      );
    return { failureMode: fm, alarms, mitigations, tests, missing };
  });
}

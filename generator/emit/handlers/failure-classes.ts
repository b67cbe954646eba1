import type { FailureModeModel, Model, PolicyModel } from "../../model/types.js";

/**
 * The join between FMEA rows and the runtime, by vocabulary only (never by id): a row binds to
 * a failure through its (component, signal) pair, and to a downstream through its component.
 */

/** Documented defaults when no FMEA row gives a downstream's figures (README "Vocabulary"). */
export const DEFAULT_RETRY = {
  attempts: 3,
  delaysMs: [100, 200, 400],
  jitter: "full",
  dupFlag: false,
} as const;
export const DEFAULT_BREAKER = {
  openAfterFailures: 5,
  windowMs: 60_000,
  halfOpenAfterMs: 30_000,
  halfOpenTraffic: 0.1,
} as const;
/** Deadline safety margin when no row has a `deadline` policy. */
export const DEFAULT_DEADLINE_MARGIN_MS = 1000;

/** Participant ids every handler writes or keeps dedup claims in, in participant order. */
export function downstreamIds(model: Model): string[] {
  const used = new Set<string>();
  for (const op of model.operations) {
    for (const id of op.handler?.writes ?? []) used.add(id);
    if (op.handler?.dedup) used.add(op.handler.dedup);
  }
  return model.participants.filter((p) => used.has(p.id)).map((p) => p.id);
}

/** Handlers-owned rows on `component` whose policy carries `key`, in FMEA order. */
export function rowsWith(
  model: Model,
  key: keyof PolicyModel,
  component?: string,
): FailureModeModel[] {
  return model.failureModes.filter(
    (f) =>
      f.owner === "handlers" &&
      f.mitigation.policy[key] !== undefined &&
      (component === undefined || f.component === component),
  );
}

/** One reason-table entry: the key the runtime looks up and the row that gives the code. */
export interface ReasonEntry {
  readonly key: string;
  readonly row: FailureModeModel;
}

/**
 * The DLQ reason table: each handlers-owned row with a `dlq` policy, keyed
 * `"<component>:<signal>"` when its component is a declared downstream, else `"<signal>"`.
 * The first row of a key wins (a second one is reported in the model stage).
 */
export function reasonEntries(model: Model): ReasonEntry[] {
  const downstreams = new Set(downstreamIds(model));
  const out = new Map<string, ReasonEntry>();
  for (const row of rowsWith(model, "dlqReason")) {
    const key = reasonKey(row, downstreams);
    if (!out.has(key)) out.set(key, { key, row });
  }
  return [...out.values()];
}

/** The reason-table key of a row. */
export function reasonKey(row: FailureModeModel, downstreams: ReadonlySet<string>): string {
  return downstreams.has(row.component)
    ? `${row.component}:${row.detection.signal.name}`
    : row.detection.signal.name;
}

import type { FailureModeModel, Model } from "../../model/types.js";

/** The spec reference (`uses`) that names the vehicle's local queue. */
export const LOCAL_QUEUE_REF = "asyncapi:x-v2c.client.local-queue";
/** The spec reference (`uses`) that names the tolerated clock skew. */
export const CLOCK_SKEW_REF = "asyncapi:x-v2c.timestamps.max-clock-skew";

/**
 * The FMEA rows the vehicle client builds its session from, found by the shape of their
 * mitigation policy (never by id), so a renumbered or reworded FMEA still generates.
 */
export interface ClientPolicyRows {
  /** Reconnect schedule: a client-owned connection-phase row with `retry`. */
  readonly reconnect?: FailureModeModel;
  /** PUBACK timeout and DUP resends: the row with `pubackTimeoutMs` and `retry`. */
  readonly publishRetry?: FailureModeModel;
  /** CONNACK 0x97 wait: the row with `quotaWait`. */
  readonly quota?: FailureModeModel;
  /** Certificate expiry warning: the row with `certificateExpiryWarningMs`. */
  readonly certificateWarning?: FailureModeModel;
  /** Size check before publish: the row with `sizeCheck`. */
  readonly sizeCheck?: FailureModeModel;
  /** Batch split: the row with `split`. */
  readonly split?: FailureModeModel;
  /** Batch checksum: the row with `checksum`. */
  readonly checksum?: FailureModeModel;
  /** Clock skew tolerance: the row that uses `x-v2c.timestamps.max-clock-skew`. */
  readonly clockSkew?: FailureModeModel;
}

/**
 * The figures the client uses when no FMEA row gives them (documented in README.md, "Vehicle
 * client"): the session still needs a reconnect schedule, a PUBACK bound and so on.
 */
export const CLIENT_DEFAULTS = {
  reconnect: { attempts: 5, delaysMs: [1000, 2000, 4000, 8000, 16000], jitter: "full" as const },
  publishRetry: { attempts: 3, delaysMs: [5000, 10000, 20000], jitter: "none" as const },
  pubackTimeoutMs: 10_000,
  quotaWindowMs: 1_000,
  certificateWarningMs: 30 * 24 * 3600 * 1000,
};

function find(
  model: Model,
  _what: string,
  test: (fm: FailureModeModel) => boolean,
): FailureModeModel | undefined {
  const rows = model.failureModes.filter(test);
  // Prefer the client's own row when several match (e.g. a handler row with the same shape).
  return rows.find((r) => r.owner === "ecu-client") ?? rows[0];
}

/** Finds the rows the client applies a policy of; an absent row means the documented default. */
export function clientPolicyRows(model: Model): ClientPolicyRows {
  const p = (fm: FailureModeModel) => fm.mitigation.policy;
  return {
    reconnect: find(
      model,
      "reconnect schedule",
      (fm) => fm.owner === "ecu-client" && fm.phase === "connection" && !!p(fm).retry,
    ),
    publishRetry: find(
      model,
      "PUBACK timeout",
      (fm) => p(fm).pubackTimeoutMs !== undefined && !!p(fm).retry,
    ),
    quota: find(model, "quota wait", (fm) => p(fm).quotaWait !== undefined),
    certificateWarning: find(
      model,
      "certificate expiry warning",
      (fm) => p(fm).certificateExpiryWarningMs !== undefined,
    ),
    sizeCheck: find(model, "size check", (fm) => p(fm).sizeCheck === true),
    split: find(model, "batch split", (fm) => p(fm).split !== undefined),
    checksum: find(model, "batch checksum", (fm) => p(fm).checksum !== undefined),
    clockSkew: find(model, "clock skew tolerance", (fm) =>
      fm.mitigation.uses.some((u) => u.ref === CLOCK_SKEW_REF),
    ),
  };
}

/** Rows the generated client tests: client-owned rows plus the rows it applies a policy of. */
export function clientTestedRows(model: Model): FailureModeModel[] {
  const rows = clientPolicyRows(model);
  const applied = new Set(
    Object.values(rows)
      .filter((r): r is FailureModeModel => r !== undefined)
      .map((r) => r.id),
  );
  return model.failureModes.filter((fm) => fm.owner === "ecu-client" || applied.has(fm.id));
}

/** `[2000, 4000]` -> `2000, 4000 ms`. */
export function msList(values: readonly number[]): string {
  return `${values.join(", ")} ms`;
}

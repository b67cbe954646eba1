import type { FailureModeModel, Model } from "../../model/types.js";

/** The spec reference (`uses`) that names the vehicle's local queue. */
export const LOCAL_QUEUE_REF = "asyncapi:x-v2c.client.local-queue";
/** The spec reference (`uses`) that names the tolerated clock skew. */
export const CLOCK_SKEW_REF = "asyncapi:x-v2c.timestamps.max-clock-skew";

/**
 * The FMEA rows the vehicle client builds its session from, bound by the row's vocabulary signal
 * and the policy key it declares (never by id, phase or component name), so a renumbered,
 * rephased or reworded FMEA still generates.
 */
export interface ClientPolicyRows {
  /** Reconnect schedule: `connect-timeout` with `retry`. */
  readonly reconnect?: FailureModeModel;
  /** PUBACK timeout and DUP resends: `ack-timeout` with `puback-timeout` and/or `retry`. */
  readonly publishRetry?: FailureModeModel;
  /** CONNACK 0x97 wait: `quota-exceeded` with `quota-wait`. */
  readonly quota?: FailureModeModel;
  /** Certificate expiry warning: `certificate-expired` with `certificate-expiry-warning`. */
  readonly certificateWarning?: FailureModeModel;
  /** Size check before publish: `too-large` with `size-check`. */
  readonly sizeCheck?: FailureModeModel;
  /** Batch split: `too-large` with `split`. */
  readonly split?: FailureModeModel;
  /** Batch checksum: `checksum-mismatch` with `checksum`. */
  readonly checksum?: FailureModeModel;
  /** Clock skew tolerance: `clock-skew` that uses `x-v2c.timestamps.max-clock-skew`. */
  readonly clockSkew?: FailureModeModel;
  /** Server failover (`x-failover-to`) after a full reconnect schedule: `region-unavailable` with `failover`. */
  readonly failover?: FailureModeModel;
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

type Policy = FailureModeModel["mitigation"]["policy"];

/** The row with `signal` whose policy passes `test`; the client's own row first when several do. */
function bySignal(
  model: Model,
  signal: string,
  test: (policy: Policy, fm: FailureModeModel) => boolean,
): FailureModeModel | undefined {
  const rows = model.failureModes.filter(
    (fm) => fm.detection.signal.name === signal && test(fm.mitigation.policy, fm),
  );
  return rows.find((r) => r.owner === "ecu-client") ?? rows[0];
}

/** Finds the rows the client applies a policy of; an absent row means the documented default. */
export function clientPolicyRows(model: Model): ClientPolicyRows {
  return {
    reconnect: bySignal(model, "connect-timeout", (p) => !!p.retry),
    publishRetry: bySignal(
      model,
      "ack-timeout",
      (p) => p.pubackTimeoutMs !== undefined || !!p.retry,
    ),
    quota: bySignal(model, "quota-exceeded", (p) => p.quotaWait !== undefined),
    certificateWarning: bySignal(
      model,
      "certificate-expired",
      (p) => p.certificateExpiryWarningMs !== undefined,
    ),
    sizeCheck: bySignal(model, "too-large", (p) => p.sizeCheck === true),
    split: bySignal(model, "too-large", (p) => p.split !== undefined),
    checksum: bySignal(model, "checksum-mismatch", (p) => p.checksum !== undefined),
    clockSkew: bySignal(model, "clock-skew", (_p, fm) =>
      fm.mitigation.uses.some((u) => u.ref === CLOCK_SKEW_REF),
    ),
    failover: bySignal(model, "region-unavailable", (p) => p.failover !== undefined),
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

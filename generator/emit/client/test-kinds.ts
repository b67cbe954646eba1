import type { FailureModeModel } from "../../model/types.js";
import type { ClientPolicyRows } from "./policies.js";

/** Which generated test exercises a failure mode's mitigation (one template per kind). */
export type ClientTestKind =
  | "credential"
  | "reconnect"
  | "quota"
  | "size"
  | "unauthorized"
  | "puback"
  | "split"
  | "checksum"
  | "clock-skew"
  | "failover";

/** The test for one row, or the reason it cannot run here (printed as `it.todo`). */
export type ClientTestPlan =
  | { readonly kind: ClientTestKind; readonly credential?: "expired" | "revoked" }
  | { readonly kind: "todo"; readonly reason: string };

/** Credential signals (vocabulary names) that the test PKI can produce. */
const CREDENTIAL_SIGNALS: Readonly<Record<string, "expired" | "revoked">> = {
  "certificate-expired": "expired",
  "certificate-revoked": "revoked",
};

/** Picks the test of a row from the shape of its mitigation policy and detection signal. */
export function clientTestPlan(fm: FailureModeModel, rows: ClientPolicyRows): ClientTestPlan {
  const policy = fm.mitigation.policy;
  if (policy.stopRetrying === "credential") {
    const credential = CREDENTIAL_SIGNALS[fm.detection.signal.name];
    return credential
      ? { kind: "credential", credential }
      : {
          kind: "todo",
          reason: `the test PKI cannot produce the signal ${fm.detection.signal.name}`,
        };
  }
  if (policy.stopRetrying === "security") return { kind: "unauthorized" };
  if (fm.id === rows.publishRetry?.id) return { kind: "puback" };
  if (fm.id === rows.reconnect?.id) return { kind: "reconnect" };
  if (fm.id === rows.quota?.id) return { kind: "quota" };
  if (fm.id === rows.sizeCheck?.id) return { kind: "size" };
  if (fm.id === rows.split?.id) return { kind: "split" };
  if (fm.id === rows.checksum?.id) return { kind: "checksum" };
  if (fm.id === rows.clockSkew?.id) return { kind: "clock-skew" };
  if (fm.id === rows.failover?.id) return { kind: "failover" };
  return {
    kind: "todo",
    reason: `no client-side mitigation to exercise for ${fm.id} (${fm.mitigation.description})`,
  };
}

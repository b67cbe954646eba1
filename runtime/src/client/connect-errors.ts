import { CredentialError, ReasonCode, type CredentialProblemKind } from "./errors.js";

/** What the reconnect loop does with a failed connection attempt. */
export type ConnectFailure =
  | {
      readonly action: "stop";
      readonly error: CredentialError;
      readonly reasonCode: number | undefined;
    }
  | { readonly action: "quota-wait"; readonly reasonCode: number }
  | { readonly action: "retry"; readonly reasonCode: number | undefined };

/** CONNACK reason codes that mean "these credentials will not work": retrying cannot help. */
const CREDENTIAL_REASON_CODES: ReadonlyMap<number, CredentialProblemKind> = new Map([
  [ReasonCode.BadUserNameOrPassword, "bad-credentials"],
  [ReasonCode.NotAuthorized, "not-authorized"],
  [ReasonCode.Banned, "banned"],
  [ReasonCode.BadAuthenticationMethod, "bad-auth-method"],
]);

/**
 * OpenSSL/Node TLS error codes, seen either locally (the server's certificate failed our
 * checks) or as an alert the broker sent after rejecting the vehicle's certificate.
 */
const TLS_CODES: ReadonlyMap<string, CredentialProblemKind> = new Map([
  ["CERT_HAS_EXPIRED", "expired"],
  ["ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED", "expired"],
  ["CERT_REVOKED", "revoked"],
  ["ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED", "revoked"],
  ["ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED", "bad-certificate"],
  ["ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", "bad-certificate"],
  ["ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE", "bad-certificate"],
  ["ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN", "bad-certificate"],
  ["ERR_SSL_TLSV1_ALERT_UNKNOWN_CA", "bad-certificate"],
  ["ERR_SSL_TLSV1_ALERT_ACCESS_DENIED", "bad-certificate"],
  ["ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR", "bad-certificate"],
  ["CERT_NOT_YET_VALID", "bad-certificate"],
  ["UNABLE_TO_VERIFY_LEAF_SIGNATURE", "bad-certificate"],
  ["UNABLE_TO_GET_ISSUER_CERT_LOCALLY", "bad-certificate"],
  ["DEPTH_ZERO_SELF_SIGNED_CERT", "bad-certificate"],
  ["SELF_SIGNED_CERT_IN_CHAIN", "bad-certificate"],
  ["ERR_TLS_CERT_ALTNAME_INVALID", "bad-certificate"],
]);

/** Decides whether a connection error stops the loop, waits a quota window, or retries. */
export function classifyConnectError(err: unknown): ConnectFailure {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === "number") {
    const kind = CREDENTIAL_REASON_CODES.get(code);
    if (kind)
      return {
        action: "stop",
        error: new CredentialError(kind, code, undefined, { cause: err }),
        reasonCode: code,
      };
    if (code === ReasonCode.QuotaExceeded) return { action: "quota-wait", reasonCode: code };
    return { action: "retry", reasonCode: code };
  }
  if (typeof code === "string") {
    const kind = TLS_CODES.get(code);
    if (kind)
      return {
        action: "stop",
        error: new CredentialError(kind, undefined, code, { cause: err }),
        reasonCode: undefined,
      };
  }
  return { action: "retry", reasonCode: undefined };
}

/** A label for metrics: the reason code in hex, the TLS/socket code, or "unknown". */
export function failureLabel(err: unknown, reasonCode: number | undefined): string {
  if (reasonCode !== undefined) return `0x${reasonCode.toString(16).padStart(2, "0")}`;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : ((err as Error | undefined)?.name ?? "unknown");
}

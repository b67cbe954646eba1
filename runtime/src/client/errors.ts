/**
 * Typed errors of the vehicle-side MQTT runtime. Each carries the MQTT 5 reason code where one
 * exists so callers and metrics can branch on numbers, not on message text.
 */

/** MQTT 5 reason codes this runtime reacts to. */
export const ReasonCode = {
  Success: 0x00,
  NoMatchingSubscribers: 0x10,
  UnspecifiedError: 0x80,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  BadAuthenticationMethod: 0x8c,
  PacketTooLarge: 0x95,
  QuotaExceeded: 0x97,
  ConnectionRateExceeded: 0x9f,
} as const;

/** Base class: every error of this runtime has a stable `code`. */
export class V2cClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The PUBLISH packet is larger than the smaller of the spec limit and the broker's limit. */
export class PacketTooLargeError extends V2cClientError {
  constructor(
    /** Size of the whole MQTT PUBLISH packet in bytes (0 when only the broker knows it). */
    readonly size: number,
    /** The limit that applied (0 when the broker refused without telling its limit). */
    readonly limit: number,
    /** `client`: refused before sending; `broker`: the broker answered 0x95. */
    readonly detectedBy: "client" | "broker",
    readonly topic: string,
  ) {
    super(
      "PACKET_TOO_LARGE",
      detectedBy === "client"
        ? `PUBLISH of ${size} bytes exceeds the limit of ${limit} bytes (topic ${topic})`
        : `broker refused PUBLISH on ${topic} with 0x95 (packet too large)`,
    );
  }
  readonly reasonCode = ReasonCode.PacketTooLarge;
}

/** The broker refused a PUBLISH or SUBSCRIBE with 0x87: a security event, never retried. */
export class NotAuthorizedError extends V2cClientError {
  readonly reasonCode = ReasonCode.NotAuthorized;
  constructor(
    readonly topic: string,
    readonly operation: "publish" | "subscribe",
  ) {
    super("NOT_AUTHORIZED", `broker refused ${operation} on ${topic} with 0x87 (not authorized)`);
  }
}

/** The broker answered 0x97 (quota exceeded) on CONNACK or PUBACK. */
export class QuotaExceededError extends V2cClientError {
  readonly reasonCode = ReasonCode.QuotaExceeded;
  constructor(readonly where: "connack" | "puback") {
    super("QUOTA_EXCEEDED", `broker answered 0x97 (quota exceeded) on ${where}`);
  }
}

/** Why the vehicle's credentials were refused. */
export type CredentialProblemKind =
  | "expired"
  | "revoked"
  | "bad-certificate"
  | "bad-credentials"
  | "not-authorized"
  | "bad-auth-method"
  | "banned";

/**
 * The broker or the TLS layer refused the vehicle's identity. Retrying cannot help: the
 * session stops its reconnect loop and emits `credentialProblem` (renewal is out of band).
 */
export class CredentialError extends V2cClientError {
  constructor(
    readonly kind: CredentialProblemKind,
    /** CONNACK reason code, when the refusal came from MQTT rather than TLS. */
    readonly reasonCode: number | undefined,
    /** TLS/OpenSSL error code, when the refusal came from the handshake. */
    readonly tlsCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      "CREDENTIAL_PROBLEM",
      `credentials refused (${kind}${reasonCode !== undefined ? `, reason 0x${reasonCode.toString(16)}` : ""}${tlsCode ? `, ${tlsCode}` : ""})`,
      options,
    );
  }
}

/** No PUBACK arrived within the timeout, after every DUP resend of the retry policy. */
export class PubackTimeoutError extends V2cClientError {
  constructor(
    readonly messageId: string,
    readonly attempts: number,
    readonly timeoutMs: number,
  ) {
    super(
      "PUBACK_TIMEOUT",
      `no PUBACK for ${messageId} after ${attempts} attempts of ${timeoutMs} ms`,
    );
  }
}

/** A network wait (connect, subscribe, end) took longer than its timeout. */
export class NetworkTimeoutError extends V2cClientError {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super("NETWORK_TIMEOUT", `${operation} timed out after ${timeoutMs} ms`);
  }
}

/** The broker refused a PUBLISH with a reason code this runtime has no special path for. */
export class PublishRejectedError extends V2cClientError {
  constructor(
    readonly topic: string,
    readonly reasonCode: number,
  ) {
    super(
      "PUBLISH_REJECTED",
      `broker refused PUBLISH on ${topic} with 0x${reasonCode.toString(16)}`,
    );
  }
}

/** A CONNACK refusal or connection error that the reconnect loop will retry. */
export class ConnectionRefusedError extends V2cClientError {
  constructor(
    readonly reasonCode: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super("CONNECTION_REFUSED", message, options);
  }
}

/** The batch failed its checksum round trip before sending (payload corruption, ). */
export class PayloadCorruptionError extends V2cClientError {
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      "PAYLOAD_CORRUPTION",
      `batch checksum mismatch: expected ${expected.toString(16)}, got ${actual.toString(16)}`,
    );
  }
}

/** The session was closed (or stopped after a credential problem) while an operation waited. */
export class SessionClosedError extends V2cClientError {
  constructor(message = "session closed") {
    super("SESSION_CLOSED", message);
  }
}

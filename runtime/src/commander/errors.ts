/** Errors of the cloud-side command publisher. */

/** No correlated reply arrived within `timeoutMs` (the vehicle is offline, slow, or did not answer). */
export class RequestTimeoutError extends Error {
  constructor(
    readonly operation: string,
    readonly topic: string,
    readonly correlationId: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${operation}: no reply correlated to ${correlationId} within ${timeoutMs} ms (request on ${topic})`,
    );
    this.name = "RequestTimeoutError";
  }
}

/** The message breaks its spec constraints; nothing was published. */
export class CommandValidationError extends Error {
  constructor(
    readonly messageType: string,
    readonly violations: readonly { readonly field: string; readonly rule: string }[],
  ) {
    super(
      `${messageType} is invalid: ${violations.map((v) => `${v.field} (${v.rule})`).join(", ")}`,
    );
    this.name = "CommandValidationError";
  }
}

/** A request whose message has no correlation id cannot be matched with its reply. */
export class MissingCorrelationError extends Error {
  constructor(readonly operation: string) {
    super(`${operation}: the request has no correlation id to match its reply with`);
    this.name = "MissingCorrelationError";
  }
}

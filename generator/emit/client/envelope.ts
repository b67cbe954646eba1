import type { EnvelopeModel, MessageModel } from "../../model/types.js";

/**
 * The envelope of a payload message as the client templates print it: ts-proto property names
 * of the fields each declared role (`(v2c.options.v1.envelope)`) names, `null` when absent
 * (templates are strict: every key must exist).
 */
export interface EnvelopeView {
  readonly id: string | null;
  readonly correlation: string | null;
  readonly vehicle: string | null;
  readonly timestamp: string | null;
  readonly expires: string | null;
  readonly schemaVersion: string | null;
  readonly records: string | null;
  readonly checksum: string | null;
  /** Fields the caller never supplies (the client owns them), as a `"a" | "b"` union; `never` when none. */
  readonly keys: string;
}

/** The client view of `message`'s declared envelope. `ownCorrelation`: a reply (the id comes from the request). */
export function envelopeView(message: MessageModel, ownCorrelation = false): EnvelopeView {
  const e: EnvelopeModel = message.envelope;
  const owned = [
    e.vehicleId?.path,
    e.schemaVersion?.path,
    ownCorrelation ? e.correlationId?.path : undefined,
  ].filter((x): x is string => x !== undefined && x !== e.messageId?.path);
  return {
    id: e.messageId?.path ?? null,
    correlation: e.correlationId?.path ?? null,
    vehicle: e.vehicleId?.path ?? null,
    timestamp: e.eventTime?.path ?? null,
    expires: e.expiresAt?.path ?? null,
    schemaVersion: e.schemaVersion?.path ?? null,
    records: e.records?.path ?? null,
    checksum: e.checksum?.path ?? null,
    keys: owned.length ? [...new Set(owned)].map((k) => JSON.stringify(k)).join(" | ") : "never",
  };
}

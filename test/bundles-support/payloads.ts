import { compress } from "@mongodb-js/zstd";

/** A handled operation and spec-shaped payloads for it (from the generated handlers' harness). */
export interface OperationPayloads {
  readonly operation: string;
  readonly kind: "record" | "batch";
  /** A topic of the operation's channel and the vehicle id in it. */
  readonly topic: string;
  readonly vehicleId: string;
  /** A valid encoded record taken at `timestampMs`. */
  record(timestampMs: number): { readonly messageId: string; readonly bytes: Uint8Array };
  /** Batch: the payload as the vehicle publishes it (compressed when the spec says so). */
  batchPayload?(records: readonly Uint8Array[], createdAtMs: number): Promise<Uint8Array>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- two harness shapes, read duck-typed
type AnyHarness = Record<string, any>;

/**
 * The operations of the generated harness (`generated/handlers/test/fmea/harness.ts`): its
 * `operations` list, or the older record/batch pair while both shapes exist.
 */
export function operationsOf(harness: AnyHarness): OperationPayloads[] {
  if (Array.isArray(harness.operations)) {
    return (harness.operations as AnyHarness[]).map((op) => ({
      operation: op.operation,
      kind: op.kind,
      topic: op.topic,
      vehicleId: op.vehicleId,
      record: (t: number) => op.record(t),
      ...(op.kind === "batch"
        ? {
            batchPayload: async (records: readonly Uint8Array[], createdAtMs: number) => {
              const raw: Uint8Array = op.batch(records, createdAtMs);
              return op.zstd === false ? raw : Uint8Array.from(await compress(Buffer.from(raw), 3));
            },
          }
        : {}),
    }));
  }
  const p = harness.payloads as AnyHarness;
  return [
    {
      operation: "record",
      kind: "record",
      topic: p.recordTopic,
      vehicleId: p.vehicleId,
      record: (t: number) => p.record(t),
    },
    {
      operation: "batch",
      kind: "batch",
      topic: p.batchTopic,
      vehicleId: p.vehicleId,
      record: (t: number) => p.record(t),
      batchPayload: async (records: readonly Uint8Array[], createdAtMs: number) =>
        Uint8Array.from(await compress(Buffer.from(p.batch(records, createdAtMs)), 3)),
    },
  ];
}

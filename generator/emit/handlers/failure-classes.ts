import type { FailureModeModel, Model } from "../../model/types.js";

/**
 * Which FMEA row gives the DLQ reason of each runtime failure class
 * (`runtime/src/handlers/failure.ts`). The ids are the join; the codes come from the rows.
 * Classes without a row (plain validation reasons) are the runtime's VALIDATION_REASONS.
 */
export const FAILURE_CLASS_ROWS: readonly {
  readonly failureClass: string;
  readonly failureMode: string;
}[] = [
  { failureClass: "protobuf-parse", failureMode: "FM-07" },
  { failureClass: "dynamodb-throttled", failureMode: "FM-08" },
  { failureClass: "pool-exhausted", failureMode: "FM-09" },
  { failureClass: "decompression", failureMode: "FM-11" },
  { failureClass: "unprocessed-items", failureMode: "FM-12" },
  { failureClass: "deadline", failureMode: "FM-14" },
  { failureClass: "timestream-rejected", failureMode: "FM-15" },
  { failureClass: "decompressed-too-large", failureMode: "FM-17" },
  { failureClass: "dynamodb-unavailable", failureMode: "FM-18" },
  { failureClass: "timestream-unavailable", failureMode: "FM-19" },
  { failureClass: "clock-skew", failureMode: "FM-21" },
  { failureClass: "checksum-mismatch", failureMode: "FM-22" },
];

/** The FMEA row `id`, which must exist and be owned by the handlers. */
export function handlerRow(model: Model, id: string): FailureModeModel {
  const row = model.failureModes.find((f) => f.id === id);
  if (!row) throw new Error(`handlers emitter: FMEA row ${id} is missing`);
  if (row.owner !== "handlers")
    throw new Error(`handlers emitter: ${id} is owned by ${row.owner}, not handlers`);
  return row;
}

/** The FMEA row whose mitigation policy carries `key` (first by id); throws when none does. */
export function rowWithPolicy(
  model: Model,
  key: keyof FailureModeModel["mitigation"]["policy"],
): FailureModeModel {
  const row = model.failureModes.find(
    (f) => f.owner === "handlers" && f.mitigation.policy[key] !== undefined,
  );
  if (!row) throw new Error(`handlers emitter: no handlers FMEA row has a ${String(key)} policy`);
  return row;
}

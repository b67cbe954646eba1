/**
 * The contract between the generated infrastructure and the deployed functions: which
 * environment variable carries which resource of which participant. The infra sets them from
 * the spec's participants (by component kind); the AWS adapters read them. Participant ids come
 * from the spec; nothing here names one.
 */

/** The resource of a participant a variable names. */
export type DeployResource =
  /** key-value-store: the table holding the records a handler writes. */
  | "records-table"
  /** key-value-store: the table holding dedup claims (TTL attribute `DEDUP_TTL_ATTRIBUTE`). */
  | "dedup-table"
  /** object-store: the bucket (dead letters under their own keys). */
  | "bucket"
  /** time-series-store: the Timestream database and table (unset when the sink is disabled). */
  | "database"
  | "table";

/** `dlq` + `bucket` -> `V2C_DLQ_BUCKET`; any participant id, any resource. */
export function deployEnvName(participantId: string, resource: DeployResource): string {
  const part = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]+/g, "_");
  return `V2C_${part(participantId)}_${part(resource)}`;
}

/** Partition key attribute of a records table (string: the message's dedup id). */
export const RECORDS_PARTITION_KEY = "pk";

/** Partition key attribute of a dedup table (string). */
export const DEDUP_PARTITION_KEY = "pk";

/**
 * JSON map `{ "<function name>": "<queue url>" }` set on the replay function: the on-failure
 * queues of the asynchronously invoked functions (Lambda destination records whose
 * `requestPayload` is the original event), which it may drain and replay.
 */
export const ON_FAILURE_QUEUES_ENV = "V2C_ON_FAILURE_QUEUES";

/** TTL attribute of a dedup table (the dedup store's; re-exported for the infrastructure). */
export { DEDUP_TTL_ATTRIBUTE } from "./cloud/dynamodb-dedup-store.js";

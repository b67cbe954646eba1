import type { FailureModeModel } from "../../model/types.js";

// Which send operation a client row's test publishes on (single-message sends and batches alike).

/** Test kinds whose signal is a PUBACK reason (or its absence): they need a QoS >= 1 send. */
export const ACKED_KINDS: ReadonlySet<string> = new Set(["puback", "unauthorized"]);
/** Test kinds that check a message waits in the local queue while offline. */
export const QUEUED_KINDS: ReadonlySet<string> = new Set(["credential", "reconnect", "failover"]);

/** What choosing a send operation for a test looks at (single-message sends and batches alike). */
interface Delivered {
  readonly id: string;
  readonly qos: number;
  readonly offline: string;
}

/** The send the row's alarm `operation` dimension names among `accepted`, else the first one. */
function sendFor<S extends Delivered>(
  fm: FailureModeModel,
  sends: readonly S[],
  accept: (s: S) => boolean,
): S | undefined {
  const accepted = sends.filter(accept);
  const named = fm.detection.alarm.dimensions.operation;
  return accepted.find((s) => s.id === named) ?? accepted[0];
}

/**
 * The send operation a PUBACK test publishes on: the QoS >= 1 one the row's alarm `operation`
 * dimension names, else the first QoS >= 1 one; none when every send is QoS 0 (no PUBACK).
 */
export function ackedSend<S extends Delivered>(
  fm: FailureModeModel,
  sends: readonly S[],
): S | undefined {
  return sendFor(fm, sends, (s) => s.qos >= 1);
}

/** The send an offline-queue check publishes on: one the vehicle queues while offline. */
export function queuedSend<S extends Delivered>(
  fm: FailureModeModel,
  sends: readonly S[],
): S | undefined {
  return sendFor(fm, sends, (s) => s.offline === "queue");
}

/** The send a row's test publishes on (`undefined`: none fits), or the first send for the rest. */
export function sendOf<S extends Delivered>(
  kind: string,
  fm: FailureModeModel,
  sends: readonly S[],
): S | undefined {
  if (ACKED_KINDS.has(kind)) return ackedSend(fm, sends);
  // The size test's broker refusal (DISCONNECT after the PUBLISH) needs a send that waits for it.
  if (kind === "size") return ackedSend(fm, sends) ?? sends[0];
  if (QUEUED_KINDS.has(kind)) return queuedSend(fm, sends);
  return sends[0];
}

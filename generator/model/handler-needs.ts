import type { DiagnosticBag } from "../diagnostics.js";
import type { LoadedAsyncApi } from "../load/asyncapi.js";
import type { LoadedFmea } from "../load/fmea.js";
import type { Model } from "./types.js";

const STORES = new Set(["key-value-store", "time-series-store"]);

/**
 * What the handlers emitter needs, checked in the model stage so that an emitter never throws
 * on user input: each handled message's envelope roles (vehicle parameter, event time, vehicle
 * id; the record message of a batch too), a dedup window where claims are kept; and, as
 * warnings, the figures that fall back to documented defaults or that two rows disagree on.
 */
export function checkHandlerNeeds(
  model: Model,
  asyncapi: LoadedAsyncApi,
  fmea: LoadedFmea,
  bag: DiagnosticBag,
): void {
  const a = asyncapi.source;
  const f = fmea.failureModes.source;
  const at = (path: (string | number)[]) => a.locate(path);
  const rowAt = (id: string, ...path: string[]) =>
    f.locate(["failure-modes", model.failureModes.findIndex((r) => r.id === id), ...path]);
  const written = new Set<string>();
  for (const op of model.operations) {
    const h = op.handler;
    if (!h) continue;
    const base = ["operations", op.id, "x-handler"];
    h.writes.forEach((id) => written.add(id));
    if (h.dedup) written.add(h.dedup);
    const message = model.messages.find((m) => m.id === op.messageId);
    if (!message) continue;
    const record = op.batch
      ? model.messages.find((m) => m.id === message.envelope.recordMessage?.messageId)
      : message;
    if (!message.envelope.vehicleParameter)
      bag.error(
        a.file,
        at(base),
        "handlers/vehicle-parameter",
        `handler "${h.name}": message ${message.protoName} names no vehicle parameter (envelope vehicle_parameter, or a server clientId "{param}") — the handler checks the topic's vehicle id`,
      );
    if (record) {
      for (const [role, proto] of [
        ["messageId", "message_id"],
        ["vehicleId", "vehicle_id"],
        ["eventTime", "event_time"],
      ] as const) {
        if (!record.envelope[role])
          bag.error(
            a.file,
            at(base),
            "handlers/envelope-role",
            `handler "${h.name}": record message ${record.protoName} needs envelope role ${proto} (dedup key, vehicle check and freshness of each record)`,
          );
      }
    }
    if (op.batch && !message.envelope.vehicleId)
      bag.error(
        a.file,
        at(base),
        "handlers/envelope-role",
        `handler "${h.name}": batch message ${message.protoName} needs envelope role vehicle_id`,
      );
    if (h.dedup && op.dedupWindowMs === undefined)
      bag.error(
        a.file,
        at([...base, "dedup"]),
        "handlers/dedup-window",
        `handler "${h.name}" keeps dedup claims in "${h.dedup}" but operation "${op.id}" has no x-dedup-window`,
      );
  }
  const handlerRows = model.failureModes.filter((r) => r.owner === "handlers");
  // Downstream figures: the first row on a component wins; a breaker falls back to the default.
  for (const id of written) {
    const on = handlerRows.filter((r) => r.component === id);
    const breakers = on.filter((r) => r.mitigation.policy.circuitBreaker);
    if (breakers.length === 0) {
      const op = model.operations.find((o) => o.handler?.writes.includes(id));
      bag.warning(
        a.file,
        at(op ? ["operations", op.id, "x-handler", "writes"] : ["x-v2c", "participants"]),
        "handlers/default-breaker",
        `no handlers-owned FMEA row on "${id}" has a circuit-breaker policy: its breaker uses the documented default`,
      );
    }
    for (const key of ["retry", "circuitBreaker", "timeouts"] as const) {
      const withKey = on.filter((r) => r.mitigation.policy[key] !== undefined);
      const first = withKey[0];
      for (const other of withKey.slice(1)) {
        if (
          JSON.stringify(other.mitigation.policy[key]) !==
          JSON.stringify(first!.mitigation.policy[key])
        )
          bag.warning(
            f.file,
            rowAt(other.id, "mitigation", "policy"),
            "handlers/conflicting-figures",
            `${other.id} gives "${id}" another ${key} than ${first!.id}; the generated downstream uses ${first!.id}'s`,
          );
      }
    }
  }
  const seen = new Map<string, string>();
  for (const r of handlerRows) {
    const store = STORES.has(model.participants.find((p) => p.id === r.component)?.kind ?? "");
    if (store && !written.has(r.component))
      bag.warning(
        f.file,
        rowAt(r.id, "component"),
        "handlers/unused-row",
        `${r.id}: no x-handler writes "${r.component}", so no generated handler applies this row`,
      );
    if (r.mitigation.policy.dlqReason === undefined) continue;
    const key = written.has(r.component)
      ? `${r.component}:${r.detection.signal.name}`
      : r.detection.signal.name;
    const other = seen.get(key);
    if (other)
      bag.warning(
        f.file,
        rowAt(r.id, "detection", "signal"),
        "handlers/duplicate-reason",
        `${r.id} and ${other} both give the DLQ reason of ${key}; the generated handlers use ${other}'s`,
      );
    else seen.set(key, r.id);
  }
}

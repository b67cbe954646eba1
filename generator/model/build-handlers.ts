import type { RawAsyncApi } from "../load/asyncapi-types.js";
import type { SourceContext } from "./context.js";
import type { HandlerModel, OperationModel, ParticipantModel, PlatformModel } from "./types.js";
import { DOWNSTREAM_KINDS } from "./vocabulary.js";

/**
 * Completes each operation's `x-handler` with what it writes (`writes`), where it keeps dedup
 * claims (`dedup`) and where it dead-letters (`dead-letter`, default: the only object-store
 * participant), reporting every problem at its location: an unknown participant, a participant
 * of the wrong kind, a handler on a receive operation, a name used twice.
 */
export function attachHandlers(
  operations: readonly OperationModel[],
  doc: RawAsyncApi,
  ctx: SourceContext,
  participants: readonly ParticipantModel[],
  platform: PlatformModel,
): OperationModel[] {
  const byId = new Map(participants.map((p) => [p.id, p]));
  const objectStores = participants.filter((p) => p.kind === "object-store");
  const names = new Map<string, string>([[platform.replay.name, "x-v2c.replay"]]);
  const ofKind = (kinds: readonly string[]) =>
    participants.filter((p) => kinds.includes(p.kind)).map((p) => p.id);

  /** Reports and returns false unless `id` is a participant of one of `kinds`. */
  const check = (id: string, kinds: readonly string[], path: (string | number)[], what: string) => {
    const p = byId.get(id);
    const candidates = ofKind(kinds);
    const list = candidates.length ? candidates.join(", ") : "none declared";
    if (!p) {
      ctx.error(
        path,
        "asyncapi/unknown-participant",
        `${what} names unknown participant "${id}" (participants of kind ${kinds.join(" | ")}: ${list})`,
      );
      return false;
    }
    if (!kinds.includes(p.kind)) {
      ctx.error(
        path,
        "asyncapi/wrong-participant-kind",
        `${what} names participant "${id}" of kind ${p.kind}; it must be ${kinds.join(" | ")} (candidates: ${list})`,
      );
      return false;
    }
    return true;
  };

  return operations.map((op) => {
    const raw = doc.operations?.[op.id]?.["x-handler"];
    if (!raw || !op.handler) return op;
    const base = ["operations", op.id, "x-handler"];
    if (op.action !== "send")
      ctx.error(
        base,
        "asyncapi/handler-on-receive",
        `operation "${op.id}" is a receive operation (cloud to vehicle); x-handler belongs on send operations, whose messages the cloud handles`,
      );
    const other = names.get(raw.name);
    if (other)
      ctx.error(
        [...base, "name"],
        "asyncapi/duplicate-function-name",
        `function name "${raw.name}" is already used by ${other}`,
      );
    names.set(raw.name, `operations.${op.id}.x-handler`);
    const writes = raw.writes ?? [];
    writes.forEach((id, i) =>
      check(id, DOWNSTREAM_KINDS, [...base, "writes", i], `x-handler of "${op.id}": writes`),
    );
    if (raw.dedup !== undefined)
      check(raw.dedup, ["key-value-store"], [...base, "dedup"], `x-handler of "${op.id}": dedup`);
    let deadLetter = raw["dead-letter"];
    if (deadLetter !== undefined) {
      check(
        deadLetter,
        ["object-store"],
        [...base, "dead-letter"],
        `x-handler of "${op.id}": dead-letter`,
      );
    } else if (objectStores.length === 1) {
      deadLetter = objectStores[0]!.id;
    } else {
      ctx.error(
        base,
        "asyncapi/dead-letter",
        objectStores.length === 0
          ? `handler "${raw.name}" needs a dead-letter queue: declare a participant of kind object-store in x-v2c.participants`
          : `several object-store participants (${objectStores.map((p) => p.id).join(", ")}): name the handler's with "dead-letter"`,
      );
      deadLetter = "";
    }
    const handler: HandlerModel = {
      ...op.handler,
      writes,
      ...(raw.dedup !== undefined ? { dedup: raw.dedup } : {}),
      deadLetter,
    };
    return { ...op, handler };
  });
}

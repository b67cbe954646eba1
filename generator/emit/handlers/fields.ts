import type { FieldConstraintModel, MessageModel, Model } from "../../model/types.js";

/** The ts-proto property path of the top-level field `protoPath` of `message`; throws when absent. */
export function fieldPath(message: MessageModel, protoPath: string): string {
  const field = message.constraints.find((c) => c.protoPath === protoPath);
  if (!field)
    throw new Error(`handlers emitter: ${message.protoName} has no constrained field ${protoPath}`);
  return field.path;
}

/** The message's required top-level epoch-millisecond field (its sample or creation time). */
export function timeField(message: MessageModel): FieldConstraintModel {
  const fields = message.constraints.filter(
    (c) => !c.path.includes(".") && c.required && c.unit === "ms",
  );
  if (fields.length !== 1)
    throw new Error(`handlers emitter: ${message.protoName} needs exactly one required "ms" field`);
  return fields[0]!;
}

/** The batch's repeated bytes field (the serialized records). */
export function recordsField(message: MessageModel): FieldConstraintModel {
  const field = message.constraints.find(
    (c) => c.kind === "bytes" && c.repeated && !c.path.includes("."),
  );
  if (!field) throw new Error(`handlers emitter: ${message.protoName} has no repeated bytes field`);
  return field;
}

/** The message of `id`; throws when absent. */
export function messageById(model: Model, id: string): MessageModel {
  const m = model.messages.find((x) => x.id === id);
  if (!m) throw new Error(`handlers emitter: unknown message ${id}`);
  return m;
}

/**
 * The DLQ replay function's name, from the replay procedure's step that names it
 * ("... (Lambda function: dlq-replay-handler)").
 */
export function replayHandlerName(model: Model): string {
  for (const rb of model.runbooks) {
    for (const step of rb.steps) {
      const m = /Lambda function: `?([a-z0-9][a-z0-9-]*)`?/.exec(step);
      if (m) return m[1]!;
    }
  }
  throw new Error("handlers emitter: no runbook step names the DLQ replay Lambda function");
}

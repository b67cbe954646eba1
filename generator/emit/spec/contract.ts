import type { EmitContext, GeneratedFile } from "../types.js";
import { literal, sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";

/** `src/contract.ts`: servers, channels, operations (QoS, aliases, batch, dedup, handler, SLA), platform limits, participants and phases. */
export function emitContract(ctx: EmitContext, templatesRoot: string): GeneratedFile {
  const m = ctx.model;
  const byId = <T extends { id: string }>(items: readonly T[]) =>
    Object.fromEntries(items.map(({ id, ...rest }) => [id, { id, ...rest }]));
  const operations = m.operations.map((op) => {
    const ch = m.channels.find((c) => c.id === op.channelId);
    return {
      ...op,
      address: ch?.address ?? "",
      ...(ch?.topicAlias !== undefined ? { topicAlias: ch.topicAlias } : {}),
      sla: Object.fromEntries(
        op.sla.map((s) => [s.name, { value: s.value, unit: s.unit, text: s.text }]),
      ),
    };
  });
  const content = loadTemplates(templatesRoot, "spec").render("contract.ts", {
    sources: sourceList(["asyncapi.yaml"]),
    imports: [],
    info: literal(m.info),
    servers: literal(byId(m.servers)),
    channels: literal(
      byId(m.channels.map((c) => ({ ...c, parameters: c.parameters.map((p) => p.name) }))),
    ),
    operations: literal(byId(operations)),
    messages: literal(byId(m.messages.map(({ constraints: _c, ...rest }) => rest))),
    platform: literal(m.platform),
    participants: literal(m.participants),
    phases: literal(
      m.phases.map((p) => ({
        ...p,
        sla: Object.fromEntries(
          p.sla.map((s) => [s.name, { value: s.value, unit: s.unit, text: s.text }]),
        ),
      })),
    ),
  });
  return { path: "spec/src/contract.ts", content };
}

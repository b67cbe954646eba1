import type { RawAsyncApi, RawParameter, RawSla } from "../load/asyncapi-types.js";
import type { LoadedAsyncApi } from "../load/asyncapi.js";
import { messageConstraints, type LoadedProto } from "../load/proto.js";
import { collectFieldRules } from "../load/protovalidate-rules.js";
import type { DiagnosticBag } from "../diagnostics.js";
import { parseDuration } from "./duration.js";
import { buildEnvelope, checkEnvelopeUses, type EnvelopeSite } from "./build-envelope.js";
import { collectEnumFields } from "./enum-fields.js";
import { buildOperations, checkReplies } from "./build-operations.js";
import { SourceContext, refSegments, resolveLocalRef } from "./context.js";
import { attachHandlers } from "./build-handlers.js";
import { buildParticipants, buildPlatform, checkExtensions } from "./build-platform.js";
import type {
  ChannelModel,
  MessageModel,
  OperationModel,
  ParameterModel,
  ParticipantModel,
  PhaseModel,
  PlatformModel,
  ServerModel,
  SlaModel,
} from "./types.js";

/** The contract half of the model: everything that comes from asyncapi.yaml and proto/. */
export interface ContractModel {
  readonly info: { title: string; version: string; description: string };
  readonly servers: ServerModel[];
  readonly channels: ChannelModel[];
  readonly messages: MessageModel[];
  readonly operations: OperationModel[];
  readonly platform: PlatformModel;
  readonly participants: ParticipantModel[];
  readonly phases: PhaseModel[];
}

/** Builds the contract model, reporting every unresolved reference at its location. */
export function buildContract(
  asyncapi: LoadedAsyncApi,
  proto: LoadedProto | undefined,
  bag: DiagnosticBag,
): ContractModel | undefined {
  const doc = asyncapi.doc;
  if (!doc) return undefined;
  const ctx = new SourceContext(asyncapi.source, bag);
  // x-v2c and x-handler: JSON Schema, component kinds, QoS vs broker, defaults (build-platform.ts).
  if (!checkExtensions(asyncapi, bag)) return undefined;
  const v2c = doc["x-v2c"];
  const participants: ParticipantModel[] = buildParticipants(doc);
  const participantIds = new Set(participants.map((p) => p.id));
  const platform: PlatformModel = buildPlatform(doc, ctx);

  const servers = buildServers(doc, ctx);
  const sites = new Map<string, EnvelopeSite>();
  const built = buildMessages(doc, proto, ctx, servers, sites);
  const messageIds = new Set(built.map((m) => m.id));
  const channels = buildChannels(doc, ctx, messageIds);
  const operations = attachHandlers(
    buildOperations(doc, ctx, new Set(channels.map((c) => c.id))),
    doc,
    ctx,
    participants,
    platform,
  );
  const messages = checkEnvelopeUses(built, channels, operations, sites, bag);
  checkReplies(operations, messages, ctx);

  const phases: PhaseModel[] = (v2c.phases ?? []).map((p, i) => {
    const base = ["x-v2c", "phases", i];
    if (p.operation && !doc.operations[p.operation])
      ctx.error(
        [...base, "operation"],
        "asyncapi/unknown-operation",
        `phase "${p.id}" names unknown operation "${p.operation}"`,
      );
    p.steps.forEach((s, j) => {
      for (const end of ["from", "to"] as const) {
        if (!participantIds.has(s[end]))
          ctx.error(
            [...base, "steps", j, end],
            "asyncapi/unknown-participant",
            `step "${s.text}" names unknown participant "${s[end]}"`,
          );
      }
      if (s.operation && !doc.operations[s.operation])
        ctx.error(
          [...base, "steps", j, "operation"],
          "asyncapi/unknown-operation",
          `step "${s.text}" names unknown operation "${s.operation}"`,
        );
    });
    return {
      id: p.id,
      title: p.title,
      purpose: p.purpose,
      ...(p.operation ? { operation: p.operation } : {}),
      steps: p.steps.map((s) => ({
        from: s.from,
        to: s.to,
        text: s.text,
        ...(s.operation ? { operation: s.operation } : {}),
      })),
      sla: buildSla(p.sla, ctx, [...base, "sla"]),
    };
  });
  const phaseIds = new Set(phases.map((p) => p.id));
  channels.forEach((c) => {
    if (c.phase && !phaseIds.has(c.phase))
      ctx.error(
        ["channels", c.id, "x-phase"],
        "asyncapi/unknown-phase",
        `channel "${c.id}" names unknown phase "${c.phase}"`,
      );
  });

  return {
    info: {
      title: doc.info.title,
      version: doc.info.version,
      description: (doc.info.description ?? "").trim(),
    },
    servers,
    channels,
    messages,
    operations,
    platform,
    participants,
    phases,
  };
}

function buildServers(doc: RawAsyncApi, ctx: SourceContext): ServerModel[] {
  const ids = Object.keys(doc.servers ?? {});
  return ids.map((id) => {
    const s = doc.servers[id]!;
    const mqtt = s.bindings?.mqtt ?? {};
    if (s["x-failover-to"] && !ids.includes(s["x-failover-to"])) {
      ctx.error(
        ["servers", id, "x-failover-to"],
        "asyncapi/unknown-server",
        `server "${id}" fails over to unknown server "${s["x-failover-to"]}"`,
      );
    }
    return {
      id,
      host: s.host,
      protocol: s.protocol,
      protocolVersion: s.protocolVersion ?? "",
      region: s["x-region"] ?? "",
      ...(s["x-failover-to"] ? { failoverTo: s["x-failover-to"] } : {}),
      clientIdTemplate: mqtt.clientId ?? "",
      cleanStart: mqtt.cleanSession ?? true,
      keepAliveS: mqtt.keepAlive ?? 60,
      sessionExpiryS: mqtt.sessionExpiryInterval ?? 0,
      maxPacketBytes: mqtt.maximumPacketSize ?? 0,
    };
  });
}

function resolveParameter(doc: RawAsyncApi, raw: RawParameter): RawParameter | undefined {
  return raw.$ref ? (resolveLocalRef(doc, raw.$ref) as RawParameter | undefined) : raw;
}

function buildChannels(
  doc: RawAsyncApi,
  ctx: SourceContext,
  messageIds: Set<string>,
): ChannelModel[] {
  const aliases = new Map<number, string>();
  return Object.entries(doc.channels ?? {}).map(([id, ch]) => {
    const base = ["channels", id];
    const names = [...ch.address.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    const parameters: ParameterModel[] = [];
    for (const name of names) {
      const raw = ch.parameters?.[name];
      const resolved = raw ? resolveParameter(doc, raw) : undefined;
      if (!resolved) {
        ctx.error(
          [...base, "address"],
          "asyncapi/unknown-parameter",
          `address parameter "{${name}}" of channel "${id}" is not declared (or its $ref does not resolve)`,
        );
        continue;
      }
      const example = resolved.examples?.[0] ?? resolved.enum?.[0];
      if (!example)
        ctx.error(
          [...base, "parameters", name],
          "asyncapi/parameter-example",
          `parameter "${name}" needs an example or an enum`,
        );
      if (!resolved.enum && !resolved["x-pattern"])
        ctx.warning(
          [...base, "parameters", name],
          "asyncapi/unchecked-parameter",
          `parameter "${name}" has neither an enum nor an x-pattern; topic builders cannot validate it`,
        );
      parameters.push({
        name,
        description: (resolved.description ?? "").trim(),
        ...(resolved.enum ? { enum: resolved.enum } : {}),
        ...(resolved["x-pattern"] ? { pattern: resolved["x-pattern"] } : {}),
        example: example ?? "",
      });
    }
    for (const declared of Object.keys(ch.parameters ?? {})) {
      if (!names.includes(declared))
        ctx.error(
          [...base, "parameters", declared],
          "asyncapi/unused-parameter",
          `parameter "${declared}" does not appear in the address "${ch.address}"`,
        );
    }
    const alias = ch["x-topic-alias"];
    if (alias !== undefined) {
      if (!Number.isInteger(alias) || alias < 1 || alias > 65535)
        ctx.error(
          [...base, "x-topic-alias"],
          "asyncapi/bad-topic-alias",
          `topic alias must be an integer in 1..65535, got ${alias}`,
        );
      const other = aliases.get(alias);
      if (other)
        ctx.error(
          [...base, "x-topic-alias"],
          "asyncapi/duplicate-topic-alias",
          `topic alias ${alias} is already used by channel "${other}"`,
        );
      aliases.set(alias, id);
    }
    const messageRefs = Object.entries(ch.messages ?? {});
    let messageId = "";
    if (messageRefs.length !== 1) {
      ctx.error(
        [...base, "messages"],
        "asyncapi/channel-messages",
        `channel "${id}" must carry exactly one message (the generator types one payload per topic)`,
      );
    } else {
      const [key, ref] = messageRefs[0]!;
      const target = ref.$ref ? refSegments(ref.$ref) : [];
      messageId = target[0] === "components" && target[1] === "messages" ? target[2]! : key;
      if (!messageIds.has(messageId))
        ctx.error(
          [...base, "messages", key],
          "asyncapi/unknown-message",
          `channel "${id}" refers to unknown message "${ref.$ref ?? key}"`,
        );
    }
    return {
      id,
      address: ch.address,
      title: ch.title ?? id,
      description: (ch.description ?? "").trim(),
      parameters,
      filter: ch.address.replace(/\{[^}]+\}/g, "+"),
      ...(alias !== undefined ? { topicAlias: alias } : {}),
      ...(ch["x-phase"] ? { phase: ch["x-phase"] } : {}),
      messageId,
    };
  });
}

function buildMessages(
  doc: RawAsyncApi,
  proto: LoadedProto | undefined,
  ctx: SourceContext,
  servers: readonly ServerModel[],
  sites: Map<string, EnvelopeSite>,
): MessageModel[] {
  const out: MessageModel[] = [];
  for (const [id, msg] of Object.entries(doc.components?.messages ?? {})) {
    const base = ["components", "messages", id];
    const xp = msg["x-protobuf"];
    if (!xp) {
      ctx.error(
        base,
        "asyncapi/missing-protobuf",
        `message "${id}" has no x-protobuf (file + message) naming its payload`,
      );
      continue;
    }
    if (!proto) continue; // proto errors are already reported
    const desc = proto.registry.getMessage(xp.message);
    if (!desc) {
      ctx.error(
        [...base, "x-protobuf", "message"],
        "asyncapi/unknown-proto-message",
        `proto message "${xp.message}" is not defined in proto/`,
      );
      continue;
    }
    const declaredIn = `proto/${desc.file.proto.name}`;
    if (declaredIn !== xp.file) {
      ctx.error(
        [...base, "x-protobuf", "file"],
        "asyncapi/proto-file-mismatch",
        `proto message "${xp.message}" is declared in ${declaredIn}, not ${xp.file}`,
      );
    }
    const versions = messageConstraints(proto, desc);
    if (!versions)
      ctx.warning(
        [...base, "x-protobuf", "message"],
        "proto/missing-schema-version",
        `proto message "${xp.message}" has no (v2c.options.v1.message) schema_version`,
      );
    const compression = msg["x-compression"];
    if (compression !== undefined && compression !== "zstd")
      ctx.error(
        [...base, "x-compression"],
        "asyncapi/bad-compression",
        `unsupported compression "${compression}" (only zstd)`,
      );
    const { envelope, site } = buildEnvelope(proto, desc, servers, ctx.bag);
    sites.set(id, site);
    out.push({
      id,
      title: msg.title ?? id,
      contentType: msg.contentType ?? doc.defaultContentType ?? "application/x-protobuf",
      ...(compression === "zstd" ? { compression } : {}),
      protoFile: declaredIn,
      protoName: desc.typeName,
      tsName: desc.name,
      tsModule: `proto/${desc.file.proto.name.replace(/\.proto$/, "")}`,
      schemaVersion: versions?.schemaVersion ?? 1,
      minSupportedSchemaVersion:
        versions?.minSupportedSchemaVersion ?? versions?.schemaVersion ?? 1,
      constraints: collectFieldRules(proto, desc, ctx.bag),
      enumFields: collectEnumFields(desc),
      envelope,
    });
  }
  return out;
}

/** Reads an SLA map: durations become ms, `N/s` a rate, plain numbers a ratio. */
export function buildSla(
  raw: RawSla | undefined,
  ctx: SourceContext,
  path: (string | number)[],
): SlaModel[] {
  return Object.entries(raw ?? {}).map(([name, value]) => {
    const text = String(value);
    if (typeof value === "number") return { name, text, value, unit: "ratio" as const };
    const rate = /^(\d+)\/s$/.exec(text);
    if (rate) return { name, text, value: Number(rate[1]), unit: "per-second" as const };
    const ms = parseDuration(text);
    if (ms === undefined)
      ctx.error(
        [...path, name],
        "spec/bad-sla",
        `SLA "${name}" must be a duration, a rate like 1000/s, or a ratio`,
      );
    return { name, text, value: ms ?? 0, unit: "ms" as const };
  });
}

import type { Model } from "../../model/types.js";
import { camel } from "../names.js";
import { sampleSnapshot } from "../client/sample.js";
import { clientView } from "../client/view.js";

/** A rule of the local rules engine: one per send operation with a handler. */
export interface LocalRuleView {
  readonly name: string;
  readonly operationId: string;
  readonly topicConst: string;
  readonly handlerProp: string;
  readonly type: "record" | "batch";
  readonly filter: string;
}

/** The broker's view of the channels: the vehicle writes what it sends, reads what it receives. */
export interface BrokerChannelView {
  readonly address: string;
  readonly vehicleAccess: "read" | "write";
}

/** The vehicle parameter: the envelope's, else the one the server's client id template names. */
export function vehicleParameter(model: Model): string | undefined {
  for (const m of model.messages) {
    const p = (m as { envelope?: { vehicleParameter?: string } }).envelope?.vehicleParameter;
    if (p) return p;
  }
  return /\{([^}]+)\}/.exec(model.servers[0]?.clientIdTemplate ?? "")?.[1];
}

/** Everything the local templates print, from the model (no instance name is assumed). */
export function localView(model: Model) {
  const sends = model.operations.filter((o) => o.action === "send" && o.handler);
  const rules: LocalRuleView[] = sends.map((o) => ({
    name: o.handler!.name,
    operationId: o.id,
    topicConst: `${camel(o.channelId)}Topic`,
    handlerProp: camel(o.handler!.name),
    type: o.batch ? "batch" : "record",
    filter: model.channels.find((c) => c.id === o.channelId)!.filter,
  }));
  const vehicleParam = vehicleParameter(model);
  const channels: BrokerChannelView[] = [];
  const seen = new Set<string>();
  const add = (channelId: string | undefined, access: "read" | "write") => {
    const c = model.channels.find((x) => x.id === channelId);
    if (!c || seen.has(`${c.id}:${access}`)) return;
    seen.add(`${c.id}:${access}`);
    channels.push({ address: c.address, vehicleAccess: access });
  };
  for (const o of model.operations) {
    add(o.channelId, o.action === "send" ? "write" : "read");
    const reply = (o as { reply?: { channelId?: string } }).reply;
    if (reply?.channelId) add(reply.channelId, o.action === "send" ? "read" : "write");
  }
  const aliases = model.channels.map((c) => c.topicAlias ?? 0);
  const server = model.servers[0];
  const broker = {
    channels,
    vehicleParameter: vehicleParam ?? "",
    maxPacketBytes: Math.min(
      server?.maxPacketBytes ?? model.platform.iotMaxPacketBytes,
      model.platform.iotMaxPacketBytes,
    ),
    maxTopicAlias: Math.max(0, ...aliases),
  };
  // The fleet: the vehicle client's publish methods (individual and batch).
  const client = clientView(model);
  const param = model.channels.flatMap((c) => c.parameters).find((p) => p.name === vehicleParam);
  const fleetOps = [
    ...client.sends
      .filter((s) => sends.some((o) => o.id === s.id))
      .map((s) => ({
        id: s.id,
        mode: "individual",
        call: `client.${s.id}(snapshots[0] as ${s.snapshotType})`,
        topic: `client.topics.${s.channelId}`,
        snapshotType: s.snapshotType,
        batchSize: null as string | null,
      })),
    ...client.batches
      .filter((b) => sends.some((o) => o.id === b.id))
      .map((b) => {
        const op = model.operations.find((o) => o.id === b.id)!;
        return {
          id: b.id,
          mode: "batch",
          call: `client.${b.id}(snapshots as ${b.record.snapshotType}[])`,
          topic: `client.topics.${b.channelId}`,
          snapshotType: b.record.snapshotType,
          batchSize: `{ min: ${op.batch!.minMessages}, max: ${op.batch!.maxMessages} }`,
        };
      }),
  ];
  const recordMessage =
    client.sends.find((s) => sends.some((o) => o.id === s.id))?.message ??
    client.batches[0]?.record.message;
  // Other channel parameters: the first allowed value, else the spec's example.
  const topicParams: Record<string, string> = {};
  for (const p of model.channels.flatMap((c) => c.parameters)) {
    if (p.name === vehicleParam || p.name in topicParams) continue;
    topicParams[p.name] = p.enum?.[0] ?? p.example;
  }
  return {
    rules,
    vehicleParam,
    broker,
    fleet: {
      server: server?.id ?? "",
      topicParams,
      ops: fleetOps,
      snapshotTypes: [...new Set(fleetOps.map((o) => o.snapshotType))],
      sample: recordMessage ? sampleSnapshot(recordMessage) : {},
      example: param?.example ?? "vehicle-0001",
      pattern: param?.pattern ?? null,
    },
  };
}

export type LocalView = ReturnType<typeof localView>;

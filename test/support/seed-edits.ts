import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isMap, isSeq, parseDocument, type Document, type YAMLMap } from "yaml";
import type { SpecFixture } from "./spec-fixture.js";

// Edits a user makes to the seed spec, applied structurally (YAML documents, comments kept) so
// that they keep working while the seed's text evolves. Each returns what a test checks.

function editYaml(fx: SpecFixture, rel: string, edit: (doc: Document) => void): void {
  const doc = parseDocument(fx.read(rel));
  edit(doc);
  fx.write(rel, doc.toString({ lineWidth: 0 }));
}

function mapAt(doc: Document, path: readonly (string | number)[]): YAMLMap {
  const node = doc.getIn(path, true);
  if (!isMap(node)) throw new Error(`${path.join(".")} is not a map in the seed`);
  return node;
}

/** Appends one failure-mode row (a plain object in the file's own format). */
export function appendFailureMode(fx: SpecFixture, row: Record<string, unknown>): void {
  editYaml(fx, "fmea/failure-modes.yaml", (doc) => {
    const rows = doc.get("failure-modes", true);
    if (!isSeq(rows)) throw new Error("failure-modes is not a list");
    rows.add(doc.createNode(row));
  });
}

/** The 1-based line of the last `signal:` key in the FMEA table (the appended row's). */
export function lastSignalLine(fx: SpecFixture): number {
  const lines = fx.read("fmea/failure-modes.yaml").split("\n");
  let found = 0;
  lines.forEach((l, i) => {
    if (/^\s+signal:/.test(l)) found = i + 1;
  });
  return found;
}

/** The send operation of the seed that declares `x-batch`. */
export function batchOperation(fx: SpecFixture): { op: string; channel: string; message: string } {
  const doc = parseDocument(fx.read("asyncapi.yaml"));
  const ops = mapAt(doc, ["operations"]);
  for (const item of ops.items) {
    const name = String((item.key as { value: unknown }).value);
    if (doc.getIn(["operations", name, "x-batch"]) === undefined) continue;
    const channel = String(doc.getIn(["operations", name, "channel", "$ref"]))
      .split("/")
      .pop()!;
    const messages = mapAt(doc, ["channels", channel, "messages"]);
    const message = String(
      doc.getIn([
        "channels",
        channel,
        "messages",
        String((messages.items[0]!.key as { value: unknown }).value),
        "$ref",
      ]),
    )
      .split("/")
      .pop()!;
    return { op: name, channel, message };
  }
  throw new Error("the seed has no x-batch operation");
}

/**
 * Removes the batch operation with its channel and message, the phase steps that name it,
 * `uses` entries that point into it, and the failure modes of the phase it drives.
 */
export function removeBatchOperation(fx: SpecFixture): { op: string; removedRows: string[] } {
  const { op, channel, message } = batchOperation(fx);
  let batchPhase: string | undefined;
  editYaml(fx, "asyncapi.yaml", (doc) => {
    doc.deleteIn(["operations", op]);
    doc.deleteIn(["channels", channel]);
    doc.deleteIn(["components", "messages", message]);
    const phases = doc.getIn(["x-v2c", "phases"], true);
    if (!isSeq(phases)) return;
    for (let i = phases.items.length - 1; i >= 0; i--) {
      const phase = phases.items[i];
      if (!isMap(phase)) continue;
      if (phase.get("operation") === op) {
        batchPhase = String(phase.get("id"));
        phases.delete(i);
        continue;
      }
      const steps = phase.get("steps", true);
      if (!isSeq(steps)) continue;
      for (let j = steps.items.length - 1; j >= 0; j--) {
        const step = steps.items[j];
        if (isMap(step) && step.get("operation") === op) step.delete("operation");
      }
    }
  });
  const removedRows: string[] = [];
  editYaml(fx, "fmea/failure-modes.yaml", (doc) => {
    const rows = doc.get("failure-modes", true);
    if (!isSeq(rows)) throw new Error("failure-modes is not a list");
    for (let i = rows.items.length - 1; i >= 0; i--) {
      const row = rows.items[i];
      if (!isMap(row)) continue;
      if (row.get("phase") === batchPhase) {
        removedRows.push(String(row.get("id")));
        rows.delete(i);
        continue;
      }
      const uses = row.getIn(["mitigation", "uses"], true);
      if (!isSeq(uses)) continue;
      for (let j = uses.items.length - 1; j >= 0; j--) {
        const v = uses.items[j] as { value?: unknown };
        if (String(v.value ?? v).includes(`operations.${op}.`)) uses.delete(j);
      }
      if (uses.items.length === 0) (row.get("mitigation") as YAMLMap).delete("uses");
    }
  });
  return { op, removedRows: removedRows.sort() };
}

/** The seed's send operation that has `x-handler` and no `x-batch` (the record handler). */
export function recordOperation(fx: SpecFixture): { op: string; channel: string } {
  const doc = parseDocument(fx.read("asyncapi.yaml"));
  for (const item of mapAt(doc, ["operations"]).items) {
    const name = String((item.key as { value: unknown }).value);
    const has = (k: string) => doc.getIn(["operations", name, k]) !== undefined;
    if (doc.getIn(["operations", name, "action"]) === "send" && has("x-handler") && !has("x-batch"))
      return {
        op: name,
        channel: String(doc.getIn(["operations", name, "channel", "$ref"]))
          .split("/")
          .pop()!,
      };
  }
  throw new Error("the seed has no handled record operation");
}

/**
 * Removes the handled single-message send operation, leaving batches only: the phase and step
 * references and the FMEA's `uses:` of it are pointed at the batch operation instead. Returns
 * the removed operation's id.
 */
export function removeRecordOperation(fx: SpecFixture): string {
  const { op } = recordOperation(fx);
  const batch = batchOperation(fx).op;
  editYaml(fx, "asyncapi.yaml", (doc) => doc.deleteIn(["operations", op]));
  fx.write(
    "asyncapi.yaml",
    fx.read("asyncapi.yaml").replace(new RegExp(`operation: ${op}\\b`, "g"), `operation: ${batch}`),
  );
  fx.write(
    "fmea/failure-modes.yaml",
    fx
      .read("fmea/failure-modes.yaml")
      .replaceAll(`asyncapi:operations.${op}.`, `asyncapi:operations.${batch}.`),
  );
  return op;
}

/**
 * Adds a second handled telemetry channel: a copy of the record operation's channel on another
 * address, and a send operation with its own handler name (everything else copied).
 */
export function addHandledChannel(
  fx: SpecFixture,
  names: { channel: string; op: string; handler: string; suffix: string },
): void {
  const { op, channel } = recordOperation(fx);
  editYaml(fx, "asyncapi.yaml", (doc) => {
    const ch = (doc.getIn(["channels", channel], true) as YAMLMap).clone() as YAMLMap;
    const address = String(ch.get("address"));
    ch.set("address", address.replace(/[^/]+$/, names.suffix));
    ch.set("title", "Diagnostics snapshots");
    ch.delete("x-topic-alias");
    mapAt(doc, ["channels"]).set(names.channel, ch);
    const o = (doc.getIn(["operations", op], true) as YAMLMap).clone() as YAMLMap;
    o.set("title", "Publish diagnostics snapshots");
    o.setIn(["channel", "$ref"], `#/channels/${names.channel}`);
    const msgs = o.get("messages", true);
    if (isSeq(msgs))
      for (const m of msgs.items)
        if (isMap(m))
          m.set("$ref", String(m.get("$ref")).replace(`/${channel}/`, `/${names.channel}/`));
    o.setIn(["x-handler", "name"], names.handler);
    o.delete("x-sla");
    mapAt(doc, ["operations"]).set(names.op, o);
  });
}

/** Renames the vehicle topic parameter everywhere in asyncapi.yaml and the envelope options. */
export function renameVehicleParameter(fx: SpecFixture, from: string, to: string): void {
  editYaml(fx, "asyncapi.yaml", (doc) => {
    const rename = (m: unknown) => {
      if (!isMap(m) || !m.has(from)) return;
      const node = m.get(from, true);
      m.delete(from);
      m.set(to, node);
    };
    rename(doc.getIn(["components", "parameters"], true));
    for (const item of mapAt(doc, ["channels"]).items)
      rename((item.value as YAMLMap).get("parameters", true));
  });
  const text = fx
    .read("asyncapi.yaml")
    .replaceAll(`{${from}}`, `{${to}}`)
    .replaceAll(`#/components/parameters/${from}"`, `#/components/parameters/${to}"`);
  fx.write("asyncapi.yaml", text);
  for (const file of protoFiles(fx))
    fx.write(
      file,
      fx.read(file).replaceAll(`vehicle_parameter: "${from}"`, `vehicle_parameter: "${to}"`),
    );
}

/** The spec's .proto files, relative to its root. */
export function protoFiles(fx: SpecFixture): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(join(fx.root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".proto")) out.push(p);
    }
  };
  walk("proto");
  return out;
}

/**
 * Removes envelope roles from the message that declares `expires_at` (the seed's command, the
 * one the vehicle receives): its `(v2c.options.v1.envelope)` keeps the other roles. Returns the
 * proto file edited.
 */
export function dropEnvelopeRoles(fx: SpecFixture, roles: readonly string[]): string {
  for (const file of protoFiles(fx)) {
    const text = fx.read(file);
    const block = /option \(v2c\.options\.v1\.envelope\) = \{[^}]*expires_at:[^}]*\}/.exec(text);
    if (!block) continue;
    const thinned = block[0]
      .split("\n")
      .filter((line) => !roles.some((r) => line.trim().startsWith(`${r}:`)))
      .join("\n");
    fx.write(file, text.replace(block[0], thinned));
    return file;
  }
  throw new Error("no envelope with expires_at in the seed's protos");
}

/** Removes a parameter from a channel: from its address (with its `/`) and its parameters. */
export function dropChannelParameter(fx: SpecFixture, channel: string, param: string): void {
  editYaml(fx, "asyncapi.yaml", (doc) => {
    const address = String(doc.getIn(["channels", channel, "address"]));
    if (!address.includes(`{${param}}`)) throw new Error(`${channel} has no {${param}}`);
    doc.setIn(["channels", channel, "address"], address.replace(`/{${param}}`, ""));
    doc.deleteIn(["channels", channel, "parameters", param]);
  });
}

/**
 * Makes the channel of the first `receive` operation a broadcast to every vehicle of its other
 * parameters: its vehicle parameter leaves the address and the channel's parameters, and the
 * received message's vehicle-id role goes (a broadcast names no vehicle). Returns the operation.
 */
export function broadcastReceivedChannel(fx: SpecFixture, vehicleParam: string): string {
  const doc = parseDocument(fx.read("asyncapi.yaml"));
  const op = mapAt(doc, ["operations"])
    .items.map((item) => String((item.key as { value: unknown }).value))
    .find((name) => doc.getIn(["operations", name, "action"]) === "receive");
  if (!op) throw new Error("the seed has no receive operation");
  const channel = String(doc.getIn(["operations", op, "channel", "$ref"]))
    .split("/")
    .pop()!;
  dropChannelParameter(fx, channel, vehicleParam);
  dropEnvelopeRoles(fx, ["vehicle_id"]);
  return op;
}

/** Sets the MQTT QoS of one operation. */
export function setQos(fx: SpecFixture, op: string, qos: 0 | 1 | 2): void {
  editYaml(fx, "asyncapi.yaml", (doc) =>
    doc.setIn(["operations", op, "bindings", "mqtt", "qos"], qos),
  );
}

/** Reads a generated file of a workspace output. */
export function readGenerated(out: string, rel: string): string {
  return readFileSync(join(out, rel), "utf8");
}

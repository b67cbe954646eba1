/**
 * A wire snapshot of every payload message (field numbers, names, labels and types of the
 * message and of every type it contains), written to generated/ on each run. The next run
 * compares the protos with the snapshot it finds there and warns, at the payload message,
 * when a field changed number or type (what would make deployed vehicles decode wrongly) while
 * the message's `schema_version` stayed the same. `npm run breaking` is the CI gate; this is
 * the early warning at `npm run generate`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import type { DiagnosticBag } from "../diagnostics.js";
import type { GeneratedFile } from "../emit/types.js";
import type { Model } from "../model/types.js";
import type { LoadedProto } from "./proto.js";

/** Path of the snapshot under the output folder. */
export const SNAPSHOT_PATH = "spec/proto-schema.json";

interface PayloadSnapshot {
  readonly schemaVersion: number;
  readonly minSupportedSchemaVersion: number;
  /** Type name -> field number -> `name label type`. */
  readonly types: Record<string, Record<string, string>>;
}
type Snapshot = Record<string, PayloadSnapshot>;

/** The snapshot of the model's payload messages. */
export function snapshotOf(proto: LoadedProto, model: Model): Snapshot {
  const out: Snapshot = {};
  for (const m of [...model.messages].sort((a, b) => a.protoName.localeCompare(b.protoName))) {
    const desc = proto.registry.getMessage(m.protoName);
    if (!desc) continue;
    const types: Record<string, Record<string, string>> = {};
    collect(desc, types);
    out[m.protoName] = {
      schemaVersion: m.schemaVersion,
      minSupportedSchemaVersion: m.minSupportedSchemaVersion,
      types,
    };
  }
  return out;
}

function collect(desc: DescMessage, types: Record<string, Record<string, string>>): void {
  if (types[desc.typeName]) return;
  const fields: Record<string, string> = {};
  types[desc.typeName] = fields;
  for (const f of [...desc.fields].sort((a, b) => a.number - b.number)) {
    fields[String(f.number)] = `${f.name} ${f.fieldKind} ${typeOf(f)}`;
    const nested = f.message;
    if (nested) collect(nested, types);
  }
}

const wire = (entry: string): string => entry.slice(entry.indexOf(" ") + 1);

function reservedNumbers(proto: LoadedProto, type: string): (n: number) => boolean {
  const ranges = proto.registry.getMessage(type)?.proto.reservedRange ?? [];
  return (n) => ranges.some((r) => n >= r.start && n < r.end);
}

function typeOf(f: DescField): string {
  if (f.message) return f.message.typeName;
  if (f.enum) return f.enum.typeName;
  if (f.fieldKind === "map") return `map<${f.mapKey}>`;
  return String(f.scalar);
}

/**
 * Reads the previous snapshot from `outDir` (none on a first run), warns about incompatible
 * changes of payloads whose schema_version did not move, and returns the new snapshot file.
 */
export function checkSchemaEvolution(
  outDir: string,
  proto: LoadedProto,
  model: Model,
  bag: DiagnosticBag,
): GeneratedFile {
  const current = snapshotOf(proto, model);
  let previous: Snapshot | undefined;
  try {
    previous = JSON.parse(readFileSync(join(outDir, SNAPSHOT_PATH), "utf8")) as Snapshot;
  } catch {
    previous = undefined;
  }
  for (const [name, now] of Object.entries(current)) {
    const before = previous?.[name];
    if (!before || now.schemaVersion !== before.schemaVersion) continue;
    const changes: string[] = [];
    for (const [type, fields] of Object.entries(before.types)) {
      const after = now.types[type];
      if (!after) continue;
      const reserved = reservedNumbers(proto, type);
      for (const [number, was] of Object.entries(fields)) {
        const is = after[number];
        if (is === undefined && reserved(Number(number))) continue; // deleted and reserved: compatible
        // The wire depends on number, cardinality and type; a rename alone is not checked here.
        if (is !== undefined && wire(is) === wire(was)) continue;
        if (is !== was)
          changes.push(
            `${type} field ${number} ${is ? `changed from "${was}" to "${is}"` : `"${was}" removed`}`,
          );
      }
    }
    if (changes.length === 0) continue;
    const where = proto.locate(proto.registry.getMessage(name)!);
    bag.warning(
      where.file,
      where.pos,
      "proto/incompatible-change",
      `${changes.join("; ")} — incompatible on the wire while schema_version stays ${now.schemaVersion}: bump schema_version (keeping min_supported_schema_version) or revert (npm run breaking shows the full check)`,
    );
  }
  return { path: SNAPSHOT_PATH, content: `${JSON.stringify(current, null, 2)}\n` };
}

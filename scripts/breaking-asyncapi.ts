/**
 * The AsyncAPI half of the breaking-change gate: @asyncapi/diff lists the changes between the
 * base and the current asyncapi.yaml (JSON pointers, before/after); this module classifies them
 * by what a deployed vehicle or cloud consumer depends on.
 */
import { diff } from "@asyncapi/diff";

/** One contract change that breaks a deployed party. */
export interface ContractBreak {
  readonly kind:
    | "channel-removed"
    | "operation-removed"
    | "address-changed"
    | "parameters-changed"
    | "qos-lowered"
    | "action-changed"
    | "message-removed"
    | "payload-switched"
    | "server-changed";
  readonly path: string;
  readonly text: string;
  /** For payload-switched: the proto message the payload was. */
  readonly previousMessage?: string;
}

type Doc = Record<string, unknown>;
interface Change {
  action: "add" | "remove" | "edit";
  path: string;
  before?: unknown;
  after?: unknown;
  isArrayIndex?: boolean;
  type: string;
}

const RULES: {
  kind: ContractBreak["kind"];
  re: RegExp;
  actions: Change["action"][];
  text: (m: RegExpExecArray, c: Change) => string | undefined;
}[] = [
  {
    kind: "channel-removed",
    re: /^\/channels\/([^/]+)$/,
    actions: ["remove"],
    text: (m) => `channel ${m[1]} removed`,
  },
  {
    kind: "operation-removed",
    re: /^\/operations\/([^/]+)$/,
    actions: ["remove"],
    text: (m) => `operation ${m[1]} removed`,
  },
  {
    kind: "address-changed",
    re: /^\/channels\/([^/]+)\/address$/,
    actions: ["edit", "remove"],
    text: (m, c) =>
      `channel ${m[1]} address changed from ${String(c.before)} to ${String(c.after)}`,
  },
  {
    kind: "parameters-changed",
    re: /^\/(?:channels\/([^/]+)\/parameters|components\/parameters)(\/.*)?$/,
    actions: ["add", "remove", "edit"],
    // An added enum value widens what is accepted; everything else narrows or renames.
    text: (m, c) =>
      c.action === "add" && /\/enum\/\d+$/.test(c.path)
        ? undefined
        : `parameter ${c.path.replace(/^\/(channels\/[^/]+\/parameters|components\/parameters)\/?/, "") || "set"} ${c.action === "edit" ? "changed" : c.action === "add" ? "added" : "removed"}${m[1] ? ` on channel ${m[1]}` : ""}`,
  },
  {
    kind: "qos-lowered",
    re: /^\/operations\/([^/]+)\/bindings(?:\/mqtt(?:\/qos)?)?$/,
    actions: ["edit", "remove"],
    text: (m, c) => {
      const before = qos(c.before);
      const after = c.action === "remove" ? 0 : qos(c.after);
      return after < before
        ? `operation ${m[1]} QoS lowered from ${before} to ${after}`
        : undefined;
    },
  },
  {
    kind: "action-changed",
    re: /^\/operations\/([^/]+)\/action$/,
    actions: ["edit"],
    text: (m, c) =>
      `operation ${m[1]} action changed from ${String(c.before)} to ${String(c.after)}`,
  },
  {
    kind: "message-removed",
    re: /^\/(?:components\/messages|channels\/[^/]+\/messages)\/([^/]+)$/,
    actions: ["remove"],
    text: (m) => `message ${m[1]} removed`,
  },
  {
    kind: "payload-switched",
    re: /^\/components\/messages\/([^/]+)\/(?:x-protobuf(?:\/message)?|payload(?:\/.*)?)$/,
    actions: ["edit", "remove"],
    text: (m, c) => {
      const before = protoMessage(c.before);
      const after = protoMessage(c.after);
      return before !== after
        ? `message ${m[1]} payload switched from ${before ?? "?"} to ${after ?? "nothing"}`
        : undefined;
    },
  },
  {
    kind: "server-changed",
    re: /^\/servers\/([^/]+)(?:\/(host|protocol|pathname))?$/,
    actions: ["edit", "remove"],
    text: (m, c) =>
      `server ${m[1]} ${c.action === "remove" && !m[2] ? "removed" : `${m[2]} changed`}`,
  },
];

function qos(v: unknown): number {
  if (typeof v === "number") return v;
  if (v && typeof v === "object") {
    const o = v as { qos?: unknown; mqtt?: unknown };
    if (typeof o.qos === "number") return o.qos;
    if (o.mqtt) return qos(o.mqtt);
  }
  return 0;
}

function protoMessage(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.message === "string") return o.message;
    if (o["x-protobuf"]) return protoMessage(o["x-protobuf"]);
  }
  return undefined;
}

/** The breaking changes from `base` to `current` (both parsed asyncapi.yaml documents). */
export function contractBreaks(base: Doc, current: Doc): ContractBreak[] {
  const output = diff(base, current, { outputType: "json" }).getOutput() as { changes: Change[] };
  const out: ContractBreak[] = [];
  for (const c of output.changes) {
    for (const rule of RULES) {
      const m = rule.re.exec(c.path);
      if (!m || !rule.actions.includes(c.action)) continue;
      const text = rule.text(m, c);
      if (text)
        out.push({
          kind: rule.kind,
          path: c.path,
          text,
          ...(rule.kind === "payload-switched" ? { previousMessage: protoMessage(c.before) } : {}),
        });
      break;
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** The major version of `info.version` (semver), or undefined when absent or not semver. */
export function majorVersion(doc: Doc): number | undefined {
  const v = (doc.info as { version?: unknown } | undefined)?.version;
  const m = typeof v === "string" ? /^v?(\d+)\./.exec(v) : null;
  return m ? Number(m[1]) : undefined;
}

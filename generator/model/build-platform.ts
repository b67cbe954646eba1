import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ValidateFunction } from "ajv";
import { schemaValidators } from "../compiled/validators.js";
import type { DiagnosticBag } from "../diagnostics.js";
import type { RawAsyncApi } from "../load/asyncapi-types.js";
import type { LoadedAsyncApi } from "../load/asyncapi.js";
import { validateWithSchema } from "../load/json-schema.js";
import { SourceContext } from "./context.js";
import type { ParticipantModel, PlatformModel } from "./types.js";
import { COMPONENT_KINDS, isComponentKind, known } from "./vocabulary.js";

/** The documented defaults of `x-v2c` (README "Vocabulary", root extension). */
export const X_V2C_DEFAULTS = {
  broker: "aws-iot-core",
  maxPacketBytes: 131072,
  maxKeepAlive: "1200s",
  connectionsPerSecond: 500,
  accountConcurrency: 1000,
  lambdaRuntime: "nodejs22.x",
  logRetention: "30d",
  dlqRetention: "14d",
  maxClockSkew: "60s",
  maxAge: "24h",
  timeSeriesMemoryRetention: "24h",
  localQueue: { maxMessages: 1000, overflow: "drop-oldest" },
  replayName: "dead-letter-replay",
  /** Lambda's default memory: the replay function's floor (else the largest handler's). */
  replayMinMemoryMb: 128,
  /** Lambda's maximum timeout: the replay function walks the DLQ and may use all of it. */
  replayTimeout: "900s",
  npmScope: "@v2c",
} as const;

let compiled: ValidateFunction | undefined;

/** The JSON Schema of the toolchain's AsyncAPI extensions, beside this file. */
export const EXTENSION_SCHEMA_FILE = "x-v2c.schema.json";

/** The compiled JSON Schema of the toolchain's AsyncAPI extensions (`x-v2c.schema.json`). */
function extensionSchema(): ValidateFunction {
  if (!compiled) {
    const name = EXTENSION_SCHEMA_FILE;
    const text = readFileSync(join(import.meta.dirname, name), "utf8");
    compiled = schemaValidators([{ name, text }]).get(name)!;
  }
  return compiled;
}

/**
 * Validates `x-v2c` and every `x-handler` against their JSON Schema (located errors), checks
 * participant kinds against the vocabulary and QoS 2 against the broker. False when the
 * extensions cannot be read (the problems are in `bag`).
 */
export function checkExtensions(asyncapi: LoadedAsyncApi, bag: DiagnosticBag): boolean {
  const doc = asyncapi.doc;
  if (!doc || typeof doc !== "object") return false;
  if (!validateWithSchema(asyncapi.source, extensionSchema(), bag)) return false;
  const ctx = new SourceContext(asyncapi.source, bag);
  let ok = true;
  const ids = new Set<string>();
  doc["x-v2c"].participants.forEach((p, i) => {
    if (ids.has(p.id)) {
      ctx.error(
        ["x-v2c", "participants", i, "id"],
        "asyncapi/duplicate-participant",
        `participant "${p.id}" is declared twice`,
      );
      ok = false;
    }
    ids.add(p.id);
    if (!isComponentKind(p.kind)) {
      ctx.error(
        ["x-v2c", "participants", i, "kind"],
        "asyncapi/unknown-component-kind",
        `participant "${p.id}" has unknown kind "${p.kind}"; component kinds: ${known(Object.keys(COMPONENT_KINDS))}`,
      );
      ok = false;
    }
  });
  const broker = doc["x-v2c"].platform?.broker ?? X_V2C_DEFAULTS.broker;
  for (const [id, op] of Object.entries(doc.operations ?? {})) {
    if (op?.bindings?.mqtt?.qos === 2 && broker === "aws-iot-core") {
      ctx.error(
        ["operations", id, "bindings", "mqtt", "qos"],
        "asyncapi/unsupported-qos",
        `operation "${id}" asks for QoS 2, which AWS IoT Core does not support (x-v2c.platform.broker is aws-iot-core); use QoS 0 or 1`,
      );
      ok = false;
    }
  }
  return ok;
}

/** Participants of `x-v2c.participants` (kinds already checked by `checkExtensions`). */
export function buildParticipants(doc: RawAsyncApi): ParticipantModel[] {
  return doc["x-v2c"].participants.map((p) => ({ id: p.id, name: p.name, kind: p.kind }));
}

/** Platform limits and policies of `x-v2c`, every key optional with its documented default. */
export function buildPlatform(doc: RawAsyncApi, ctx: SourceContext): PlatformModel {
  const v2c = doc["x-v2c"];
  const d = X_V2C_DEFAULTS;
  const p = v2c.platform ?? {};
  const lambda = p.lambda ?? {};
  const ts = v2c.timestamps ?? {};
  const queue = v2c.client?.["local-queue"] ?? {};
  const replay = v2c.replay ?? {};
  const at = (...path: string[]) => ["x-v2c", ...path];
  const handlerMemory = Object.values(doc.operations ?? {}).map(
    (op) => op?.["x-handler"]?.["memory-mb"] ?? 0,
  );
  return {
    iotMaxPacketBytes: p["max-packet-bytes"] ?? d.maxPacketBytes,
    iotMaxKeepAliveS:
      ctx.duration(p["max-keep-alive"] ?? d.maxKeepAlive, at("platform", "max-keep-alive")) / 1000,
    iotConnectionsPerSecond: p["connections-per-second"] ?? d.connectionsPerSecond,
    lambdaAccountConcurrency: lambda["account-concurrency"] ?? d.accountConcurrency,
    lambdaRuntime: lambda.runtime ?? d.lambdaRuntime,
    logRetentionDays:
      ctx.duration(
        lambda["log-retention"] ?? d.logRetention,
        at("platform", "lambda", "log-retention"),
      ) / 86_400_000,
    dlqRetentionMs: ctx.duration(
      p.dlq?.retention ?? d.dlqRetention,
      at("platform", "dlq", "retention"),
    ),
    maxClockSkewMs: ctx.duration(
      ts["max-clock-skew"] ?? d.maxClockSkew,
      at("timestamps", "max-clock-skew"),
    ),
    maxAgeMs: ctx.duration(ts["max-age"] ?? d.maxAge, at("timestamps", "max-age")),
    timeSeriesMemoryRetentionMs: ctx.duration(
      ts["time-series-memory-retention"] ?? d.timeSeriesMemoryRetention,
      at("timestamps", "time-series-memory-retention"),
    ),
    localQueue: {
      maxMessages: queue["max-messages"] ?? d.localQueue.maxMessages,
      overflow: queue.overflow ?? d.localQueue.overflow,
    },
    broker: p.broker ?? d.broker,
    replay: {
      name: replay.name ?? d.replayName,
      memoryMb: replay["memory-mb"] ?? Math.max(d.replayMinMemoryMb, ...handlerMemory),
      timeoutMs: ctx.duration(replay.timeout ?? d.replayTimeout, at("replay", "timeout")),
    },
    npmScope: v2c["npm-scope"] ?? d.npmScope,
    ...(v2c["runbook-base-url"] ? { runbookBaseUrl: v2c["runbook-base-url"] } : {}),
  };
}

/**
 * The document with every defaulted `x-v2c` key written out (raw spelling), so that a
 * reference such as `asyncapi:x-v2c.platform.max-packet-bytes` resolves to the default the
 * generated code uses when the spec leaves the key out.
 */
export function withV2cDefaults(doc: RawAsyncApi): RawAsyncApi {
  const d = X_V2C_DEFAULTS;
  const v2c = doc["x-v2c"] ?? { participants: [] };
  const p = v2c.platform ?? {};
  return {
    ...doc,
    "x-v2c": {
      ...v2c,
      client: {
        ...v2c.client,
        "local-queue": {
          "max-messages": d.localQueue.maxMessages,
          overflow: d.localQueue.overflow,
          ...v2c.client?.["local-queue"],
        },
      },
      platform: {
        broker: d.broker,
        "max-packet-bytes": d.maxPacketBytes,
        "max-keep-alive": d.maxKeepAlive,
        "connections-per-second": d.connectionsPerSecond,
        ...p,
        lambda: {
          "account-concurrency": d.accountConcurrency,
          runtime: d.lambdaRuntime,
          "log-retention": d.logRetention,
          ...p.lambda,
        },
        dlq: { retention: d.dlqRetention, ...p.dlq },
      },
      timestamps: {
        "max-clock-skew": d.maxClockSkew,
        "max-age": d.maxAge,
        "time-series-memory-retention": d.timeSeriesMemoryRetention,
        ...v2c.timestamps,
      },
    },
  };
}

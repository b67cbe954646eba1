/** The parts of asyncapi.yaml the generator reads (validated structurally by the official parser). */

export interface RawServer {
  host: string;
  protocol: string;
  protocolVersion?: string;
  description?: string;
  bindings?: {
    mqtt?: {
      clientId?: string;
      cleanSession?: boolean;
      keepAlive?: number;
      sessionExpiryInterval?: number;
      maximumPacketSize?: number;
    };
  };
  "x-region"?: string;
  "x-failover-to"?: string;
}

export interface RawParameter {
  description?: string;
  enum?: string[];
  examples?: string[];
  "x-pattern"?: string;
  $ref?: string;
}

export interface RawChannel {
  address: string;
  title?: string;
  description?: string;
  parameters?: Record<string, RawParameter>;
  messages?: Record<string, { $ref?: string }>;
  "x-topic-alias"?: number;
  "x-phase"?: string;
}

export interface RawSla {
  [key: string]: string | number;
}

export interface RawOperation {
  action: "send" | "receive";
  title?: string;
  summary?: string;
  channel: { $ref: string };
  messages?: { $ref: string }[];
  bindings?: { mqtt?: { qos?: number; retain?: boolean; messageExpiryInterval?: number } };
  /** AsyncAPI 3 request/reply: the vehicle answers on this channel with this message. */
  reply?: { channel?: { $ref: string }; messages?: { $ref: string }[] };
  /** QoS 0 only: `queue` keeps messages in the local queue while offline (default `drop`). */
  "x-offline"?: "queue" | "drop";
  "x-publish-interval"?: { min: string; max: string; default: string };
  "x-payload-size-bytes"?: { min: number; max: number };
  "x-dedup-window"?: string;
  "x-handler"?: {
    name: string;
    "memory-mb": number;
    timeout: string;
    "reserved-concurrency": number;
    /** Downstream participant ids (validated by generator/model/x-v2c.schema.json). */
    writes?: string[];
    dedup?: string;
    "dead-letter"?: string;
  };
  "x-sla"?: RawSla;
  "x-batch"?: {
    interval: string;
    "min-messages": number;
    "max-messages": number;
    "max-compressed-bytes": number;
    "uncompressed-bytes"?: number;
    "compressed-bytes"?: { min: number; max: number };
    compression: {
      algorithm: "zstd";
      level: number;
      "min-reduction"?: number;
      "max-reduction"?: number;
    };
    "max-decompressed-bytes": number;
  };
}

export interface RawMessage {
  name?: string;
  title?: string;
  contentType?: string;
  "x-protobuf"?: { file: string; message: string };
  "x-compression"?: string;
}

export interface RawStep {
  from: string;
  to: string;
  text: string;
  operation?: string;
}

export interface RawPhase {
  id: string;
  title: string;
  purpose: string;
  operation?: string;
  steps: RawStep[];
  sla?: RawSla;
}

/** `x-v2c`, validated by generator/model/x-v2c.schema.json; every key but participants optional. */
export interface RawV2c {
  client?: { "local-queue"?: { "max-messages"?: number; overflow?: "drop-oldest" } };
  platform?: {
    broker?: "aws-iot-core" | "mqtt5";
    "max-packet-bytes"?: number;
    "max-keep-alive"?: string;
    "connections-per-second"?: number;
    lambda?: { "account-concurrency"?: number; runtime?: string; "log-retention"?: string };
    dlq?: { retention?: string };
  };
  timestamps?: {
    "max-clock-skew"?: string;
    "max-age"?: string;
    "time-series-memory-retention"?: string;
  };
  replay?: { name?: string; "memory-mb"?: number; timeout?: string };
  "npm-scope"?: string;
  "runbook-base-url"?: string;
  participants: { id: string; name: string; kind: string }[];
  phases?: RawPhase[];
}

export interface RawAsyncApi {
  asyncapi: string;
  defaultContentType?: string;
  info: { title: string; version: string; description?: string };
  servers: Record<string, RawServer>;
  channels: Record<string, RawChannel>;
  operations: Record<string, RawOperation>;
  components: {
    parameters?: Record<string, RawParameter>;
    messages?: Record<string, RawMessage>;
    securitySchemes?: Record<string, { type: string; description?: string }>;
  };
  "x-v2c": RawV2c;
}

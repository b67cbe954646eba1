/** Vehicle-side MQTT runtime: the public API generated vehicle packages import. */
export { applyJitter, retryDelayMs, retryDelays, sleep, type RandomSource } from "./backoff.js";
export {
  BatchAccumulator,
  batchChecksum,
  buildBatches,
  decodeBatch,
  encodeBatch,
  RecordTooLargeError,
  splitInHalves,
  type BatchCodec,
  type EncodedBatch,
} from "./batch.js";
export {
  BatchPublisher,
  type BatchPublisherOptions,
  type BatchSessionLike,
  type PublishedBatch,
} from "./batch-publisher.js";
export {
  CertificateMonitor,
  certificateNotAfter,
  type CertificateMonitorOptions,
  type CertificateStatus,
} from "./cert-monitor.js";
export { ClockSkewDetector, type ClockSkewOptions, type ClockSkewSample } from "./clock-skew.js";
export { classifyConnectError, type ConnectFailure } from "./connect-errors.js";
export {
  EndpointRing,
  type FailoverEvent,
  type FailoverOptions,
  type SessionEndpoint,
} from "./failover.js";
export {
  ConnectionRefusedError,
  CredentialError,
  NetworkTimeoutError,
  NotAuthorizedError,
  PacketTooLargeError,
  PayloadCorruptionError,
  PubackTimeoutError,
  PublishRejectedError,
  QuotaExceededError,
  ReasonCode,
  SessionClosedError,
  V2cClientError,
  type CredentialProblemKind,
} from "./errors.js";
export {
  ClientEvents,
  TypedEmitter,
  type BatchSplitEvent,
  type CertificateExpiringEvent,
  type ClientEventMap,
  type ClockSkewEvent,
  type ConnectedEvent,
  type ConnectFailedEvent,
  type DisconnectedEvent,
  type MessageRejectedEvent,
  type PublishWrittenEvent,
  type QueueDroppedEvent,
  type SecurityEvent,
} from "./events.js";
export {
  InMemoryClientMetrics,
  MetricName,
  noopMetrics,
  reasonLabel,
  type ClientMetrics,
  type MetricLabels,
} from "./metrics.js";
export { effectivePacketLimit, publishPacketSize } from "./packet-size.js";
export {
  PersistentQueue,
  type PersistentQueueOptions,
  type QueueEntry,
  type QueueEntryInput,
} from "./persistent-queue.js";
export { reusingEncoder, type EncodingCodec, type FinishingWriter } from "./reusing-encoder.js";
export {
  VehicleSession,
  type IncomingMessage,
  type MessageHandler,
  type PublishOptions,
  type PublishResult,
  type SessionTimeouts,
  type SessionTlsOptions,
  type VehicleSessionOptions,
} from "./session.js";
export { TopicAliasManager, type WireTopic } from "./topic-alias.js";
export { topicMatches } from "./topic-filter.js";

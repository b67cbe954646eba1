import { EventEmitter } from "node:events";
import type { CredentialError, V2cClientError } from "./errors.js";
import type { FailoverEvent } from "./failover.js";

/** What the broker granted on CONNACK, after the client honoured it. */
export interface ConnectedEvent {
  readonly sessionPresent: boolean;
  /** Keep-alive actually in use: the server keep-alive from CONNACK wins over the option. */
  readonly keepaliveSeconds: number;
  readonly topicAliasMaximum: number;
  readonly maximumPacketSize: number | undefined;
  readonly receiveMaximum: number | undefined;
}

export interface DisconnectedEvent {
  /** Reason code of a server DISCONNECT packet, when one arrived. */
  readonly reasonCode: number | undefined;
  readonly error: Error | undefined;
}

export interface ConnectFailedEvent {
  /** CONNACK reason code; undefined for network/TLS errors. */
  readonly reasonCode: number | undefined;
  readonly error: Error;
  /** 1-based attempt number since the last successful connection. */
  readonly attempt: number;
  /** Wait before the next attempt; undefined when the loop stops. */
  readonly nextDelayMs: number | undefined;
}

export interface SecurityEvent {
  readonly kind: "not-authorized";
  readonly operation: "publish" | "subscribe";
  readonly topic: string;
  readonly messageId: string | undefined;
  readonly reasonCode: number;
}

export interface QueueDroppedEvent {
  readonly messageId: string;
  readonly topic: string;
  readonly enqueuedAt: number;
  /** Total dropped since the queue file was created. */
  readonly droppedTotal: number;
}

export interface CertificateExpiringEvent {
  readonly notAfter: Date;
  readonly msRemaining: number;
  readonly expired: boolean;
  readonly subject: string;
}

export interface ClockSkewEvent {
  /** reference − local, in ms (positive: the local clock is behind). */
  readonly offsetMs: number;
  readonly toleranceMs: number;
}

export interface BatchSplitEvent {
  readonly reason: "max-messages" | "max-compressed-bytes" | "broker-packet-too-large";
  readonly records: number;
  readonly into: readonly [number, number];
}

export interface MessageRejectedEvent {
  /** A queued message the broker (or the size check) refused during a flush; it left the queue. */
  readonly messageId: string;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly error: V2cClientError;
}

/** A PUBLISH handed to the socket: the first write of a message or a DUP resend. */
export interface PublishWrittenEvent {
  readonly messageId: string;
  readonly topic: string;
  /** MQTT packet identifier (undefined for QoS 0). */
  readonly packetId: number | undefined;
  readonly dup: boolean;
}

/** Every event the vehicle runtime emits, with its payload type. */
export interface ClientEventMap {
  connected: [ConnectedEvent];
  disconnected: [DisconnectedEvent];
  connectFailed: [ConnectFailedEvent];
  credentialProblem: [CredentialError];
  securityEvent: [SecurityEvent];
  queueDropped: [QueueDroppedEvent];
  certificateExpiring: [CertificateExpiringEvent];
  clockSkew: [ClockSkewEvent];
  batchSplit: [BatchSplitEvent];
  messageRejected: [MessageRejectedEvent];
  queueFlushed: [{ readonly sent: number }];
  publishWritten: [PublishWrittenEvent];
  /** The session moved to another endpoint (failover after failures, or a requested fail-back). */
  failover: [FailoverEvent];
}

type Listener<A extends unknown[]> = (...args: A) => void;

/** A small typed wrapper over node's EventEmitter (listener errors propagate as usual). */
export class TypedEmitter<M extends { [K in keyof M]: unknown[] }> {
  private readonly ee = new EventEmitter();

  /** Adds a listener. */
  on<K extends keyof M & string>(event: K, listener: Listener<M[K]>): this {
    this.ee.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Adds a listener that runs once. */
  once<K extends keyof M & string>(event: K, listener: Listener<M[K]>): this {
    this.ee.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Removes a listener. */
  off<K extends keyof M & string>(event: K, listener: Listener<M[K]>): this {
    this.ee.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Emits an event; returns whether anyone listened. */
  emit<K extends keyof M & string>(event: K, ...args: M[K]): boolean {
    return this.ee.emit(event, ...args);
  }

  /** Whether `event` has a listener (lets a hot path skip building an event nobody reads). */
  hasListeners<K extends keyof M & string>(event: K): boolean {
    return this.ee.listenerCount(event) > 0;
  }

  /** Resolves with the next emission of `event`, or rejects after `timeoutMs`. */
  next<K extends keyof M & string>(event: K, timeoutMs: number): Promise<M[K]> {
    return new Promise((resolve, reject) => {
      const listener = (...args: unknown[]): void => {
        clearTimeout(timer);
        resolve(args as M[K]);
      };
      const timer = setTimeout(() => {
        this.ee.off(event, listener);
        reject(new Error(`no ${event} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.ee.once(event, listener);
    });
  }
}

/** The event bus shared by the session, queue, cert monitor and clock-skew detector. */
export class ClientEvents extends TypedEmitter<ClientEventMap> {}

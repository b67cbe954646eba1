import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { ON_FAILURE_QUEUES_ENV } from "../deploy-env.js";
import type {
  FailedInvocation,
  FailedInvocationQueue,
  ReceiveOptions,
} from "./failed-invocations.js";

/** SQS's own bounds of a receive. */
const SQS_MAX_MESSAGES = 10;
const SQS_MAX_WAIT_S = 20;
const SQS_MAX_VISIBILITY_S = 43_200;

/** Network bounds of the SQS calls; a long poll's wait is added to the request timeout. */
export interface SqsTimeouts {
  readonly connectMs: number;
  readonly requestMs: number;
}

/** Default network bounds: 3 s to connect, 5 s per request beyond a long poll's wait. */
export const DEFAULT_SQS_TIMEOUTS: SqsTimeouts = { connectMs: 3_000, requestMs: 5_000 };

/** Options of SqsFailedInvocationQueue. */
export interface SqsFailedInvocationQueueOptions {
  readonly client: SQSClient;
  /** The function whose on-failure destination the queue is. */
  readonly name: string;
  readonly queueUrl: string;
  /** Request timeout beyond the wait of a receive; default `DEFAULT_SQS_TIMEOUTS.requestMs`. */
  readonly requestTimeoutMs?: number;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Aborts after `ms` (every SQS call has a deadline of its own, whatever the client's config). */
function timeout(ms: number): { abortSignal: AbortSignal } {
  return { abortSignal: AbortSignal.timeout(ms) };
}

/**
 * A Lambda on-failure destination queue on SQS behind the FailedInvocationQueue port: receive
 * (long poll bounded by SQS's 20 s, visibility bounded by its 12 h), delete by receipt handle,
 * release by setting the visibility to 0. Each call is aborted after its wait plus the request
 * timeout.
 */
export class SqsFailedInvocationQueue implements FailedInvocationQueue {
  readonly name: string;
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly requestMs: number;

  constructor(options: SqsFailedInvocationQueueOptions) {
    this.client = options.client;
    this.name = options.name;
    this.queueUrl = options.queueUrl;
    this.requestMs = options.requestTimeoutMs ?? DEFAULT_SQS_TIMEOUTS.requestMs;
  }

  async receive(options: ReceiveOptions): Promise<FailedInvocation[]> {
    const waitS = clamp(Math.floor(options.waitMs / 1000), 0, SQS_MAX_WAIT_S);
    const out = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: clamp(options.max, 1, SQS_MAX_MESSAGES),
        WaitTimeSeconds: waitS,
        VisibilityTimeout: clamp(Math.ceil(options.visibilityMs / 1000), 0, SQS_MAX_VISIBILITY_S),
        MessageSystemAttributeNames: ["ApproximateReceiveCount"],
      }),
      timeout(waitS * 1000 + this.requestMs),
    );
    return (out.Messages ?? []).flatMap((m) =>
      m.ReceiptHandle === undefined
        ? []
        : [
            {
              id: m.MessageId ?? m.ReceiptHandle,
              body: m.Body ?? "",
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? "1") || 1,
              handle: m.ReceiptHandle,
            },
          ],
    );
  }

  async delete(handle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: handle }),
      timeout(this.requestMs),
    );
  }

  async release(handle: string): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: handle,
        VisibilityTimeout: 0,
      }),
      timeout(this.requestMs),
    );
  }
}

/**
 * The on-failure queues named by `ON_FAILURE_QUEUES_ENV` (`{ "<function>": "<queue url>" }`,
 * set by the generated infra on the replay function), one SQS client for all, SDK retries off
 * and connect/request timeouts set. No variable: no queues. A malformed value throws naming it.
 */
export function sqsFailedInvocationQueues(
  env: Readonly<Record<string, string | undefined>>,
  options: { client?: SQSClient; timeouts?: SqsTimeouts } = {},
): FailedInvocationQueue[] {
  const raw = env[ON_FAILURE_QUEUES_ENV];
  if (!raw) return [];
  let urls: unknown;
  try {
    urls = JSON.parse(raw);
  } catch (err) {
    throw new Error(`${ON_FAILURE_QUEUES_ENV} is not JSON: ${(err as Error).message}`);
  }
  if (typeof urls !== "object" || urls === null || Array.isArray(urls)) {
    throw new Error(
      `${ON_FAILURE_QUEUES_ENV} must be a JSON object { "<function>": "<queue url>" }`,
    );
  }
  const timeouts = options.timeouts ?? DEFAULT_SQS_TIMEOUTS;
  const client =
    options.client ??
    new SQSClient({
      maxAttempts: 1,
      requestHandler: {
        connectionTimeout: timeouts.connectMs,
        requestTimeout: timeouts.requestMs + SQS_MAX_WAIT_S * 1000,
      },
    });
  return Object.entries(urls as Record<string, unknown>).map(([name, url]) => {
    if (typeof url !== "string" || url === "") {
      throw new Error(`${ON_FAILURE_QUEUES_ENV}: the queue url of "${name}" must be a string`);
    }
    return new SqsFailedInvocationQueue({
      client,
      name,
      queueUrl: url,
      requestTimeoutMs: timeouts.requestMs,
    });
  });
}

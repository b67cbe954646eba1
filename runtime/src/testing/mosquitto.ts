import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { freePort, waitForPort } from "./ports.js";

/** The broker binary (Debian/Ubuntu `mosquitto` package); `V2C_MOSQUITTO` overrides it. */
const MOSQUITTO = process.env.V2C_MOSQUITTO ?? "/usr/sbin/mosquitto";

export interface MosquittoTls {
  readonly caPath: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** With a CRL, revoked client certificates fail the handshake. */
  readonly crlPath?: string;
}

export interface MosquittoOptions {
  /** mTLS listener: require_certificate + use_identity_as_username (username = cert CN). */
  readonly tls?: MosquittoTls;
  /**
   * ACL file lines for the authenticated (TLS) clients; anonymous (plain listener) clients always
   * get `topic readwrite #`. Default: `pattern readwrite #` (every topic: the launcher knows no
   * spec's topics; pass the vehicle's own-topic patterns to test an ACL).
   */
  readonly acl?: readonly string[];
  readonly maxPacketSize?: number;
  readonly maxTopicAlias?: number;
  /**
   * QoS 1 messages Mosquitto queues per client beyond those in flight (its default, 1000,
   * silently drops the rest when a subscriber falls behind; 0 = no limit).
   */
  readonly maxQueuedMessages?: number;
  /** Keep sessions in a file across a graceful stop/start. */
  readonly persistence?: boolean;
  readonly startTimeoutMs?: number;
}

/** A private Mosquitto on free ports, with its config, ACL and log in a temp dir. */
export interface MosquittoBroker {
  readonly port: number;
  readonly tlsPort: number | undefined;
  readonly dir: string;
  readonly url: string;
  readonly tlsUrl: string | undefined;
  /** Kills the process (SIGKILL by default: a crash) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same ports with the same config. */
  start(): Promise<void>;
  log(): string;
  /** Stops and removes the temp dir. */
  cleanup(): Promise<void>;
}

/** The default ACL for authenticated clients: every topic (see `MosquittoOptions.acl`). */
export const OPEN_ACL: readonly string[] = ["pattern readwrite #"];

/** Starts Mosquitto and resolves when it accepts connections (or rejects on timeout). */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const dir = mkdtempSync(join(tmpdir(), "v2c-mosq-"));
  const port = await freePort();
  const tlsPort = opts.tls ? await freePort() : undefined;
  const aclPath = join(dir, "acl");
  // Lines before any `user` line apply to anonymous clients (the test's plain listener).
  writeFileSync(aclPath, ["topic readwrite #", ...(opts.acl ?? OPEN_ACL)].join("\n") + "\n");
  const lines = [
    "per_listener_settings false",
    "allow_anonymous true",
    "user root",
    `acl_file ${aclPath}`,
    `log_dest file ${join(dir, "mosquitto.log")}`,
    "log_type all",
    `persistence ${opts.persistence ? "true" : "false"}`,
    `persistence_location ${dir}/`,
    ...(opts.maxPacketSize ? [`max_packet_size ${opts.maxPacketSize}`] : []),
    ...(opts.maxQueuedMessages !== undefined
      ? [`max_queued_messages ${opts.maxQueuedMessages}`]
      : []),
    `listener ${port} 127.0.0.1`,
    ...(opts.maxTopicAlias !== undefined ? [`max_topic_alias ${opts.maxTopicAlias}`] : []),
  ];
  if (opts.tls && tlsPort) {
    lines.push(
      `listener ${tlsPort} 127.0.0.1`,
      ...(opts.maxTopicAlias !== undefined ? [`max_topic_alias ${opts.maxTopicAlias}`] : []),
      `cafile ${opts.tls.caPath}`,
      `certfile ${opts.tls.certPath}`,
      `keyfile ${opts.tls.keyPath}`,
      "require_certificate true",
      "use_identity_as_username true",
      ...(opts.tls.crlPath ? [`crlfile ${opts.tls.crlPath}`] : []),
    );
  }
  const confPath = join(dir, "mosquitto.conf");
  writeFileSync(confPath, lines.join("\n") + "\n");
  const startTimeoutMs = opts.startTimeoutMs ?? 5_000;

  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const child = spawn(MOSQUITTO, ["-c", confPath], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    proc = child;
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([
      Promise.all([
        waitForPort(port, startTimeoutMs),
        tlsPort ? waitForPort(tlsPort, startTimeoutMs) : undefined,
      ]),
      exited,
    ]);
  };
  const stop = async (signal: NodeJS.Signals = "SIGKILL"): Promise<void> => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  };
  await start();
  return {
    port,
    tlsPort,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    tlsUrl: tlsPort ? `mqtts://127.0.0.1:${tlsPort}` : undefined,
    stop,
    start,
    log: () => {
      try {
        return readFileSync(join(dir, "mosquitto.log"), "utf8");
      } catch {
        return "";
      }
    },
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

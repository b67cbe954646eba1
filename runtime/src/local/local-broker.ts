import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { renderAcl, renderBrokerConfig, type BrokerSpec } from "./broker-config.js";
import { openDevPki, type DevPki, type PemIdentity } from "./dev-pki.js";
import { assertPortFree, findMosquitto, MosquittoProcess } from "./mosquitto-process.js";

/** TLS options for an MQTT client of the local broker (PEM contents). */
export interface LocalTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly servername: string;
  readonly rejectUnauthorized: true;
}

/** Options of startLocalBroker. */
export interface LocalBrokerOptions {
  readonly spec: BrokerSpec;
  /** Working directory: `pki/`, `broker/` (config, ACL, log, persistence). */
  readonly directory: string;
  readonly port: number;
  readonly engineIdentity: string;
  /** Path of the mosquitto binary (default: PATH, then /usr/sbin). */
  readonly binary?: string;
  readonly autosaveIntervalS?: number;
  /** Where the development PKI lives (default `<directory>/pki`); kept across runs. */
  readonly pkiDir?: string;
}

/** The running local broker and the identities that may use it. */
export interface LocalBroker {
  readonly url: string;
  readonly port: number;
  readonly pki: DevPki;
  readonly process: MosquittoProcess;
  readonly configPath: string;
  readonly aclPath: string;
  /** TLS material of an identity (its certificate is created on first use). */
  tlsFor(cn: string): Promise<LocalTls>;
  stop(): Promise<void>;
}

/** Reads an identity's PEM files into client TLS options. */
export function tlsOptions(pki: DevPki, id: PemIdentity): LocalTls {
  return {
    ca: readFileSync(pki.caPath),
    cert: readFileSync(id.certPath),
    key: readFileSync(id.keyPath),
    servername: "localhost",
    rejectUnauthorized: true,
  };
}

/**
 * Checks the binary and the port (one-line LocalSetupError each), creates the development PKI,
 * writes the config and ACL generated from the spec, and starts Mosquitto as a child process.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const binary = findMosquitto(options.binary);
  await assertPortFree(options.port);
  const brokerDir = join(options.directory, "broker");
  mkdirSync(brokerDir, { recursive: true });
  const pki = await openDevPki(options.pkiDir ?? join(options.directory, "pki"));
  const aclPath = join(brokerDir, "acl");
  const configPath = join(brokerDir, "mosquitto.conf");
  const logPath = join(brokerDir, "mosquitto.log");
  writeFileSync(aclPath, renderAcl(options.spec, options.engineIdentity));
  writeFileSync(
    configPath,
    renderBrokerConfig(options.spec, {
      port: options.port,
      dataDir: brokerDir,
      aclPath,
      logPath,
      caPath: pki.caPath,
      certPath: pki.server.certPath,
      keyPath: pki.server.keyPath,
      engineIdentity: options.engineIdentity,
      ...(process.getuid?.() === 0 ? { runAsUser: userInfo().username } : {}),
      ...(options.autosaveIntervalS !== undefined
        ? { autosaveIntervalS: options.autosaveIntervalS }
        : {}),
    }),
  );
  const proc = new MosquittoProcess({ binary, configPath, logPath, port: options.port });
  await proc.start();
  return {
    url: `mqtts://127.0.0.1:${options.port}`,
    port: options.port,
    pki,
    process: proc,
    configPath,
    aclPath,
    tlsFor: async (cn) => tlsOptions(pki, await pki.client(cn)),
    stop: () => proc.kill("SIGTERM"),
  };
}

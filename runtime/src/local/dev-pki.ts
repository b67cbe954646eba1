import "reflect-metadata";
import { webcrypto } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const DAY = 86_400_000;

/** PEM files of one identity (certificate + PKCS#8 key). */
export interface PemIdentity {
  readonly certPath: string;
  readonly keyPath: string;
}

/** A development PKI on disk: one CA, a server certificate for 127.0.0.1/localhost, clients on demand. */
export interface DevPki {
  readonly dir: string;
  readonly caPath: string;
  readonly server: PemIdentity;
  /** A client certificate whose CN (the broker's username and client id) is `cn`; reused when present. */
  client(cn: string, opts?: { validDays?: number; notBefore?: Date }): Promise<PemIdentity>;
}

interface CaMaterial {
  readonly cert: x509.X509Certificate;
  readonly key: CryptoKey;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64.trimEnd()}\n-----END ${label}-----\n`;
}

function derOf(text: string): Buffer {
  return Buffer.from(text.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function writeIdentity(
  dir: string,
  name: string,
  cert: x509.X509Certificate,
  key: CryptoKey,
): Promise<PemIdentity> {
  const certPath = join(dir, `${name}.crt`);
  const keyPath = join(dir, `${name}.key`);
  writeFileSync(keyPath, pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", key)), {
    mode: 0o600,
  });
  writeFileSync(certPath, cert.toString("pem") + "\n");
  return { certPath, keyPath };
}

async function loadOrCreateCa(dir: string): Promise<CaMaterial> {
  const certPath = join(dir, "ca.crt");
  const keyPath = join(dir, "ca.key");
  if (existsSync(certPath) && existsSync(keyPath)) {
    const cert = new x509.X509Certificate(readFileSync(certPath, "utf8"));
    const key = await webcrypto.subtle.importKey(
      "pkcs8",
      derOf(readFileSync(keyPath, "utf8")),
      EC,
      true,
      ["sign"],
    );
    if (cert.notAfter.getTime() > Date.now() + DAY) return { cert, key: key as CryptoKey };
  }
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=v2c local development CA",
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 365 * DAY),
    signingAlgorithm: SIGN,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });
  await writeIdentity(dir, "ca", cert, keys.privateKey);
  return { cert, key: keys.privateKey };
}

async function issue(
  ca: CaMaterial,
  cn: string,
  extensions: x509.Extension[],
  notBefore: Date,
  notAfter: Date,
): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await newKeys();
  const cert = await x509.X509CertificateGenerator.create({
    subject: `CN=${cn}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: SIGN,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      ...extensions,
    ],
  });
  return { cert, key: keys.privateKey };
}

/**
 * Opens (or creates) the development PKI under `dir`: a CA kept across runs, a server
 * certificate for 127.0.0.1 and localhost, and client certificates created on first use (the
 * CN is the identity Mosquitto turns into the username and the client id).
 */
export async function openDevPki(dir: string): Promise<DevPki> {
  mkdirSync(dir, { recursive: true });
  const ca = await loadOrCreateCa(dir);
  const caPath = join(dir, "ca.crt");
  const reuse = async (name: string): Promise<PemIdentity | undefined> => {
    const id = { certPath: join(dir, `${name}.crt`), keyPath: join(dir, `${name}.key`) };
    if (!existsSync(id.certPath) || !existsSync(id.keyPath)) return undefined;
    const cert = new x509.X509Certificate(readFileSync(id.certPath, "utf8"));
    const fresh = cert.issuer === ca.cert.subject && cert.notAfter.getTime() > Date.now() + DAY;
    return fresh && (await cert.verify({ publicKey: ca.cert.publicKey })) ? id : undefined;
  };
  const now = Date.now();
  let server = await reuse("server");
  if (!server) {
    const s = await issue(
      ca,
      "localhost",
      [
        new x509.SubjectAlternativeNameExtension([
          { type: "ip", value: "127.0.0.1" },
          { type: "dns", value: "localhost" },
        ]),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
      new Date(now - DAY),
      new Date(now + 90 * DAY),
    );
    server = await writeIdentity(dir, "server", s.cert, s.key);
  }
  return {
    dir,
    caPath,
    server,
    async client(cn, opts) {
      if (!/^[A-Za-z0-9._-]+$/.test(cn)) throw new RangeError(`not a safe certificate CN: ${cn}`);
      const custom = opts?.validDays !== undefined || opts?.notBefore !== undefined;
      const name = custom ? `client-${cn}-${Date.now()}` : `client-${cn}`;
      if (!custom) {
        const existing = await reuse(name);
        if (existing) return existing;
      }
      const from = opts?.notBefore ?? new Date(Date.now() - DAY);
      const c = await issue(
        ca,
        cn,
        [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
        from,
        new Date(from.getTime() + (opts?.validDays ?? 90) * DAY),
      );
      return writeIdentity(dir, name, c.cert, c.key);
    },
  };
}

import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, readFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { delimiter, join } from "node:path";

/** A problem the user fixes (printed as one line, no stack trace). */
export class LocalSetupError extends Error {
  override readonly name = "LocalSetupError";
}

/** Finds the `mosquitto` binary on PATH or in the Debian location; one-line error when absent. */
export function findMosquitto(explicit?: string): string {
  const candidates = explicit
    ? [explicit]
    : [
        ...(process.env.PATH ?? "").split(delimiter).map((d) => join(d, "mosquitto")),
        "/usr/sbin/mosquitto",
        "/usr/local/sbin/mosquitto",
      ];
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new LocalSetupError(
    `mosquitto not found${explicit ? ` at ${explicit}` : " on PATH or in /usr/sbin"}: install it (apt-get install mosquitto) or pass --mosquitto <path>`,
  );
}

/** Resolves when `port` can be bound on `host`; one-line error when it is taken. */
export async function assertPortFree(port: number, host = "127.0.0.1"): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new LocalSetupError(
          e.code === "EADDRINUSE"
            ? `port ${port} on ${host} is already in use (another broker?): stop it or pass --port <n>`
            : `cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
        ),
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** Resolves once a TCP connection to host:port succeeds; rejects after `timeoutMs`. */
export async function waitForPort(port: number, host: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new LocalSetupError(`mosquitto did not listen on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Options of MosquittoProcess. */
export interface MosquittoProcessOptions {
  readonly binary: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly port: number;
  readonly host?: string;
  readonly startTimeoutMs?: number;
}

/**
 * Mosquitto as a child process: start (waits until it listens), kill (SIGKILL = a crash),
 * restart, and save its in-memory state (SIGUSR1 writes the persistence file).
 */
export class MosquittoProcess {
  private child: ChildProcess | undefined;
  /** Times it was started. */
  starts = 0;

  constructor(private readonly options: MosquittoProcessOptions) {}

  get running(): boolean {
    const c = this.child;
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the broker; rejects with a one-line LocalSetupError when it exits or never listens. */
  async start(): Promise<void> {
    const o = this.options;
    const child = spawn(o.binary, ["-c", o.configPath], { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    this.starts++;
    // Never leave a broker behind when this process ends, however it ends.
    const reap = () => child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.off("exit", reap));
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<never>((_, reject) => {
      child.once("error", (e) => reject(new LocalSetupError(`mosquitto: ${e.message}`)));
      child.once("exit", (code) => {
        const why = (stderr || this.logTail()).trim().split("\n").filter(Boolean).at(-1);
        reject(new LocalSetupError(`mosquitto exited (${code}) at start: ${why ?? "no output"}`));
      });
    });
    exited.catch(() => undefined);
    await Promise.race([
      waitForPort(o.port, o.host ?? "127.0.0.1", o.startTimeoutMs ?? 5000),
      exited,
    ]);
  }

  /** Sends `signal` (default SIGKILL: a crash) and waits for the exit. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  }

  /** Asks Mosquitto to write its persistence file now (sessions and subscriptions survive a crash). */
  save(): void {
    if (this.running) this.child!.kill("SIGUSR1");
  }

  /** The last lines of the broker log (for error messages). */
  logTail(lines = 5): string {
    try {
      return readFileSync(this.options.logPath, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }
}

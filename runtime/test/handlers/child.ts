/** Spawning and killing the handler process of `crash-child.ts`. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const CHILD = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
let bundled: Promise<string> | undefined;

/**
 * Bundles `crash-child.ts` once per test process (esbuild, native addons external), so each
 * handler process starts as plain `node` in a fraction of a second instead of through tsx.
 */
export function bundleHandlerProcess(): Promise<string> {
  bundled ??= (async () => {
    // A temp directory with a node_modules link to the repository's, so the bundle's bare
    // imports of the native addons resolve.
    const dir = mkdtempSync(join(tmpdir(), "handler-child-"));
    symlinkSync(
      fileURLToPath(new URL("../../../node_modules", import.meta.url)),
      join(dir, "node_modules"),
    );
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, "crash-child.js");
    await build({
      entryPoints: [CHILD],
      outdir: dir,
      outExtension: { ".js": ".js" },
      splitting: true,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      external: ["better-sqlite3", "@mongodb-js/zstd", "dynalite", "s3rver"],
      // ESM chunks: the package.json below makes node treat .js as ESM.
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: "error",
    });
    writeFileSync(join(dir, "package.json"), '{"type":"module"}\n');
    return outfile;
  })();
  return bundled;
}

/** A running handler process and what it printed. */
export interface HandlerProcess {
  readonly child: ChildProcess;
  /** Indexes of the events it acknowledged. */
  readonly acked: number[];
  /** Every line it printed so far. */
  readonly lines: readonly string[];
  /** Resolves when a line equal to `line` (or starting with it) was printed. */
  waitFor(line: string, timeoutMs?: number): Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** Waits for a normal exit. */
  exited(timeoutMs?: number): Promise<number | null>;
}

/** Starts `crash-child.ts` with `args` (see its usage). */
export function startHandlerProcess(
  args: readonly string[],
  env: Record<string, string> = {},
): HandlerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const acked: number[] = [];
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  let buffer = "";
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => void (stderr += d.toString()));
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      if (line.startsWith("ack ")) acked.push(Number(line.slice(4)));
      for (const w of waiters.filter((w) => line.startsWith(w.line))) w.resolve();
    }
  });
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const withTimeout = <T>(p: Promise<T>, ms: number, what: string) =>
    Promise.race([
      p,
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`${what} within ${ms} ms; stderr: ${stderr.slice(-2000)}`)),
          ms,
        ).unref(),
      ),
    ]);
  return {
    child,
    acked,
    lines,
    waitFor: (line, timeoutMs = 20_000) => {
      if (lines.some((l) => l.startsWith(line))) return Promise.resolve();
      return withTimeout(
        new Promise<void>((resolve) => waiters.push({ line, resolve })),
        timeoutMs,
        `no "${line}"`,
      );
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exit;
    },
    exited: (timeoutMs = 30_000) => withTimeout(exit, timeoutMs, "no exit"),
  };
}

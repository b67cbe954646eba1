import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const DRIVER = fileURLToPath(new URL("./driver.mjs", import.meta.url));

/** One invocation's outcome as the driver reports it. */
export type CallResult =
  | { readonly ok: true; readonly result: Record<string, unknown> }
  | { readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

/**
 * Imports `bundle` in a fresh plain `node` process (no tsx, no vitest loader, not `node -e`)
 * with `env`, invokes its handler once per event in order and returns each outcome. Fails
 * with the child's stderr when the process dies or exceeds `timeoutMs`.
 */
export function invokeBundle(
  bundle: string,
  env: Readonly<Record<string, string>>,
  events: readonly unknown[],
  timeoutMs = 60_000,
): Promise<CallResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DRIVER], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`bundle ${bundle} did not finish in ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const results = stdout
        .split("\n")
        .filter((l) => l.startsWith("V2C-RESULT "))
        .map((l) => JSON.parse(l.slice("V2C-RESULT ".length)) as CallResult);
      if (code !== 0 || results.length !== events.length) {
        reject(
          new Error(
            `bundle ${bundle} exited ${code} after ${results.length} calls\n${stderr}\n${stdout}`,
          ),
        );
      } else resolve(results);
    });
    child.stdin.end(JSON.stringify({ bundle, calls: events.map((event) => ({ event })) }));
  });
}

import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const TOOL_ROOT = resolve(import.meta.dirname, "..");

/** Version of an installed package (read from node_modules; some packages do not export package.json). */
export function packageVersion(name: string): string {
  return (
    JSON.parse(readFileSync(resolve(TOOL_ROOT, "node_modules", name, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
}

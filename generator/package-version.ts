import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const TOOL_ROOT = resolve(import.meta.dirname, "..");

/** Versions read so far in this process (the emitters and caches ask for the same few, often). */
const versions = new Map<string, string>();

/** Version of an installed package (read from node_modules; some packages do not export package.json). */
export function packageVersion(name: string): string {
  let version = versions.get(name);
  if (version === undefined) {
    const file = resolve(TOOL_ROOT, "node_modules", name, "package.json");
    version = (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
    versions.set(name, version);
  }
  return version;
}

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A content-addressed cache for slow, pure steps (the official AsyncAPI parser, ts-proto).
 * The key hashes every input including the tool version, so a hit is always the answer the
 * step would give; deleting the folder only costs time. Lives in node_modules/.cache, which
 * is never committed.
 */
export class StepCache {
  constructor(private readonly dir: string | undefined) {}

  /** Hashes the parts that determine a step's result. */
  static key(...parts: (string | Uint8Array)[]): string {
    const h = createHash("sha256");
    for (const p of parts) {
      h.update(typeof p === "string" ? p : Buffer.from(p));
      h.update("\0");
    }
    return h.digest("hex");
  }

  get<T>(step: string, key: string): T | undefined {
    if (!this.dir) return undefined;
    try {
      return JSON.parse(readFileSync(join(this.dir, `${step}-${key}.json`), "utf8")) as T;
    } catch {
      return undefined;
    }
  }

  set(step: string, key: string, value: unknown): void {
    if (!this.dir) return;
    try {
      mkdirSync(this.dir, { recursive: true });
      const file = join(this.dir, `${step}-${key}.json`);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(value));
      renameSync(tmp, file);
    } catch {
      // A cache that cannot be written is only slower.
    }
  }
}

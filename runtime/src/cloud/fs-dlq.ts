import { link, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { parseDeadLetterEntry, serializeDeadLetterEntry } from "./dlq-entry.js";
import { dlqKey } from "./dlq-key.js";
import type { DeadLetterEntry, DeadLetterQueue } from "./ports.js";

/** Options of FsDeadLetterQueue. */
export interface FsDeadLetterQueueOptions {
  /** Directory that plays the bucket: key `dlq/a/b.json` is file `{root}/dlq/a/b.json`. */
  readonly root: string;
}

/** Local dead-letter queue: the S3 key layout as files under a directory. */
export class FsDeadLetterQueue implements DeadLetterQueue {
  // Directories known to exist (a day's directory per reason and vehicle is made once).
  private readonly made = new Set<string>();

  constructor(private readonly options: FsDeadLetterQueueOptions) {}

  /**
   * @inheritdoc — written to a temp file, then hard-linked to its key (link fails on an
   * existing file, unlike rename which replaces it), so a reader never sees half an entry and
   * no entry is ever overwritten.
   */
  async put(entry: DeadLetterEntry): Promise<string> {
    for (;;) {
      const key = dlqKey(entry);
      const path = this.pathOf(key);
      const dir = dirname(path);
      if (!this.made.has(dir)) {
        await mkdir(dir, { recursive: true });
        this.made.add(dir);
      }
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, serializeDeadLetterEntry(entry));
      } catch (error) {
        // The directory went away (removed by hand): make it again and retry.
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        this.made.delete(dir);
        continue;
      }
      try {
        await link(tmp, path);
        return key;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      } finally {
        await rm(tmp, { force: true });
      }
    }
  }

  /** @inheritdoc */
  async list(prefix: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.options.root, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return names
      .map((name) => name.split(sep).join("/"))
      .filter((key) => key.endsWith(".json") && key.startsWith(prefix))
      .sort();
  }

  /** @inheritdoc */
  async get(key: string): Promise<DeadLetterEntry | undefined> {
    try {
      return parseDeadLetterEntry(await readFile(this.pathOf(key), "utf8"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  // Keys come from callers (list/get/delete): refuse anything escaping the root.
  private pathOf(key: string): string {
    const path = join(this.options.root, ...key.split("/"));
    const rel = relative(this.options.root, path);
    if (rel.startsWith("..") || rel === "" || key.includes("\\")) {
      throw new RangeError(`bad DLQ key: ${key}`);
    }
    return path;
  }
}

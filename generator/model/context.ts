import type { DiagnosticBag } from "../diagnostics.js";
import type { YamlSource } from "../load/yaml-source.js";
import { parseDuration } from "./duration.js";

/** Reports problems at a path inside one source file. */
export class SourceContext {
  constructor(
    readonly source: YamlSource,
    readonly bag: DiagnosticBag,
  ) {}

  error(path: readonly (string | number)[], code: string, message: string): void {
    this.bag.error(this.source.file, this.source.locate(path), code, message);
  }

  warning(path: readonly (string | number)[], code: string, message: string): void {
    this.bag.warning(this.source.file, this.source.locate(path), code, message);
  }

  /** Parses a duration at `path`, reporting an error (and returning 0) when it is malformed. */
  duration(text: unknown, path: readonly (string | number)[]): number {
    const ms = typeof text === "string" ? parseDuration(text) : undefined;
    if (ms === undefined) {
      this.error(
        path,
        "spec/bad-duration",
        `"${String(text)}" is not a duration (use e.g. 500ms, 60s, 5m, 1h, 7d)`,
      );
      return 0;
    }
    return ms;
  }
}

/** Resolves a local `$ref` such as `#/components/parameters/region` inside a document. */
export function resolveLocalRef(doc: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = doc;
  for (const seg of ref.slice(2).split("/")) {
    const key = seg.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

/** Splits a `#/a/b/c` reference into its segments. */
export function refSegments(ref: string): string[] {
  return ref.replace(/^#\//, "").split("/");
}

// The code blocks of a package README that the consumer test runs. Convention (the README
// templates follow it): every ```ts / ```js block is a complete ES module program, preceded by
// `<!-- example: <name> -->` or `<!-- example: <name>, prints: <last line> -->`.

/** One runnable block of a README. */
export interface ReadmeBlock {
  /** The marker's name (unique within its README). */
  readonly name: string;
  readonly lang: "ts" | "js";
  readonly code: string;
  /** What the program's last stdout line must be, when the marker says. */
  readonly prints?: string;
}

/** The README's code blocks by language: every `ts`/`js` block, and any other language. */
export function readmeBlocks(readme: string): {
  runnable: ReadmeBlock[];
  unmarked: string[];
  otherLanguages: string[];
} {
  const runnable: ReadmeBlock[] = [];
  const unmarked: string[] = [];
  const otherLanguages: string[] = [];
  const fence =
    /(?:<!--\s*example:\s*([^,>\s]+)(?:,\s*prints:\s*([^>]*?))?\s*-->\s*)?```(\w*)\n([\s\S]*?)```/g;
  for (const m of readme.matchAll(fence)) {
    const [, name, prints, lang, code] = m;
    if (lang !== "ts" && lang !== "js" && lang !== "typescript" && lang !== "javascript") {
      otherLanguages.push(lang ?? "");
      continue;
    }
    if (!name) {
      unmarked.push(code!.split("\n")[0] ?? "");
      continue;
    }
    runnable.push({
      name,
      lang: lang.startsWith("t") ? "ts" : "js",
      code: code!,
      ...(prints ? { prints: prints.trim() } : {}),
    });
  }
  return { runnable, unmarked, otherLanguages };
}

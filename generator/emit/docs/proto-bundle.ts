import { stripCustomOptions } from "./proto-options.js";

/** The root folder of proto import paths, relative to the spec root. */
const PROTO_ROOT = "proto/";

const IMPORT = /^[ \t]*import\s+(?:weak\s+|public\s+)?"([^"]+)"\s*;[ \t]*(?:\/\/[^\n]*)?\n?/gm;
const PACKAGE = /^[ \t]*package\s+([\w.]+)\s*;/m;
const HEADER_LINE = /^[ \t]*(?:syntax|package)\s*=?[^;\n]*;[ \t]*\n?/gm;

/** The AsyncAPI comment tag that tells the protobuf schema parser which message is the payload. */
export const ROOT_NODE_TAG = "@RootNode";

interface SplitFile {
  readonly body: string;
  readonly keptImports: string[];
  readonly payloadImports: string[];
}

/**
 * One self-contained proto text for a message payload, as the AsyncAPI protobuf schema parser
 * needs it (it resolves no import of our own files):
 * - imports of option files (files that `extend` descriptor options) are dropped, together with
 *   every custom option;
 * - imported payload files of the same package are appended (transitively, each once), so
 *   the types the message uses are defined in the text;
 * - `google/...` and `buf/validate/...` imports stay (the parser ships those; protovalidate
 *   rules stay with them, so the bundled schema carries the ranges);
 * - the payload message is tagged `@RootNode` so that the parser never has to guess it.
 * `sources` maps `proto/<import path>` to file text; `entry` is such a key.
 */
export function bundleProto(
  entry: string,
  sources: ReadonlyMap<string, string>,
  rootMessage: string,
): string {
  const read = (file: string): string => {
    const text = sources.get(file);
    if (text === undefined) throw new Error(`proto source ${file} is not available for bundling`);
    return text;
  };
  const pkg = packageOf(read(entry), entry);
  const first = splitImports(read(entry), sources);
  const googleImports = new Set(first.keptImports);
  const appended: string[] = [];
  const seen = new Set([entry]);
  const queue = [...first.payloadImports];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = read(file);
    if (packageOf(text, file) !== pkg) {
      throw new Error(
        `cannot bundle ${file} into ${entry}: package ${packageOf(text, file)} differs from ${pkg}`,
      );
    }
    const dep = splitImports(text, sources);
    dep.keptImports.forEach((i) => googleImports.add(i));
    queue.push(...dep.payloadImports);
    appended.push(
      `// ---- ${file.slice(PROTO_ROOT.length)} ----\n${dep.body.replace(HEADER_LINE, "").trim()}\n`,
    );
  }
  let body = first.body;
  const missing = [...googleImports].filter((i) => !first.keptImports.includes(i)).sort();
  if (missing.length > 0) {
    body = body.replace(
      PACKAGE,
      (line) => `${line}\n${missing.map((i) => `import "${i}";`).join("\n")}`,
    );
  }
  body = tagRoot(body, rootMessage, entry);
  return [body.replace(/\n{3,}/g, "\n\n").trimEnd(), ...appended]
    .join("\n\n")
    .replace(/\n*$/, "\n");
}

/** Removes our own imports (remembering payload files to append) and custom options. */
function splitImports(text: string, sources: ReadonlyMap<string, string>): SplitFile {
  const keptImports: string[] = [];
  const payloadImports: string[] = [];
  const body = text.replace(IMPORT, (line, path: string) => {
    if (path.startsWith("google/") || path.startsWith("buf/validate/")) {
      keptImports.push(path);
      return line;
    }
    const file = `${PROTO_ROOT}${path}`;
    const imported = sources.get(file);
    if (imported === undefined)
      throw new Error(`import "${path}" names no file under ${PROTO_ROOT}`);
    if (!/^[ \t]*extend\s/m.test(imported)) payloadImports.push(file);
    return "";
  });
  return { body: stripCustomOptions(body), keptImports, payloadImports };
}

function packageOf(text: string, file: string): string {
  const m = PACKAGE.exec(text);
  if (!m) throw new Error(`${file} declares no package`);
  return m[1]!;
}

/** Adds `// @RootNode` to the comment of the top-level `message <name>`. */
function tagRoot(body: string, name: string, file: string): string {
  const decl = new RegExp(`^message\\s+${name}\\s*\\{`, "m");
  if (!decl.test(body)) throw new Error(`${file} declares no top-level message ${name}`);
  return body.replace(decl, (m) => `// ${ROOT_NODE_TAG}\n${m}`);
}

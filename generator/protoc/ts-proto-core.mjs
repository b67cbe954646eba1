// The steps of ts-proto's protoc plugin (ts-proto/build/src/plugin.js, version pinned in
// package.json), run on a serialized CodeGeneratorRequest without a child process and without
// re-encoding the response. Plain CommonJS so that the generator can run it both in its own
// thread and in a worker thread (generator/protoc/ts-proto-plugin.ts), from the bundled CLI
// or from the TypeScript sources alike. Only the options the generator passes are supported
// (no type registry, no index files).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * ts-poet loads dprint-node (a native formatter) when it is first required, and dprint-node
 * runs a child process to detect the C library (~40 ms) — even when nothing is formatted. Until
 * something really formats, a stand-in that loads the real module on its first call takes its
 * place in the module cache.
 */
function deferDprint(tsPoetRequire) {
  let path;
  try {
    path = tsPoetRequire.resolve("dprint-node");
  } catch {
    return;
  }
  if (require.cache[path]) return;
  let real;
  const load = () => {
    if (!real) {
      if (require.cache[path] && require.cache[path].exports === standIn)
        delete require.cache[path];
      real = tsPoetRequire("dprint-node");
    }
    return real;
  };
  const standIn = { format: (...args) => load().format(...args) };
  require.cache[path] = { id: path, filename: path, loaded: true, exports: standIn, children: [] };
}

/**
 * Runs ts-proto on `request` (bytes of a CodeGeneratorRequest). With `dprint` false the text is
 * not run through ts-poet's formatter (the generator formats it with prettier). Resolves to
 * `[{ name, content }]`, as the plugin's CodeGeneratorResponse would carry them.
 */
export async function generate(request, dprint) {
  const base = require.resolve("ts-proto");
  const from = createRequire(base);
  if (!dprint) deferDprint(createRequire(from.resolve("ts-poet")));
  const { CodeGeneratorRequest } = from("ts-proto-descriptors");
  const main = from("./main");
  const types = from("./types");
  const context = from("./context");
  const tsPoet = from("./options");
  const utils = from("./utils");

  const req = CodeGeneratorRequest.decode(request);
  const { protocVersion, tsProtoVersion } = await utils.getVersions(req);
  const opts = tsPoet.optionsFromParameter(req.parameter);
  if (opts.outputTypeRegistry || opts.outputIndex)
    throw new Error("ts-proto in process: outputTypeRegistry and outputIndex are not supported");
  const ctx = {
    typeMap: types.createTypeMap(req, opts),
    options: opts,
    utils: main.makeUtils(opts),
  };
  const files = opts.emitImportedFiles
    ? withImports(req, opts.M)
    : utils.protoFilesToGenerate(req).filter((f) => !opts.M[f.name]);
  return files.map((file) => {
    const [path, code] = main.generateFile(
      { ...ctx, currentFile: context.createFileContext(file) },
      file,
    );
    const content = code.toString({
      ...tsPoet.getTsPoetOpts(opts, tsProtoVersion, protocVersion, file.name),
      path,
      ...(dprint ? {} : { format: false }),
    });
    return { name: path, content };
  });
}

/** The files to generate plus everything they import, unless mapped elsewhere (plugin.js's order). */
function withImports(req, mapped) {
  const names = new Set();
  const add = (list) => {
    for (const name of list.filter((n) => !mapped[n])) {
      if (names.has(name)) continue;
      names.add(name);
      const file = req.protoFile.find((f) => f.name === name);
      if (file && file.dependency.length > 0) add(file.dependency);
    }
  };
  add(req.fileToGenerate);
  return req.protoFile.filter((f) => names.has(f.name));
}

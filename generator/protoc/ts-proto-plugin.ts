import { createRequire } from "node:module";

/** One generated file, as protoc's CodeGeneratorResponse would carry it. */
export interface PluginFile {
  readonly name: string;
  readonly content: string;
}

const require = createRequire(import.meta.url);

/* eslint-disable @typescript-eslint/no-explicit-any -- ts-proto's internal modules ship no types we can import by path */
/**
 * Runs ts-proto's protoc plugin in this process on a serialized CodeGeneratorRequest: the same
 * steps as `protoc-gen-ts_proto` (ts-proto/build/src/plugin.js, version pinned in package.json)
 * without a child process and without re-encoding the response. A test compares the result with
 * the plugin run as a child process, so a ts-proto upgrade that changes these steps fails there.
 * Only the options this generator passes are supported (no type registry, no index files).
 * With `dprint: false` the text is not run through ts-poet's formatter (the generator formats
 * it with prettier); the equivalence test runs it with dprint.
 */
export async function runTsProtoInProcess(
  request: Uint8Array,
  options: { readonly dprint?: boolean } = {},
): Promise<PluginFile[]> {
  const base = require.resolve("ts-proto");
  const from = createRequire(base);
  const { CodeGeneratorRequest } = from("ts-proto-descriptors") as any;
  const main = from("./main") as any;
  const types = from("./types") as any;
  const context = from("./context") as any;
  const tsPoet = from("./options") as any;
  const utils = from("./utils") as any;

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
    : (utils.protoFilesToGenerate(req) as any[]).filter((f) => !opts.M[f.name]);
  return files.map((file) => {
    const [path, code] = main.generateFile(
      { ...ctx, currentFile: context.createFileContext(file) },
      file,
    );
    const content: string = code.toString({
      ...tsPoet.getTsPoetOpts(opts, tsProtoVersion, protocVersion, file.name),
      path,
      // ts-poet formats with dprint (a native module, ~0.2 s to load and run); prettier formats
      // the file afterwards anyway, so the generator skips it (`dprint: false`).
      ...(options.dprint === false ? { format: false } : {}),
    });
    return { name: path as string, content };
  });
}
/** The files to generate plus everything they import, unless mapped elsewhere (plugin.js's order). */
function withImports(req: any, mapped: Record<string, string>): any[] {
  const names = new Set<string>();
  const add = (list: string[]): void => {
    for (const name of list.filter((n) => !mapped[n])) {
      if (names.has(name)) continue;
      names.add(name);
      const file = req.protoFile.find((f: any) => f.name === name);
      if (file && file.dependency.length > 0) add(file.dependency);
    }
  };
  add(req.fileToGenerate);
  return req.protoFile.filter((f: any) => names.has(f.name));
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * The npm manifest every generated package shares: ESM only, compiled to `dist/` with `.d.ts`
 * by `npm run build` (tsconfig.build.json), a named public API (`exports` lists each entry point;
 * nothing else is importable), a `files` allow-list (dist and README only: no tests, no
 * tsconfig), `engines`. Inside the generator's repository the custom `v2c-source` condition
 * resolves each entry point to its TypeScript source instead (tsconfig `customConditions`,
 * vitest and tsx `--conditions=v2c-source`); installed packages never see the sources.
 */

/** Node versions the generated packages run on (the runtime's floor). */
export const NODE_ENGINES = ">=20.10";

/** The custom export condition that resolves to TypeScript sources inside the repository. */
export const SOURCE_CONDITION = "v2c-source";

/** What a generated package declares. */
export interface ManifestInput {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  /** Subpath (`.`, `./lambda/x`) -> module under `src/` without extension (`index`, `lambda/x`). */
  readonly entryPoints: Readonly<Record<string, string>>;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  /** Optional peers (installed only by those who use the part that needs them). */
  readonly optionalPeers?: readonly string[];
  readonly scripts?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly bin?: Readonly<Record<string, string>>;
}

const sorted = (r: Readonly<Record<string, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The package.json object of a generated package (deterministic key order). */
export function packageManifest(input: ManifestInput): Record<string, unknown> {
  const exports: Record<string, unknown> = {};
  for (const [subpath, module] of Object.entries(input.entryPoints)) {
    exports[subpath] = {
      [SOURCE_CONDITION]: `./src/${module}.ts`,
      types: `./dist/${module}.d.ts`,
      import: `./dist/${module}.js`,
    };
  }
  exports["./package.json"] = "./package.json";
  return {
    name: input.name,
    version: input.version,
    description: input.description,
    type: "module",
    license: "UNLICENSED",
    engines: { node: NODE_ENGINES },
    sideEffects: false,
    files: ["dist", "README.md"],
    exports,
    ...(input.bin ? { bin: input.bin } : {}),
    scripts: { build: "tsc -p tsconfig.build.json", ...(input.scripts ?? {}) },
    dependencies: sorted(input.dependencies),
    ...(input.peerDependencies
      ? {
          peerDependencies: sorted(input.peerDependencies),
          peerDependenciesMeta: Object.fromEntries(
            [...(input.optionalPeers ?? [])].sort().map((p) => [p, { optional: true }]),
          ),
        }
      : {}),
    ...(input.devDependencies ? { devDependencies: sorted(input.devDependencies) } : {}),
  };
}

/**
 * The compiler options every generated package's tsconfig carries inline (the same values as the
 * toolchain's tsconfig.base.json), so a package type-checks wherever it is written: no `extends`
 * pointing back into the generator's repository.
 */
export const PACKAGE_COMPILER_OPTIONS: Readonly<Record<string, unknown>> = {
  target: "ES2022",
  lib: ["ES2023"],
  module: "ESNext",
  moduleResolution: "Bundler",
  customConditions: [SOURCE_CONDITION],
  types: ["node"],
  strict: true,
  noUncheckedIndexedAccess: true,
  noImplicitOverride: true,
  exactOptionalPropertyTypes: false,
  esModuleInterop: true,
  resolveJsonModule: true,
  skipLibCheck: true,
  isolatedModules: true,
  verbatimModuleSyntax: false,
  noEmit: true,
};

/** `tsconfig.json` of a package: type-checks `include` (sources and tests) against the sources of the other packages. */
export function packageTsconfig(include: readonly string[]): Record<string, unknown> {
  return { compilerOptions: { ...PACKAGE_COMPILER_OPTIONS }, include: [...include] };
}

/** The content of a package's `tsconfig.json` (see {@link packageTsconfig}). */
export function packageTsconfigContent(include: readonly string[]): string {
  return `${JSON.stringify(packageTsconfig(include), null, 2)}\n`;
}

/**
 * `tsconfig.build.json`: `src/` to `dist/` (ESM + .d.ts + maps), resolving the other packages
 * to their built `.d.ts` (no source condition), so the packages build in dependency order.
 */
export function buildTsconfig(): Record<string, unknown> {
  return {
    compilerOptions: {
      ...PACKAGE_COMPILER_OPTIONS,
      rootDir: "src",
      outDir: "dist",
      noEmit: false,
      declaration: true,
      declarationMap: true,
      sourceMap: true,
      module: "NodeNext",
      moduleResolution: "NodeNext",
      customConditions: [],
    },
    include: ["src"],
  };
}

/** The manifest and build config files of a package under `dir` (e.g. `spec`). */
export function manifestFiles(
  dir: string,
  input: ManifestInput,
): { path: string; content: string }[] {
  return [
    {
      path: `${dir}/package.json`,
      content: `${JSON.stringify(packageManifest(input), null, 2)}\n`,
    },
    {
      path: `${dir}/tsconfig.build.json`,
      content: `${JSON.stringify(buildTsconfig(), null, 2)}\n`,
    },
  ];
}

/** What a cloud function installs besides the runtime: AWS SDK v3, Powertools, breakers, zstd. */
export const CLOUD_DEPENDENCIES = [
  "@aws-lambda-powertools/logger",
  "@aws-lambda-powertools/metrics",
  "@aws-sdk/client-dynamodb",
  "@aws-sdk/client-s3",
  "@aws-sdk/client-sqs",
  "@aws-sdk/client-timestream-write",
  "@aws-sdk/lib-dynamodb",
  "@mongodb-js/zstd",
  "cockatiel",
  "hdr-histogram-js",
] as const;

/** Needed only by the local adapters (SQLite stores): an optional peer of the cloud packages. */
export const LOCAL_ADAPTER_PEERS = ["better-sqlite3"] as const;

/** What the local flow installs besides the other packages: SQLite, dev PKI, Prometheus. */
export const LOCAL_DEPENDENCIES = [
  "@peculiar/x509",
  "better-sqlite3",
  "hdr-histogram-js",
  "mqtt-packet",
  "prom-client",
  "reflect-metadata",
] as const;

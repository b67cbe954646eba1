import type { EmitContext, GeneratedFile } from "../types.js";
import { sourceList } from "../names.js";
import { loadTemplates } from "../templates.js";
import { RUNTIME } from "../spec/package.js";
import type { PackageVersions } from "../spec/package.js";
import { packageVersion } from "../../package-version.js";
import { ImportCollector } from "../imports.js";
import { manifestFiles, packageTsconfigContent } from "../package-manifest.js";

/** What a vehicle installs besides the runtime: MQTT, the write-ahead queue (SQLite), zstd. */
export const VEHICLE_DEPENDENCIES = ["@mongodb-js/zstd", "better-sqlite3", "mqtt", "mqtt-packet"];
import { clientView, RUNTIME_CLIENT } from "./view.js";

/**
 * The README's runnable example (run by the repository's consumer test against a local broker
 * through `V2C_BROKER_URL`): the first send operation, values from the spec's examples.
 */
function readmeExample(
  view: ReturnType<typeof clientView>,
  server: string | undefined,
  vehicleId: string,
): { server: string; vehicleId: string; topicParams: string; send: string } | undefined {
  const send = view.sends[0] as { id: string } | undefined;
  if (!send || server === undefined) return undefined;
  const params = Object.fromEntries(
    view.configParams.map((p) => [
      p.name,
      p.type.startsWith('"') ? JSON.parse(p.type.split(" | ")[0]!) : p.example,
    ]),
  );
  return {
    server: JSON.stringify(server),
    vehicleId: JSON.stringify(vehicleId),
    topicParams: JSON.stringify(params),
    send: send.id,
  };
}

/** package.json, tsconfig.json, README.md, src/index.ts and src/errors.ts of `@v2c/ecu-client`. */
export function emitClientPackage(
  ctx: EmitContext,
  templatesRoot: string,
  versions: PackageVersions,
): GeneratedFile[] {
  const m = ctx.model;
  const view = clientView(m);
  const manifest = manifestFiles("ecu-client", {
    name: "@v2c/ecu-client",
    version: m.info.version,
    description: `Generated from the ${m.info.title} spec: the vehicle's typed MQTT 5 client. ESM only. DO NOT EDIT.`,
    entryPoints: { ".": "index" },
    // The runtime's vehicle part needs these (its other peers are the cloud's, not installed).
    dependencies: {
      [RUNTIME]: versions.runtime,
      "@v2c/spec": m.info.version,
      ...Object.fromEntries(VEHICLE_DEPENDENCIES.map((d) => [d, packageVersion(d)])),
    },
  });
  const t = loadTemplates(templatesRoot, "client");
  const vehicleParam = view.topicParams.find((p) => p.source === "vehicleId")?.name;
  const example =
    m.channels.flatMap((c) => c.parameters).find((p) => p.name === vehicleParam)?.example ?? "";
  const errorImports = new ImportCollector();
  errorImports.use(RUNTIME_CLIENT, "V2cClientError");
  errorImports.use(`${RUNTIME}/constraints`, "ConstraintViolation", true);
  return [
    ...manifest,
    { path: "ecu-client/tsconfig.json", content: packageTsconfigContent(["src", "test"]) },
    {
      path: "ecu-client/README.md",
      content: t.render("README.md", {
        sources: sourceList(m.sources),
        title: m.info.title,
        firstServer: m.servers[0]?.id ?? "",
        exampleVehicleId: example,
        iotMaxKeepAliveS: m.platform.iotMaxKeepAliveS,
        ...view,
        example: readmeExample(view, m.servers[0]?.id, example),
      }),
    },
    {
      path: "ecu-client/src/index.ts",
      content: t.render("index.ts", {
        sources: sourceList(m.sources),
        imports: [],
        hasBatches: view.batches.length > 0,
      }),
    },
    {
      path: "ecu-client/src/errors.ts",
      content: t.render("errors.ts", {
        sources: sourceList(m.sources),
        imports: errorImports.lines(),
      }),
    },
  ];
}

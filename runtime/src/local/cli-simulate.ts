import { join } from "node:path";
import { parseArgs, usage, type OptionSpec } from "./cli-args.js";
import { FLEET_OPTIONS, fleetPlan } from "./cli-local.js";
import { openDevPki } from "./dev-pki.js";
import { startFleet } from "./fleet.js";
import type { LocalApp } from "./local-app.js";

const OPTIONS: readonly OptionSpec[] = [
  { name: "url", default: "mqtts://127.0.0.1:8883", help: "broker URL" },
  {
    name: "pki",
    default: ".local/pki",
    help: "development PKI (its CA signs the vehicles' certificates)",
  },
  { name: "queues", default: ".local/simulator", help: "directory of the vehicles' queue files" },
  ...FLEET_OPTIONS.map((o) =>
    o.name === "vehicles" ? { ...o, default: 10, help: "simulated vehicles" } : o,
  ),
  { name: "help", default: false, help: "this text" },
];

/**
 * `npm run simulate`: the fleet simulator alone, against any broker that trusts the given
 * development CA (the one `npm run local` creates). Prints progress each second and the final
 * counts. Exit code 0, 1 when records are missing from the vehicles' view, 2 on a problem.
 */
export async function runSimulateCli(app: LocalApp, argv: readonly string[]): Promise<number> {
  try {
    const { values: v } = parseArgs(argv, OPTIONS);
    if (v.help) {
      console.log(
        usage(
          "npm run simulate -- [options]",
          `A fleet of simulated ${app.title} vehicles.`,
          OPTIONS,
        ),
      );
      return 0;
    }
    const plan = fleetPlan(v);
    const pki = await openDevPki(String(v.pki));
    const fleet = await startFleet({
      bindingsModule: app.fleetModule,
      bindingsExport: app.fleetExport,
      url: String(v.url),
      pki,
      plan,
      queueDir: join(String(v.queues)),
    });
    process.once("SIGINT", () => fleet.stop());
    await fleet.ready;
    let last = 0;
    const t = setInterval(() => {
      const c = fleet.counts();
      console.log(
        `sent ${c.sent} (+${c.sent - last}/s) duplicates ${c.duplicates} skewed ${c.skewed} corrupt ${c.corrupt} queued ${c.queued} dropped ${c.queueDropped} errors ${c.errors}`,
      );
      last = c.sent;
    }, 1000);
    const counts = await fleet.done.finally(() => clearInterval(t));
    console.log(`done: ${JSON.stringify(counts)}`);
    return counts.errors === 0 ? 0 : 1;
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

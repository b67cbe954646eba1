import { join } from "node:path";
import { FsDeadLetterQueue } from "../cloud/fs-dlq.js";
import type { DeadLetterEntry } from "../cloud/ports.js";
import { parseArgs, usage, UsageError, type OptionSpec } from "./cli-args.js";
import type { LocalApp } from "./local-app.js";

const OPTIONS: readonly OptionSpec[] = [
  { name: "dir", default: ".local", help: "working directory of `npm run local`" },
  { name: "reason", default: undefined, help: "only DLQ entries with this reason code" },
  { name: "since", default: undefined, help: "only entries received at/after this ISO time" },
  { name: "until", default: undefined, help: "only entries received before this ISO time" },
  { name: "limit", default: 0, help: "at most this many entries (0 = all)" },
  {
    name: "dry-run",
    default: false,
    help: "dlq-replay: show what would be replayed, change nothing",
  },
  { name: "verbose", default: false, help: "dlq-list: one line per entry" },
  { name: "downstream", default: undefined, help: "breaker-reset: one downstream (default: all)" },
  {
    name: "metrics-port",
    default: 9464,
    help: "port of the running `npm run local` (breakers, alarms)",
  },
  { name: "help", default: false, help: "this text" },
];

const COMMANDS = `commands:
  dlq-list      DLQ entries by reason and time (Procedure 1, step 1)
  dlq-replay    re-run DLQ entries through their operation's handler; --dry-run changes nothing
  breaker-reset close a circuit breaker of the running flow (Procedure 2)
  breakers      circuit state per downstream of the running flow
  alarms        state of every local alarm of the running flow`;

interface Listed {
  readonly key: string;
  readonly entry: DeadLetterEntry;
}

async function listEntries(dir: string, v: Record<string, unknown>): Promise<Listed[]> {
  const dlq = new FsDeadLetterQueue({ root: join(dir, "run", "data") });
  const since = v.since ? Date.parse(String(v.since)) : -Infinity;
  const until = v.until ? Date.parse(String(v.until)) : Infinity;
  if (Number.isNaN(since) || Number.isNaN(until))
    throw new UsageError("--since/--until must be ISO times");
  const out: Listed[] = [];
  for (const key of await dlq.list("")) {
    const entry = await dlq.get(key);
    if (!entry) continue;
    if (v.reason && entry.reasonCode !== v.reason) continue;
    const t = Date.parse(entry.receivedAt);
    if (t < since || t >= until) continue;
    out.push({ key, entry });
    if (Number(v.limit) > 0 && out.length >= Number(v.limit)) break;
  }
  return out;
}

async function http(port: number, method: string, path: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    throw new UsageError(
      `no running \`npm run local\` answers on port ${port} (start it, or pass --metrics-port)`,
    );
  }
  const body = (await res.json()) as unknown;
  if (!res.ok) throw new UsageError(String((body as { error?: string }).error ?? res.status));
  return body;
}

/**
 * `npm run local:ops -- <command>`: the seed's manual procedures against the local flow —
 * list DLQ entries by reason and time, replay them (dry run first), reset a circuit breaker,
 * show alarm state. Exit code 0, or 2 with one line on a problem.
 */
export async function runOperatorCli(app: LocalApp, argv: readonly string[]): Promise<number> {
  try {
    const { values: v, positional } = parseArgs(argv, OPTIONS);
    const command = positional[0];
    if (v.help || !command) {
      console.log(
        `${usage("npm run local:ops -- <command> [options]", `Operator commands of the ${app.title} local flow.`, OPTIONS)}\n\n${COMMANDS}`,
      );
      return v.help ? 0 : 2;
    }
    const dir = String(v.dir);
    const port = Number(v["metrics-port"]);
    if (command === "dlq-list") {
      const entries = await listEntries(dir, v);
      const by = new Map<string, Listed[]>();
      for (const e of entries)
        by.set(e.entry.reasonCode, [...(by.get(e.entry.reasonCode) ?? []), e]);
      console.log("reason | entries | oldest | newest");
      for (const [reason, list] of [...by].sort()) {
        const times = list.map((l) => l.entry.receivedAt).sort();
        console.log(`${reason} | ${list.length} | ${times[0]} | ${times.at(-1)}`);
        if (v.verbose)
          for (const l of list)
            console.log(
              `  ${l.entry.receivedAt} ${l.entry.type} ${l.entry.operation ?? "-"} ${l.entry.vehicleId} ${l.key} ${l.entry.detail.slice(0, 80)}`,
            );
      }
      console.log(`total ${entries.length}`);
      return 0;
    }
    if (command === "dlq-replay") {
      const entries = await listEntries(dir, v);
      if (v["dry-run"]) {
        for (const l of entries)
          console.log(
            `would replay ${l.key} (${l.entry.type} via ${l.entry.operation ?? "the route matching its topic"})`,
          );
        console.log(`dry run: ${entries.length} entries would be replayed; nothing changed`);
        return 0;
      }
      const handlers = app.createHandlers(join(dir, "run", "data"));
      try {
        let total = { replayed: 0, failed: 0, duplicates: 0 };
        const reasons = [...new Set(entries.map((e) => e.entry.errorType))];
        for (const errorType of reasons) {
          const s = (await handlers.replay({
            errorType,
            ...(Number(v.limit) > 0 ? { limit: Number(v.limit) } : {}),
          })) as { replayed: number; failed: number; duplicates: number };
          console.log(`${errorType}: ${JSON.stringify(s)}`);
          total = {
            replayed: total.replayed + s.replayed,
            failed: total.failed + s.failed,
            duplicates: total.duplicates + s.duplicates,
          };
        }
        console.log(
          `replayed ${total.replayed} (already stored ${total.duplicates}), failed again ${total.failed}`,
        );
      } finally {
        handlers.close();
      }
      return 0;
    }
    if (command === "breaker-reset") {
      const q = v.downstream ? `?downstream=${encodeURIComponent(String(v.downstream))}` : "";
      console.log(JSON.stringify(await http(port, "POST", `/breakers/reset${q}`)));
      return 0;
    }
    if (command === "breakers") {
      console.log(JSON.stringify(await http(port, "GET", "/breakers")));
      return 0;
    }
    if (command === "alarms") {
      const states = (await http(port, "GET", "/alarms")) as {
        source: string;
        title: string;
        state: string;
        value?: number;
        runbook?: string;
      }[];
      for (const s of states)
        console.log(
          `${s.state.padEnd(5)} ${s.source} ${s.title}${s.value !== undefined ? ` (${s.value.toFixed(2)})` : ""}${s.state === "ALARM" && s.runbook ? ` — runbook ${s.runbook}` : ""}`,
        );
      return 0;
    }
    throw new UsageError(`unknown command ${command} (see --help)`);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
}

import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  zeroCounts,
  type FleetBindings,
  type FleetCounts,
  type FleetPlan,
  type ForwardedMetric,
  type SimulatedClient,
} from "./fleet-types.js";

/** The first message a fleet worker process receives. */
export interface WorkerInit {
  readonly type: "init";
  readonly bindingsModule: string;
  readonly bindingsExport: string;
  readonly url: string;
  readonly caPath: string;
  readonly vehicles: readonly { id: string; certPath: string; keyPath: string }[];
  readonly queueDir: string;
  readonly plan: FleetPlan;
  /** This worker's share of the fleet rate (records/s). */
  readonly rate: number;
}

/** Messages a worker sends to its parent. */
export type WorkerReport =
  | { readonly type: "ready" }
  | {
      readonly type: "progress";
      readonly counts: FleetCounts;
      readonly metrics: readonly ForwardedMetric[];
    }
  | { readonly type: "done"; readonly counts: FleetCounts }
  | { readonly type: "error"; readonly message: string };

interface Vehicle {
  readonly id: string;
  readonly client: SimulatedClient;
  /** Ids of records already sent (the duplicate injector re-uses one). */
  lastIds: string[];
  pending: Record<string, unknown>[];
}

/**
 * Runs this process's vehicles: one generated client each (own certificate, own persistent
 * queue file), paced to `rate` records/s for the plan's duration, with the plan's injected
 * duplicates, clock skew and corrupt payloads. Reports counts to the parent.
 */
export async function runWorker(
  init: WorkerInit,
  report: (r: WorkerReport) => void,
): Promise<FleetCounts> {
  const mod = (await import(pathToFileURL(init.bindingsModule).href)) as Record<string, unknown>;
  const fleet = mod[init.bindingsExport] as FleetBindings<SimulatedClient>;
  const ops = fleet.operations.filter((o) => o.mode === init.plan.mode);
  const op = ops[0];
  if (!op) throw new Error(`the spec has no ${init.plan.mode} send operation`);
  const counts = zeroCounts();
  const ca = readFileSync(init.caPath);
  let override: string[] = [];
  let issued: string[] = [];
  let skewNext = false;
  const skewMs = fleet.maxClockSkewMs * 3;
  const newId = () => {
    const id = override.length > 0 ? override.shift()! : randomUUID();
    issued.push(id);
    return id;
  };
  const clock = () => Date.now() + (skewNext ? skewMs : 0);
  let forwarded = new Map<string, ForwardedMetric>();
  const metrics = {
    counter(name: string, labels: Record<string, string> = {}, value = 1) {
      const key = `${name}|${JSON.stringify(labels)}`;
      const prev = forwarded.get(key);
      forwarded.set(key, { name, labels, value: (prev?.value ?? 0) + value });
    },
  };
  const progress = () => {
    const out = [...forwarded.values()];
    forwarded = new Map();
    report({ type: "progress", counts: snapshot(counts, vehicles), metrics: out });
  };
  const vehicles: Vehicle[] = init.vehicles.map((v) => ({
    id: v.id,
    client: fleet.create({
      vehicleId: v.id,
      url: init.url,
      tls: {
        ca,
        cert: readFileSync(v.certPath),
        key: readFileSync(v.keyPath),
        servername: "localhost",
      },
      queuePath: join(init.queueDir, `${v.id}.sqlite`),
      clock,
      newId,
      timeScale: init.plan.timeScale,
      metrics,
    }),
    lastIds: [],
    pending: [],
  }));
  for (const v of vehicles) v.client.start();
  await Promise.all(vehicles.map((v) => v.client.whenReady(30_000)));
  report({ type: "ready" });
  progress();

  const outstanding = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    outstanding.add(p);
    p.catch(() => counts.errors++).finally(() => outstanding.delete(p));
  };
  const plan = init.plan;
  const batchSize = op.batchSize?.min ?? 1;
  let turn = 0;
  let offered = 0;
  const sendOne = () => {
    offered++;
    const v = vehicles[turn++ % vehicles.length]!;
    const roll = Math.random();
    if (roll < plan.corrupt) {
      counts.sent++;
      counts.corrupt++;
      counts.publishCalls++;
      track(
        v.client.session.publish(op.topic(v.client), randomBytes(64), { messageId: randomUUID() }),
      );
      return;
    }
    const dup = roll < plan.corrupt + plan.duplicates && v.lastIds.length > 0;
    skewNext =
      !dup &&
      roll >= plan.corrupt + plan.duplicates &&
      roll < plan.corrupt + plan.duplicates + plan.skew;
    if (op.mode === "individual") {
      override = dup ? [v.lastIds[v.lastIds.length - 1]!] : [];
      issued = [];
      counts.publishCalls++;
      track(op.publish(v.client, [fleet.sample]));
      if (dup) counts.duplicates++;
      else {
        counts.sent++;
        if (skewNext) counts.skewed++;
        // Re-send only ids that were sent well-formed (a skewed one is dead-lettered).
        else v.lastIds = issued.slice(0, 1);
      }
    } else {
      v.pending.push(fleet.sample);
      if (v.pending.length >= batchSize) {
        const records = v.pending;
        v.pending = [];
        const dupN = dup ? Math.min(v.lastIds.length, records.length) : 0;
        override = dup ? v.lastIds.slice(0, dupN) : [];
        issued = [];
        counts.publishCalls++;
        track(op.publish(v.client, records));
        counts.duplicates += dupN;
        counts.sent += records.length - dupN;
        if (skewNext) counts.skewed += records.length;
        else v.lastIds = issued.slice(0, records.length);
      }
    }
    skewNext = false;
    override = [];
  };

  let stop = false;
  process.on("message", (m: { type?: string }) => {
    if (m?.type === "stop") stop = true;
  });
  const started = Date.now();
  const end = started + plan.durationS * 1000;
  let due = 0;
  let progressAt = started;
  while (!stop && Date.now() < end) {
    const target = Math.floor(((Date.now() - started) / 1000) * init.rate);
    // Never more than a second of backlog at once (a slow machine sends less, and says so).
    due = Math.min(target, due + Math.ceil(init.rate) + 1);
    while (offered < due && outstanding.size < 5000) sendOne();
    if (Date.now() - progressAt >= 500) {
      progressAt = Date.now();
      progress();
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  // Whatever is pending in batch mode, then wait for every PUBACK or queue entry.
  for (const v of vehicles) {
    if (v.pending.length > 0) {
      counts.publishCalls++;
      counts.sent += v.pending.length;
      track(op.publish(v.client, v.pending));
      v.pending = [];
    }
  }
  const drainEnd = Date.now() + 60_000;
  while (
    (outstanding.size > 0 || vehicles.some((v) => v.client.queue.size() > 0)) &&
    Date.now() < drainEnd
  ) {
    progress();
    await new Promise((r) => setTimeout(r, 100));
  }
  const final = snapshot(counts, vehicles);
  await Promise.all(vehicles.map((v) => v.client.close().catch(() => undefined)));
  return final;
}

function snapshot(counts: FleetCounts, vehicles: readonly Vehicle[]): FleetCounts {
  let queued = 0;
  let dropped = 0;
  for (const v of vehicles) {
    try {
      queued += v.client.queue.size();
      dropped += v.client.queue.dropped;
    } catch {
      // queue closed
    }
  }
  return { ...counts, queued, queueDropped: dropped };
}

// Entry point when forked by the fleet parent.
if (process.send && process.argv.includes("--v2c-fleet-worker")) {
  process.once("message", (init: WorkerInit) => {
    const send = (r: WorkerReport) => process.send?.(r);
    runWorker(init, send).then(
      (counts) => {
        send({ type: "done", counts });
        process.disconnect?.();
      },
      (e: unknown) => {
        send({ type: "error", message: e instanceof Error ? e.message : String(e) });
        process.exitCode = 1;
        process.disconnect?.();
      },
    );
  });
}

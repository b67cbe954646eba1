import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Histogram } from "hdr-histogram-js";
import { startFleet, type Fleet } from "./fleet.js";
import { zeroCounts, type FleetCounts, type FleetPlan } from "./fleet-types.js";
import { AlarmEvaluator } from "./local-alarms.js";
import type { LocalApp, RunningPipeline } from "./local-app.js";
import { startLocalBroker, type LocalBroker } from "./local-broker.js";
import type { LiveView, Tick } from "./live-view.js";
import { PromMetrics } from "./prom-metrics.js";
import type { Accounting, RunReport } from "./report.js";
import type { TappedMetric } from "./metric-tap.js";

/** Options of LocalRun.start. */
export interface LocalRunOptions {
  readonly app: LocalApp;
  /** Working directory: `pki/` is kept across runs; `run/` (broker, data, queues) is fresh. */
  readonly directory: string;
  readonly port: number;
  /** Prometheus port (0 = none). */
  readonly metricsPort?: number;
  readonly mosquitto?: string;
  readonly maxBatch?: number;
  readonly view?: LiveView;
  readonly onEvent?: (line: string) => void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const q = (h: Histogram, p: number) => (h.totalCount === 0 ? undefined : h.getValueAtPercentile(p));

/**
 * The whole flow on one machine, supervised: Mosquitto (child process) with the spec's config,
 * the micro-batching rules engine and the handlers, the fleet when asked, a tick per second
 * (live view, Prometheus gauges, local alarms), fault injection, and the final accounting.
 */
export class LocalRun {
  readonly timeline: Tick[] = [];
  readonly faults: { atS: number; what: string }[] = [];
  readonly alarmsFired: { atS: number; source: string; title: string; runbook?: string }[] = [];
  readonly alarms: AlarmEvaluator;
  readonly prom = new PromMetrics();
  readonly startedAt = Date.now();
  fleet: Fleet | undefined;
  private fleetCounts: FleetCounts = zeroCounts();
  private lastPublished = 0;
  private storeFailing = false;
  private brokerDown = false;
  private engineDown = false;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly options: LocalRunOptions,
    readonly broker: LocalBroker,
    readonly pipeline: RunningPipeline,
    readonly dataDir: string,
  ) {
    this.alarms = new AlarmEvaluator(options.app.alarms);
  }

  /** Starts broker, pipeline, metrics endpoint and the per-second tick. */
  static async start(options: LocalRunOptions): Promise<LocalRun> {
    const runDir = join(options.directory, "run");
    rmSync(runDir, { recursive: true, force: true });
    const dataDir = join(runDir, "data");
    mkdirSync(dataDir, { recursive: true });
    const { app } = options;
    const broker = await startLocalBroker({
      spec: app.brokerSpec,
      directory: runDir,
      port: options.port,
      engineIdentity: app.engineIdentity,
      pkiDir: join(options.directory, "pki"),
      ...(options.mosquitto ? { binary: options.mosquitto } : {}),
    });
    let run: LocalRun | undefined;
    try {
      const pipeline = await app.startPipeline({
        brokerUrl: broker.url,
        directory: dataDir,
        tls: await broker.tlsFor(app.engineIdentity),
        clientId: app.engineIdentity,
        ...(options.maxBatch ? { maxBatch: options.maxBatch } : {}),
        onMetric: (m) => run?.metric(m),
      });
      // Write the engine's session and subscriptions to disk now: after a broker crash the
      // restored session receives what vehicles publish before the engine is back.
      broker.process.save();
      run = new LocalRun(options, broker, pipeline, dataDir);
      if (options.metricsPort) await run.prom.listen(options.metricsPort, run.operatorRoutes());
      run.timer = setInterval(() => run!.tick(), 1000);
      return run;
    } catch (error) {
      await broker.stop();
      throw error;
    }
  }

  private readonly counted = new Map<string, TappedMetric>();

  /**
   * A handler metric: observations the alarms read are recorded at once; counters are summed
   * here and handed to the alarms and Prometheus once per tick (cheap on the hot path).
   */
  metric(m: TappedMetric): void {
    if (m.kind === "observe") {
      if (this.alarms.wants(m.name)) this.alarms.record(m.name, m.value, m.dimensions, m.atMs);
      return;
    }
    let key = m.name;
    for (const k in m.dimensions) key += `\u0000${k}=${m.dimensions[k]}`;
    const prev = this.counted.get(key);
    this.counted.set(key, prev ? { ...prev, value: prev.value + m.value } : m);
  }

  private flushMetrics(): void {
    for (const m of this.counted.values()) {
      this.alarms.record(m.name, m.value, m.dimensions, m.atMs);
      this.prom.handlerMetric(m);
    }
    this.counted.clear();
  }

  /** The operator routes of the running flow (Procedure 2 and the alarm state). */
  operatorRoutes() {
    const breakers = this.pipeline.handlers.breakers;
    return {
      "GET /breakers": () => breakers.states(),
      "POST /breakers/reset": (url: URL) => {
        const d = url.searchParams.get("downstream") ?? undefined;
        breakers.reset(d);
        this.event(`circuit breaker reset by the operator: ${d ?? "all"}`);
        return breakers.states();
      },
      "GET /alarms": () =>
        this.alarms.evaluate().map((s) => ({
          source: s.alarm.source,
          title: s.alarm.title,
          state: s.state,
          value: s.value,
          metric: s.alarm.series.metric,
          statistic: s.alarm.spec.statistic,
          threshold: s.alarm.spec.threshold,
          periodS: s.alarm.spec.periodS,
          datapoints: `${s.alarm.spec.datapointsToAlarm}/${s.alarm.spec.evaluationPeriods}`,
          ...(s.alarm.runbook ? { runbook: this.options.app.runbookLink(s.alarm.runbook) } : {}),
        })),
    };
  }

  /** Seconds since start. */
  get elapsedS(): number {
    return Math.round((Date.now() - this.startedAt) / 1000);
  }

  private event(what: string): void {
    this.faults.push({ atS: this.elapsedS, what });
    this.options.view?.event(`[t=${this.elapsedS}s] ${what}`);
    this.options.onEvent?.(what);
  }

  /** Starts the fleet simulator against this broker. */
  async startFleet(plan: FleetPlan): Promise<Fleet> {
    const fleet = await startFleet({
      bindingsModule: this.options.app.fleetModule,
      bindingsExport: this.options.app.fleetExport,
      url: this.broker.url,
      pki: this.broker.pki,
      plan,
      queueDir: join(this.dataDir, "..", "vehicles"),
      onProgress: (c) => (this.fleetCounts = c),
      onMetrics: (ms) => {
        for (const m of ms) {
          this.alarms.record(m.name, m.value, m.labels);
          this.prom.handlerMetric({
            name: m.name,
            value: m.value,
            dimensions: m.labels,
            kind: "count",
            atMs: Date.now(),
          });
        }
      },
    });
    this.fleet = fleet;
    return fleet;
  }

  /** Fault: SIGKILL the broker, keep it down `downMs`, start it again, bring the engine back at once. */
  async killBroker(downMs: number): Promise<void> {
    this.brokerDown = true;
    this.event(`broker killed (SIGKILL), down ${downMs} ms`);
    await this.broker.process.kill("SIGKILL");
    await sleep(downMs);
    await this.broker.process.start();
    this.pipeline.engine.reconnectNow();
    await this.pipeline.engine.whenConnected(10_000);
    this.broker.process.save();
    this.brokerDown = false;
    this.event("broker restarted; engine reconnected, session saved");
  }

  /** Fault: the rules engine dies (no DISCONNECT, nothing acknowledged) and restarts after `downMs`. */
  async killEngine(downMs: number): Promise<void> {
    this.engineDown = true;
    this.event(`rules engine killed, down ${downMs} ms`);
    this.pipeline.engine.kill();
    await sleep(downMs);
    await this.pipeline.engine.restart(10_000);
    this.engineDown = false;
    this.event("rules engine restarted (persistent session redelivers)");
  }

  /** Fault: the store refuses writes (SQLite `query_only`) until `failStore(false)`. */
  failStore(on: boolean): void {
    this.pipeline.handlers.ports.db.exec(`PRAGMA query_only = ${on ? 1 : 0}`);
    this.storeFailing = on;
    this.event(on ? "store failing (writes refused)" : "store recovered");
  }

  /** Builds this second's figures, shows them, evaluates the alarms. */
  tick(): Tick {
    this.flushMetrics();
    const p = this.pipeline;
    const w = p.takeWindow();
    const published = this.fleetCounts.sent;
    const firing = this.alarms.evaluate((s) => {
      const link = s.alarm.runbook ? this.options.app.runbookLink(s.alarm.runbook) : undefined;
      if (s.state === "ALARM") {
        this.alarmsFired.push({
          atS: this.elapsedS,
          source: s.alarm.source,
          title: s.alarm.title,
          ...(link ? { runbook: link } : {}),
        });
        this.options.view?.event(
          `ALARM ${s.alarm.source} ${s.alarm.title} (${s.alarm.series.metric} ${s.alarm.spec.statistic} = ${s.value?.toFixed(2) ?? "-"}, threshold ${s.alarm.spec.threshold})${link ? ` — runbook ${link}` : ""}`,
        );
      } else this.options.view?.event(`OK ${s.alarm.source} ${s.alarm.title}`);
    });
    const tick: Tick = {
      t: this.elapsedS,
      publishedPerS: published - this.lastPublished,
      storedPerS: w.stored,
      p50Ms: q(w.latency, 50),
      p99Ms: q(w.latency, 99),
      published,
      stored: p.counters.stored,
      duplicates: p.counters.duplicates,
      dlqByReason: { ...p.counters.dlqByReason },
      circuits: p.handlers.breakers.states(),
      vehicleQueue: this.fleetCounts.queued,
      enginePending: p.engine.pending,
      broker: this.brokerDown ? "down" : "up",
      engine: this.engineDown || !p.engine.connected ? "down" : "up",
      storeFailing: this.storeFailing,
      alarms: firing
        .filter((s) => s.state === "ALARM")
        .map((s) => ({
          source: s.alarm.source,
          title: s.alarm.title,
          ...(s.alarm.runbook ? { link: this.options.app.runbookLink(s.alarm.runbook) } : {}),
        })),
    };
    this.lastPublished = published;
    this.timeline.push(tick);
    this.options.view?.show(tick);
    this.prom.tick(
      tick,
      this.options.app.alarms.map((a) => a.source),
    );
    return tick;
  }

  /** Waits until the engine has committed everything it can get (no change for `quietMs`). */
  async settle(quietMs = 1500, timeoutMs = 60_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = -1;
    let since = Date.now();
    while (Date.now() < end) {
      await this.pipeline.engine.idle();
      const n = this.pipeline.engine.stats.received;
      if (n !== last) {
        last = n;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return;
      await sleep(100);
    }
  }

  /** Counts every record: sent = stored + DLQ + counted drops + still queued (+ lost, must be 0). */
  async account(fleet: FleetCounts): Promise<Accounting> {
    const db = this.pipeline.handlers.ports.db;
    const count = (table: string) => {
      try {
        return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
      } catch {
        return 0;
      }
    };
    // The local adapters keep one table per store participant (records_* for key-value stores,
    // series_* for time-series stores): a record is stored when every key-value store holds it.
    const names = (prefix: string) =>
      (
        db
          .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '${prefix}%'`)
          .all() as { name: string }[]
      ).map((r) => `"${r.name}"`);
    const kv = names("records");
    const stored = kv.length > 0 ? Math.min(...kv.map(count)) : 0;
    const points = Math.max(stored, ...names("series").map(count));
    const storedKeys = new Set(
      kv.length > 0
        ? (db.prepare(`SELECT key FROM ${kv[0]}`).all() as { key: string }[]).map((r) => r.key)
        : [],
    );
    const keys = await (
      this.pipeline.handlers.ports as unknown as { dlq: { list(p: string): Promise<string[]> } }
    ).dlq.list("");
    // Keys end in <vehicle>/<id>+<nonce>.json; the store keys records as <vehicle>/<id>. A
    // message dead-lettered twice (redelivered after an engine crash) is one record, and one
    // that is also stored (a re-send after a store outage) counts as stored.
    const dlqIds = new Set(
      keys.map((k) => {
        const parts = k.split("/");
        return `${decodeURIComponent(parts.at(-2) ?? "")}/${decodeURIComponent((parts.at(-1) ?? "").replace(/\+[^+]*$/, ""))}`;
      }),
    );
    const dlq = [...dlqIds].filter((id) => !storedKeys.has(id)).length;
    const lost = fleet.sent - stored - dlq - fleet.queueDropped - fleet.queued;
    return {
      sent: fleet.sent,
      stored,
      deadLettered: dlq,
      queueDropped: fleet.queueDropped,
      stillQueued: fleet.queued,
      lost,
      duplicatesInjected: fleet.duplicates,
      duplicatesDetected: this.pipeline.counters.duplicates,
      storedTwice: Math.max(0, points - stored),
      dlqEntries: keys.length,
      ok: lost === 0 && points <= stored,
    };
  }

  /** The final report (call after the fleet is done and `settle()`). */
  async report(fleet: FleetCounts, plan: Readonly<Record<string, unknown>>): Promise<RunReport> {
    const acc = await this.account(fleet);
    const h = this.pipeline.latency;
    const durationS = Math.max(1, (Date.now() - this.startedAt) / 1000);
    const active = this.timeline.filter((k) => k.publishedPerS > 0);
    const mean = (xs: number[]) =>
      xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : 0;
    return {
      title: this.options.app.title,
      startedAt: new Date(this.startedAt).toISOString(),
      durationS: Math.round(durationS),
      plan,
      accounting: acc,
      latencyMs: {
        p50: q(h, 50) ?? 0,
        p99: q(h, 99) ?? 0,
        p999: q(h, 99.9) ?? 0,
        max: h.totalCount ? h.maxValue : 0,
        count: h.totalCount,
      },
      throughput: {
        publishedPerS: mean(active.map((k) => k.publishedPerS)),
        storedPerS: mean(active.map((k) => k.storedPerS)),
        peakStoredPerS: Math.max(0, ...this.timeline.map((k) => k.storedPerS)),
      },
      faults: this.faults,
      alarmsFired: this.alarmsFired,
      dlqByReason: { ...this.pipeline.counters.dlqByReason },
      broker: {
        starts: this.broker.process.starts,
        config: this.broker.configPath,
        engineConnects: this.pipeline.engine.stats.connects,
        engineBatches: this.pipeline.engine.stats.batches,
        uncommittedBatches: this.pipeline.engine.stats.uncommitted,
      },
      timeline: this.timeline,
    };
  }

  /** Stops everything (fleet, tick, metrics, pipeline, broker). */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.fleet?.stop();
    await this.prom.close();
    await this.pipeline.stop().catch(() => undefined);
    await this.broker.stop();
  }
}

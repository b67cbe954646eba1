import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import type { Tick } from "./live-view.js";
import type { TappedMetric } from "./metric-tap.js";
import { LocalSetupError } from "./mosquitto-process.js";

/** An operator HTTP route on the metrics server (`"POST /breakers/reset"` → handler). */
export type OperatorRoute = (url: URL) => unknown;

const sanitize = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_").replace(/^([0-9])/, "_$1");

/**
 * The local flow's Prometheus endpoint (prom-client): every handler counter as
 * `v2c_<metric>_total` with its dimensions as labels, and the live view's figures as gauges.
 */
export class PromMetrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly gauges: Record<string, Gauge>;
  private server: Server | undefined;

  constructor() {
    const g = (name: string, help: string, labelNames: string[] = []) =>
      new Gauge({ name: `v2c_local_${name}`, help, labelNames, registers: [this.registry] });
    this.gauges = {
      published: g("published_records", "Records handed to the simulated vehicle clients"),
      stored: g("stored_records", "Records committed to the local store"),
      publishedRate: g("published_records_per_second", "Published records in the last second"),
      storedRate: g("stored_records_per_second", "Stored records in the last second"),
      p50: g("publish_to_stored_p50_ms", "P50 publish→stored latency in the last second"),
      p99: g("publish_to_stored_p99_ms", "P99 publish→stored latency in the last second"),
      duplicates: g("duplicates", "Duplicates recognised by the dedup"),
      dlq: g("dlq_entries", "DLQ entries by reason", ["reason"]),
      circuit: g("circuit_open", "1 when a downstream's circuit is not closed", ["downstream"]),
      vehicleQueue: g("vehicle_queue_depth", "Records in the vehicles' persistent queues"),
      enginePending: g("engine_pending", "Messages received by the engine and not yet committed"),
      alarm: g("alarm_firing", "1 while a local alarm is in ALARM", ["source"]),
    };
  }

  /** Counts a handler metric (counters only; observations stay in the report). */
  handlerMetric(m: TappedMetric): void {
    if (m.kind !== "count") return;
    const labels = Object.keys(m.dimensions).sort().map(sanitize);
    const key = `${m.name}|${labels.join(",")}`;
    let c = this.counters.get(key);
    if (!c) {
      const base = `v2c_${sanitize(m.name)}_total`;
      const name = [...this.counters.values()].some(
        (x) => (x as unknown as { name: string }).name === base,
      )
        ? `${base.slice(0, -6)}_${labels.join("_")}_total`
        : base;
      c = new Counter({
        name,
        help: `handler metric ${m.name}`,
        labelNames: labels,
        registers: [this.registry],
      });
      this.counters.set(key, c);
    }
    const values = Object.fromEntries(
      Object.entries(m.dimensions).map(([k, v]) => [sanitize(k), v]),
    );
    c.inc(values, m.value);
  }

  /** Sets the gauges from one tick. */
  tick(k: Tick, allAlarms: readonly string[]): void {
    const g = this.gauges;
    g.published!.set(k.published);
    g.stored!.set(k.stored);
    g.publishedRate!.set(k.publishedPerS);
    g.storedRate!.set(k.storedPerS);
    if (k.p50Ms !== undefined) g.p50!.set(k.p50Ms);
    if (k.p99Ms !== undefined) g.p99!.set(k.p99Ms);
    g.duplicates!.set(k.duplicates);
    for (const [r, n] of Object.entries(k.dlqByReason)) g.dlq!.set({ reason: r }, n);
    for (const [d, s] of Object.entries(k.circuits))
      g.circuit!.set({ downstream: d }, s === "closed" ? 0 : 1);
    g.vehicleQueue!.set(k.vehicleQueue);
    g.enginePending!.set(k.enginePending);
    const firing = new Set(k.alarms.map((a) => a.source));
    for (const s of allAlarms) g.alarm!.set({ source: s }, firing.has(s) ? 1 : 0);
  }

  /**
   * Serves `/metrics` on 127.0.0.1:`port`, plus the operator routes given (JSON answers);
   * one-line LocalSetupError when the port is taken.
   */
  async listen(port: number, routes: Readonly<Record<string, OperatorRoute>> = {}): Promise<void> {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const route = routes[`${req.method ?? "GET"} ${url.pathname}`];
      if (route) {
        Promise.resolve()
          .then(() => route(url))
          .then(
            (body) =>
              res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
            (e: unknown) =>
              res
                .writeHead(400, { "content-type": "application/json" })
                .end(JSON.stringify({ error: e instanceof Error ? e.message : String(e) })),
          );
        return;
      }
      if (url.pathname !== "/metrics") {
        res.writeHead(404).end();
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": this.registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new LocalSetupError(
            e.code === "EADDRINUSE"
              ? `metrics port ${port} is already in use: pass --metrics-port <n> (0 = off)`
              : `cannot serve metrics on ${port}: ${e.code ?? e.message}`,
          ),
        ),
      );
      server.listen(port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  /** Stops serving. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

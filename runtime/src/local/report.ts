import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Tick } from "./live-view.js";

/** Where every record went: sent = stored + DLQ + counted drops (+ still queued) + lost. */
export interface Accounting {
  readonly sent: number;
  readonly stored: number;
  readonly deadLettered: number;
  /** Dropped by full vehicle queues (drop-oldest), counted by the clients. */
  readonly queueDropped: number;
  /** Still in the vehicles' queues at the end. */
  readonly stillQueued: number;
  /** sent − everything above: must be 0. */
  readonly lost: number;
  /** Injected re-sends and redeliveries the dedup recognised. */
  readonly duplicatesInjected: number;
  readonly duplicatesDetected: number;
  /** Time-series points minus records: a record written twice would show here. */
  readonly storedTwice: number;
  /** DLQ files (≥ deadLettered: a message dead-lettered twice is one record). */
  readonly dlqEntries: number;
  readonly ok: boolean;
}

/** Everything the final report holds. */
export interface RunReport {
  readonly title: string;
  readonly startedAt: string;
  readonly durationS: number;
  readonly plan: Readonly<Record<string, unknown>>;
  readonly accounting: Accounting;
  readonly latencyMs: { p50: number; p99: number; p999: number; max: number; count: number };
  readonly throughput: { publishedPerS: number; storedPerS: number; peakStoredPerS: number };
  readonly faults: readonly { atS: number; what: string }[];
  readonly alarmsFired: readonly { atS: number; source: string; title: string; runbook?: string }[];
  readonly dlqByReason: Readonly<Record<string, number>>;
  readonly broker: Readonly<Record<string, unknown>>;
  readonly timeline: readonly Tick[];
}

/** An SVG chart: records/s published and stored (left axis), P99 latency (right axis). */
export function throughputChart(timeline: readonly Tick[], width = 720, height = 280): string {
  const pad = { l: 56, r: 56, t: 24, b: 32 };
  const w = width - pad.l - pad.r;
  const h = height - pad.t - pad.b;
  const n = Math.max(1, timeline.length - 1);
  const maxRate = Math.max(1, ...timeline.flatMap((k) => [k.publishedPerS, k.storedPerS]));
  const maxLat = Math.max(1, ...timeline.map((k) => k.p99Ms ?? 0));
  const x = (i: number) => pad.l + (i / n) * w;
  const yR = (v: number) => pad.t + h - (v / maxRate) * h;
  const yL = (v: number) => pad.t + h - (v / maxLat) * h;
  const line = (pts: [number, number][], color: string, dash = "") =>
    `<polyline fill="none" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ""} points="${pts.map(([a, b]) => `${a.toFixed(1)},${b.toFixed(1)}`).join(" ")}"/>`;
  const pub = timeline.map((k, i) => [x(i), yR(k.publishedPerS)] as [number, number]);
  const sto = timeline.map((k, i) => [x(i), yR(k.storedPerS)] as [number, number]);
  const lat = timeline.flatMap((k, i) =>
    k.p99Ms === undefined ? [] : [[x(i), yL(k.p99Ms)] as [number, number]],
  );
  const text = (tx: number, ty: number, s: string, anchor = "start") =>
    `<text x="${tx}" y="${ty}" font-family="sans-serif" font-size="11" text-anchor="${anchor}">${s}</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<rect x="${pad.l}" y="${pad.t}" width="${w}" height="${h}" fill="none" stroke="#ccc"/>`,
    text(pad.l - 4, pad.t + 4, String(Math.round(maxRate)), "end"),
    text(pad.l - 4, pad.t + h, "0", "end"),
    text(pad.l + w + 4, pad.t + 4, `${Math.round(maxLat)} ms`),
    text(pad.l + w / 2, height - 8, `seconds (0–${timeline.length - 1})`, "middle"),
    line(pub, "#1f77b4"),
    line(sto, "#2ca02c", "4 2"),
    line(lat, "#d62728"),
    text(pad.l + 4, 14, "— published rec/s", "start").replace("<text", '<text fill="#1f77b4"'),
    text(pad.l + 140, 14, "- - stored rec/s", "start").replace("<text", '<text fill="#2ca02c"'),
    text(pad.l + 260, 14, "— P99 publish→stored (right axis)", "start").replace(
      "<text",
      '<text fill="#d62728"',
    ),
    `</svg>`,
  ].join("\n");
}

/** The Markdown report (the chart is the SVG beside it). */
export function reportMarkdown(r: RunReport, chartFile: string): string {
  const a = r.accounting;
  const rows = (o: Readonly<Record<string, unknown>>) =>
    Object.entries(o).map(([k, v]) => `| ${k} | ${String(v)} |`);
  return [
    `# ${r.title}: local run report`,
    "",
    `Started ${r.startedAt}, ${r.durationS} s. Accounting: **${a.ok ? "every record accounted for" : "RECORDS MISSING"}**.`,
    "",
    `![throughput and latency](${chartFile})`,
    "",
    "## Accounting (records)",
    "",
    "| what | records |",
    "| --- | ---: |",
    ...rows({
      sent: a.sent,
      stored: a.stored,
      "dead-lettered": a.deadLettered,
      "dropped by full vehicle queues": a.queueDropped,
      "still in vehicle queues": a.stillQueued,
      lost: a.lost,
      "duplicates injected": a.duplicatesInjected,
      "duplicates detected": a.duplicatesDetected,
      "stored twice": a.storedTwice,
    }),
    "",
    "## Throughput and latency",
    "",
    "| figure | value |",
    "| --- | ---: |",
    ...rows({
      "published rec/s (mean)": r.throughput.publishedPerS,
      "stored rec/s (mean)": r.throughput.storedPerS,
      "stored rec/s (peak second)": r.throughput.peakStoredPerS,
      "P50 publish→stored ms": r.latencyMs.p50,
      "P99 publish→stored ms": r.latencyMs.p99,
      "P99.9 publish→stored ms": r.latencyMs.p999,
      "max ms": r.latencyMs.max,
    }),
    "",
    "## DLQ by reason",
    "",
    ...(Object.keys(r.dlqByReason).length === 0
      ? ["none"]
      : ["| reason | entries |", "| --- | ---: |", ...rows(r.dlqByReason)]),
    "",
    "## Faults injected",
    "",
    ...(r.faults.length === 0 ? ["none"] : r.faults.map((f) => `- t=${f.atS}s ${f.what}`)),
    "",
    "## Alarms fired",
    "",
    ...(r.alarmsFired.length === 0
      ? ["none"]
      : r.alarmsFired.map(
          (f) =>
            `- t=${f.atS}s **${f.source}** ${f.title}${f.runbook ? ` — runbook ${f.runbook}` : ""}`,
        )),
    "",
    "## Plan",
    "",
    "| option | value |",
    "| --- | --- |",
    ...rows(r.plan),
    "",
  ].join("\n");
}

/** Writes `report.json`, `report.md` and `throughput.svg` into `dir`; returns their paths. */
export function writeReport(dir: string, r: RunReport): { json: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, "report.json");
  const md = join(dir, "report.md");
  const svg = join(dir, "throughput.svg");
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(svg, `${throughputChart(r.timeline)}\n`);
  writeFileSync(md, reportMarkdown(r, "throughput.svg"));
  return { json, md, svg };
}

/** One second of the run as a person sees it. */
export interface Tick {
  readonly t: number;
  /** Records/s handed to the vehicle clients, and committed to the store. */
  readonly publishedPerS: number;
  readonly storedPerS: number;
  readonly p50Ms: number | undefined;
  readonly p99Ms: number | undefined;
  readonly published: number;
  readonly stored: number;
  readonly duplicates: number;
  readonly dlqByReason: Readonly<Record<string, number>>;
  readonly circuits: Readonly<Record<string, string>>;
  /** Records in the vehicles' queues; messages received by the engine and not yet committed. */
  readonly vehicleQueue: number;
  readonly enginePending: number;
  readonly broker: "up" | "down";
  readonly engine: "up" | "down";
  readonly storeFailing: boolean;
  readonly alarms: readonly { source: string; title: string; link?: string }[];
}

const fmt = (n: number | undefined) => (n === undefined ? "-" : String(Math.round(n)));

/** The live view's lines for one tick. */
export function renderTick(title: string, k: Tick): string[] {
  const dlq = Object.entries(k.dlqByReason);
  return [
    `${title} — local flow   t=${k.t}s   broker ${k.broker}   engine ${k.engine}${k.storeFailing ? "   STORE FAILING" : ""}`,
    `published ${fmt(k.publishedPerS)} rec/s (${k.published})   stored ${fmt(k.storedPerS)} rec/s (${k.stored})   publish→stored P50 ${fmt(k.p50Ms)} ms  P99 ${fmt(k.p99Ms)} ms`,
    `duplicates ${k.duplicates}   DLQ ${dlq.length === 0 ? "0" : dlq.map(([r, n]) => `${r} ${n}`).join(", ")}`,
    `circuits ${
      Object.entries(k.circuits)
        .map(([d, s]) => `${d} ${s}`)
        .join(", ") || "-"
    }   queues: vehicles ${k.vehicleQueue}, engine pending ${k.enginePending}`,
    ...(k.alarms.length === 0
      ? ["alarms: none firing"]
      : k.alarms.map((a) => `ALARM ${a.source} ${a.title}${a.link ? ` — runbook ${a.link}` : ""}`)),
  ];
}

/** One plain log line per tick (stdout not a TTY). */
export function tickLine(k: Tick): string {
  const dlq = Object.values(k.dlqByReason).reduce((a, b) => a + b, 0);
  return `t=${k.t}s published/s=${fmt(k.publishedPerS)} stored/s=${fmt(k.storedPerS)} p50=${fmt(k.p50Ms)}ms p99=${fmt(k.p99Ms)}ms published=${k.published} stored=${k.stored} dup=${k.duplicates} dlq=${dlq} vq=${k.vehicleQueue} pending=${k.enginePending} broker=${k.broker} engine=${k.engine}${k.storeFailing ? " store=failing" : ""} alarms=${k.alarms.map((a) => a.source).join(",") || "-"}`;
}

/** Redraws the view in place on a TTY, else prints one line per tick. */
export class LiveView {
  private readonly recent: string[] = [];

  constructor(
    private readonly title: string,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {}

  get tty(): boolean {
    return !!this.out.isTTY;
  }

  /** Shows one tick. */
  show(k: Tick): void {
    if (this.tty)
      this.out.write(
        `\x1b[H\x1b[2J${[...renderTick(this.title, k), "", ...this.recent].join("\n")}\n`,
      );
    else this.out.write(`${tickLine(k)}\n`);
  }

  /** An event line (a fault, an alarm change) that stays visible. */
  event(line: string): void {
    if (!this.tty) {
      this.out.write(`${line}\n`);
      return;
    }
    // On a terminal the view is redrawn each second: keep the last events under it.
    this.recent.push(line);
    if (this.recent.length > 8) this.recent.shift();
  }
}

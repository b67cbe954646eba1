import type { ClientEvents } from "./events.js";

export interface ClockSkewOptions {
  /** Largest |offset| accepted silently, in ms (from the spec). */
  readonly toleranceMs: number;
  readonly events: ClientEvents;
  /** The local clock under test (ms since epoch); injectable. */
  readonly clock?: () => number;
}

/** One measurement against a reference. */
export interface ClockSkewSample {
  /** reference − local, in ms; positive means the local clock is behind. */
  readonly offsetMs: number;
  readonly skewed: boolean;
}

/**
 * Compares the vehicle clock with a trusted reference time (broker, cellular network or an
 * NTP-like source — injected by the caller). Record timestamps come from this clock,
 * so a large offset corrupts dedup windows and time-series ordering downstream.
 */
export class ClockSkewDetector {
  private readonly clock: () => number;
  private last: ClockSkewSample | undefined;

  constructor(private readonly options: ClockSkewOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Records one reference reading. `roundTripMs` is the time the request for it took; half of
   * it is added to the reference (it was read midway). Emits `clockSkew` when over tolerance.
   */
  observe(referenceTimeMs: number, roundTripMs = 0): ClockSkewSample {
    const offsetMs = Math.round(referenceTimeMs + roundTripMs / 2 - this.clock());
    const skewed = Math.abs(offsetMs) > this.options.toleranceMs;
    this.last = { offsetMs, skewed };
    if (skewed)
      this.options.events.emit("clockSkew", { offsetMs, toleranceMs: this.options.toleranceMs });
    return this.last;
  }

  /** The last measurement, if any. */
  get lastSample(): ClockSkewSample | undefined {
    return this.last;
  }

  /** The local clock corrected by the last measured offset. */
  correctedNow(): number {
    return this.clock() + (this.last?.offsetMs ?? 0);
  }
}

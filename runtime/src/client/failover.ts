/**
 * Multi-endpoint failover for the vehicle session: an ordered ring of broker endpoints (the
 * configured server first, then its failover targets). The session moves to the next endpoint
 * after `afterFailures` consecutive attempts that failed for a reason another endpoint could
 * cure (unreachable, refused, unavailable); credential problems stop the session instead, and
 * a quota refusal means the broker is up. Failing back is a decision (the FMEA's manual
 * recovery), taken with `VehicleSession.useEndpoint`.
 */

/** One broker endpoint the session can connect to. */
export interface SessionEndpoint {
  /** Name in events (the spec's server id). */
  readonly name: string;
  /** `mqtts://host:port` (or `mqtt://` for tests without TLS). */
  readonly url: string;
  /** SNI and certificate host name for this endpoint; default: the URL's host. */
  readonly servername?: string;
}

/** Where the session fails over to, and when. */
export interface FailoverOptions {
  /** Endpoints after the session's own, in the order they are tried. */
  readonly endpoints: readonly SessionEndpoint[];
  /** Consecutive failed attempts at one endpoint before the session moves on (≥ 1). */
  readonly afterFailures: number;
}

/** The session moved to another endpoint. */
export interface FailoverEvent {
  readonly from: string;
  readonly to: string;
  /** Failed attempts at `from` that led to the move (0 for a requested move). */
  readonly failures: number;
  /** Requested with `useEndpoint` (fail-back), not forced by failures. */
  readonly requested: boolean;
}

/** The endpoints of a session and which one it connects to next. */
export class EndpointRing {
  private readonly endpoints: readonly SessionEndpoint[];
  private index = 0;
  private failures = 0;
  private readonly afterFailures: number;

  /** `primary` first, then `failover.endpoints`; without `failover` the ring never moves. */
  constructor(primary: SessionEndpoint, failover?: FailoverOptions) {
    this.endpoints = [primary, ...(failover?.endpoints ?? [])];
    const names = new Set(this.endpoints.map((e) => e.name));
    if (names.size !== this.endpoints.length)
      throw new RangeError(
        `endpoint names must differ: ${this.endpoints.map((e) => e.name).join(", ")}`,
      );
    this.afterFailures = failover ? failover.afterFailures : Number.POSITIVE_INFINITY;
    if (!(this.afterFailures >= 1))
      throw new RangeError(`failover afterFailures must be ≥ 1, got ${failover?.afterFailures}`);
  }

  /** The endpoint the next attempt goes to. */
  get current(): SessionEndpoint {
    return this.endpoints[this.index]!;
  }

  /** Names of every endpoint, in ring order. */
  get names(): readonly string[] {
    return this.endpoints.map((e) => e.name);
  }

  /** A connection was established: the count of failures starts again. */
  connected(): void {
    this.failures = 0;
  }

  /**
   * Counts a failed attempt at the current endpoint that another endpoint could cure. Returns
   * the move when this was the `afterFailures`-th in a row and there is another endpoint.
   */
  failed(): FailoverEvent | undefined {
    this.failures++;
    if (this.endpoints.length < 2 || this.failures < this.afterFailures) return undefined;
    const from = this.current.name;
    const failures = this.failures;
    this.index = (this.index + 1) % this.endpoints.length;
    this.failures = 0;
    return { from, to: this.current.name, failures, requested: false };
  }

  /** Makes `name` the endpoint of the next attempt (RangeError for an unknown name). */
  select(name: string): FailoverEvent | undefined {
    const i = this.endpoints.findIndex((e) => e.name === name);
    if (i < 0) throw new RangeError(`unknown endpoint "${name}" (known: ${this.names.join(", ")})`);
    if (i === this.index) return undefined;
    const from = this.current.name;
    this.index = i;
    this.failures = 0;
    return { from, to: name, failures: 0, requested: true };
  }
}

/**
 * What the fleet simulator needs from a generated vehicle client package (the generated
 * `@v2c/local` fills it in from the spec: server, vehicle id format, one entry per send
 * operation, a snapshot inside every declared range).
 */

/** The part of a generated vehicle client the simulator drives. */
export interface SimulatedClient {
  start(): void;
  whenReady(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
  readonly session: {
    publish(
      topic: string,
      payload: Uint8Array,
      options: { messageId: string; alias?: number },
    ): Promise<unknown>;
  };
  readonly queue: { size(): number; readonly dropped: number };
}

/** Configuration the simulator passes to the generated `createVehicleClient`. */
export interface SimulatedClientConfig {
  readonly vehicleId: string;
  readonly url: string;
  readonly tls: { ca: Buffer; cert: Buffer; key: Buffer; servername: string };
  readonly queuePath: string;
  readonly clock: () => number;
  readonly newId: () => string;
  readonly timeScale: number;
  /** The client's counters (forwarded to the local alarms, e.g. connection successes). */
  readonly metrics: {
    counter(name: string, labels?: Record<string, string>, value?: number): void;
  };
}

/** Client counters a worker forwards (sums since its last report). */
export interface ForwardedMetric {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One send operation of the spec, as the simulator publishes it. */
export interface FleetOperation<C extends SimulatedClient> {
  readonly id: string;
  /** `batch`: the operation carries many records per message (x-batch). */
  readonly mode: "individual" | "batch";
  /** Publishes one record (`individual`) or the records as batches (`batch`). */
  publish(client: C, snapshots: readonly Record<string, unknown>[]): Promise<unknown>;
  /** The vehicle's topic of this operation. */
  topic(client: C): string;
  /** Records per batch (x-batch min/max). */
  readonly batchSize?: { readonly min: number; readonly max: number };
}

/** Everything the simulator takes from the spec. */
export interface FleetBindings<C extends SimulatedClient> {
  /** The vehicle parameter's example value and pattern (ids are made from them). */
  readonly vehicleId: { readonly example: string; readonly pattern?: string };
  /** Event times further than this from the cloud clock are rejected (clock-skew injection). */
  readonly maxClockSkewMs: number;
  readonly operations: readonly FleetOperation<C>[];
  /** A valid record snapshot (every constrained field inside its range). */
  readonly sample: Record<string, unknown>;
  create(config: SimulatedClientConfig): C;
}

/** Command-line knobs of a simulation. */
export interface FleetPlan {
  readonly vehicles: number;
  /** Records per second, whole fleet. */
  readonly rate: number;
  readonly durationS: number;
  readonly mode: "individual" | "batch";
  /** Fractions of records (0..1): re-sent with an id already used, skewed clock, corrupt bytes. */
  readonly duplicates: number;
  readonly skew: number;
  readonly corrupt: number;
  readonly workers: number;
  /** Multiplies the spec's client delays (reconnect, PUBACK timeout); 1 = as in a vehicle. */
  readonly timeScale: number;
}

/** Counts a worker (and the fleet) reports; records, not MQTT messages. */
export interface FleetCounts {
  /** Records handed to the client (acknowledged or queued), injected duplicates excluded. */
  sent: number;
  /** Of `sent`: with a skewed clock / as corrupt bytes. */
  skewed: number;
  corrupt: number;
  /** Injected re-sends of an id already sent. */
  duplicates: number;
  /** Publishes that threw (not sent). */
  errors: number;
  /** Records dropped by the vehicles' full queues (drop-oldest). */
  queueDropped: number;
  /** Records still in the vehicles' queues. */
  queued: number;
  /** Send times (epoch ms) are in the records; this is the count of publish calls. */
  publishCalls: number;
}

/** Empty counts. */
export function zeroCounts(): FleetCounts {
  return {
    sent: 0,
    skewed: 0,
    corrupt: 0,
    duplicates: 0,
    errors: 0,
    queueDropped: 0,
    queued: 0,
    publishCalls: 0,
  };
}

/** Adds `b` into `a`. */
export function addCounts(a: FleetCounts, b: FleetCounts): FleetCounts {
  for (const k of Object.keys(a) as (keyof FleetCounts)[]) a[k] += b[k];
  return a;
}

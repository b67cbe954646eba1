import type { CircuitBreakers } from "./breakers.js";
import type { Deadline } from "./deadline.js";
import { RoleMetrics } from "./metric-roles.js";
import type { HandlerPolicy } from "./policy.js";
import { silentLogger, type AtomicUnit, type HandlerLogger, type HandlerPorts } from "./ports.js";

export { asFailure } from "./failure.js";

/** What every pipeline step gets: ports, breakers, the operation's policy, the deadline. */
export interface StepContext<P extends HandlerPolicy = HandlerPolicy> {
  readonly ports: HandlerPorts;
  readonly breakers: CircuitBreakers;
  readonly policy: P;
  readonly deadline: Deadline;
  readonly logger: HandlerLogger;
  readonly metrics: RoleMetrics;
  /** The ports' unit of work, or a plain call when the adapters have none. */
  readonly atomic: AtomicUnit;
  readonly nowMs: number;
}

const direct: AtomicUnit = (work) => work();

/** Builds a step context for one invocation. */
export function stepContext<P extends HandlerPolicy>(
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  policy: P,
  deadline: Deadline,
): StepContext<P> {
  return {
    ports,
    breakers,
    policy,
    deadline,
    logger: ports.logger ?? silentLogger,
    metrics: new RoleMetrics(ports.metrics, policy.metrics),
    atomic: ports.atomic ?? direct,
    nowMs: (ports.now ?? Date.now)(),
  };
}

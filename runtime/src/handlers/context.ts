import type { CircuitBreakers } from "./breakers.js";
import type { Deadline } from "./deadline.js";
import { PipelineFailure } from "./failure.js";
import type { TelemetryPolicy } from "./policy.js";
import { silentLogger, type HandlerLogger, type HandlerPorts } from "./ports.js";

/** What every pipeline step gets: ports, breakers, the operation's policy, the deadline. */
export interface StepContext {
  readonly ports: HandlerPorts;
  readonly breakers: CircuitBreakers;
  readonly policy: TelemetryPolicy;
  readonly deadline: Deadline;
  readonly logger: HandlerLogger;
  readonly nowMs: number;
}

/** Builds a step context for one invocation. */
export function stepContext(
  ports: HandlerPorts,
  breakers: CircuitBreakers,
  policy: TelemetryPolicy,
  deadline: Deadline,
): StepContext {
  return {
    ports,
    breakers,
    policy,
    deadline,
    logger: ports.logger ?? silentLogger,
    nowMs: (ports.now ?? Date.now)(),
  };
}

/** Any thrown value as a PipelineFailure (unknown errors are "internal" and still dead-lettered). */
export function asFailure(error: unknown): PipelineFailure {
  if (error instanceof PipelineFailure) return error;
  return new PipelineFailure("internal", error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}

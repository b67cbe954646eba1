import type { Model } from "../../model/types.js";

/** Log retention of every function when `x-v2c.platform.lambda.log-retention` is absent. */
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/** npm scope of the generated packages when `x-v2c.npm-scope` is absent. */
export const DEFAULT_NPM_SCOPE = "@v2c";

/** The `x-v2c` deployment figures the infra and the packages use, with their defaults. */
export interface DeployOptions {
  /** Days the functions' log groups keep events. */
  readonly logRetentionDays: number;
  /** npm scope (`@name`) of the generated packages. */
  readonly npmScope: string;
  /** Where the runbook page is published (`x-v2c.runbook-base-url`); undefined: not declared. */
  readonly runbookBaseUrl?: string;
}

type Optional = Partial<{
  logRetentionDays: number;
  npmScope: string;
  runbookBaseUrl: string;
}>;

/**
 * Reads the optional deployment keys of `x-v2c` from the model (the platform, or the model's
 * top level), each with its documented default.
 */
export function deployOptions(model: Model): DeployOptions {
  const top = model as Model & Optional;
  const platform = model.platform as Model["platform"] & Optional;
  const runbookBaseUrl = top.runbookBaseUrl ?? platform.runbookBaseUrl;
  return {
    logRetentionDays:
      platform.logRetentionDays ?? top.logRetentionDays ?? DEFAULT_LOG_RETENTION_DAYS,
    npmScope: top.npmScope ?? platform.npmScope ?? DEFAULT_NPM_SCOPE,
    ...(runbookBaseUrl ? { runbookBaseUrl } : {}),
  };
}

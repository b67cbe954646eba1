import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** A CloudFormation value as the template holds it (parsed JSON). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- template JSON is untyped
export type Cfn = any;

/** A CloudFormation resource as synthesized. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, Cfn>;
  readonly Metadata?: Record<string, Cfn>;
}

/** A function of the synthesized stack: its bundle folder and its environment. */
export interface SynthFunction {
  readonly logicalId: string;
  /** Absolute folder of its bundled asset (index.mjs). */
  readonly assetDir: string;
  readonly handler: string;
  readonly environment: Readonly<Record<string, unknown>>;
}

/** A topic rule: its SQL and the function its Lambda action invokes. */
export interface SynthRule {
  readonly logicalId: string;
  readonly sql: string;
  readonly functionLogicalId: string;
}

/** The parts of a cloud assembly (`cdk.out`) the as-deployed test uses. */
export interface SynthStack {
  readonly resources: Readonly<Record<string, CfnResource>>;
  readonly functions: readonly SynthFunction[];
  readonly rules: readonly SynthRule[];
  ofType(type: string): [string, CfnResource][];
}

/** Reads the one stack template of `outdir` and its functions' asset folders and rules. */
export function readAssembly(outdir: string): SynthStack {
  const templates = readdirSync(outdir).filter((f) => f.endsWith(".template.json"));
  if (templates.length !== 1)
    throw new Error(`expected one stack in ${outdir}, found ${templates.join(", ")}`);
  const template = JSON.parse(readFileSync(join(outdir, templates[0]!), "utf8")) as {
    Resources: Record<string, CfnResource>;
  };
  const resources = template.Resources;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const functions = ofType("AWS::Lambda::Function").map(([logicalId, r]): SynthFunction => {
    // The asset folder is `asset.<hash>`; the code's S3 key is `<hash>.zip`.
    const key = r.Properties?.Code?.S3Key;
    const hash = typeof key === "string" ? /^([0-9a-f]{64})\.zip$/.exec(key)?.[1] : undefined;
    if (!hash) throw new Error(`${logicalId}: code is not a file asset (${JSON.stringify(key)})`);
    const asset = `asset.${hash}`;
    return {
      logicalId,
      assetDir: join(outdir, asset),
      handler: String(r.Properties?.Handler),
      environment: (r.Properties?.Environment?.Variables ?? {}) as Record<string, unknown>,
    };
  });
  // The handlers' rules (a Lambda action); reply rules queue into SQS and invoke no function.
  const rules = ofType("AWS::IoT::TopicRule").flatMap(([logicalId, r]): SynthRule[] => {
    const payload = r.Properties!.TopicRulePayload;
    const lambda = payload.Actions[0].Lambda as
      { FunctionArn: { "Fn::GetAtt": [string, string] } } | undefined;
    if (!lambda) return [];
    const functionLogicalId = lambda.FunctionArn["Fn::GetAtt"][0];
    return [{ logicalId, sql: String(payload.Sql), functionLogicalId }];
  });
  return { resources, functions, rules, ofType };
}

/**
 * A CloudFormation value with `Ref`s replaced by the physical names the test gave the
 * resources (`names[logicalId]`), `Fn::Join` joined and `Fn::GetAtt` as `<id>.<attr>`.
 */
export function resolveValue(value: unknown, names: Readonly<Record<string, string>>): string {
  if (typeof value === "string") return value;
  const v = value as Record<string, Cfn>;
  if (v.Ref !== undefined) {
    const name = names[v.Ref];
    if (name === undefined) throw new Error(`no local resource for Ref ${v.Ref}`);
    return name;
  }
  if (v["Fn::Join"]) {
    const [sep, parts] = v["Fn::Join"] as [string, unknown[]];
    return parts.map((p) => resolveValue(p, names)).join(sep);
  }
  if (v["Fn::GetAtt"]) return (v["Fn::GetAtt"] as string[]).join(".");
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

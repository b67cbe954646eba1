import { ImportCollector } from "../imports.js";
import { sourceList } from "../names.js";
import { RUNTIME } from "../spec/package.js";
import { loadTemplates } from "../templates.js";
import type { EmitContext, GeneratedFile } from "../types.js";

const CDK = "aws-cdk-lib";
const T = true;

/** [module, symbol, typeOnly?] */
type Use = readonly [string, string, boolean?];

/**
 * The construct library's mechanism files: the templates hold the code, this table the imports
 * each file needs (templates never type import lines). They depend on the spec only through the
 * generated `spec.ts` and `alarm-definitions.ts`.
 */
export const STATIC_FILES: Readonly<Record<string, readonly Use[]>> = {
  "src/types.ts": [],
  "src/environment.ts": [
    [`${RUNTIME}/deploy-env`, "DEDUP_PARTITION_KEY"],
    [`${RUNTIME}/deploy-env`, "ON_FAILURE_QUEUES_ENV"],
    [`${RUNTIME}/deploy-env`, "RECORDS_PARTITION_KEY"],
    [`${RUNTIME}/deploy-env`, "deployEnvName"],
  ],
  "src/index.ts": [],
  "src/storage.ts": [
    [CDK, "Duration"],
    [CDK, "RemovalPolicy"],
    [`${CDK}/aws-dynamodb`, "AttributeType"],
    [`${CDK}/aws-dynamodb`, "BillingMode"],
    [`${CDK}/aws-dynamodb`, "Table"],
    [`${CDK}/aws-dynamodb`, "TableEncryption"],
    [`${CDK}/aws-s3`, "BlockPublicAccess"],
    [`${CDK}/aws-s3`, "Bucket"],
    [`${CDK}/aws-s3`, "BucketEncryption"],
    [`${CDK}/aws-timestream`, "CfnDatabase"],
    [`${CDK}/aws-timestream`, "CfnTable"],
    ["constructs", "Construct"],
    [`${RUNTIME}/deploy-env`, "DEDUP_TTL_ATTRIBUTE"],
    ["./environment.js", "DEDUP_PARTITION_KEY"],
    ["./environment.js", "RECORDS_PARTITION_KEY"],
    ["./spec.js", "stores"],
    ["./spec.js", "timeSeriesMemoryRetentionMs"],
    ["./spec.js", "StoreId", T],
    ["./types.js", "StoreSpec", T],
  ],
  "src/notifications.ts": [
    [`${CDK}/aws-iam`, "PolicyStatement"],
    [`${CDK}/aws-iam`, "ServicePrincipal"],
    [`${CDK}/aws-kms`, "Key"],
    [`${CDK}/aws-sns`, "ITopic", T],
    [`${CDK}/aws-sns`, "Topic"],
    ["constructs", "Construct"],
    ["./spec.js", "audiences"],
    ["./spec.js", "AudienceId", T],
  ],
  "src/functions.ts": [
    ["node:fs", "existsSync"],
    ["node:path", "basename"],
    ["node:path", "dirname"],
    ["node:path", "join"],
    ["node:url", "fileURLToPath"],
    ["esbuild", "buildSync"],
    ["esbuild", "BuildOptions", T],
    [CDK, "AssetHashType"],
    [CDK, "DockerImage"],
    [CDK, "Duration"],
    [CDK, "RemovalPolicy", T],
    [`${CDK}/aws-lambda`, "Architecture", T],
    [`${CDK}/aws-lambda`, "Code"],
    [`${CDK}/aws-lambda`, "Function as LambdaFunction"],
    [`${CDK}/aws-lambda`, "Runtime"],
    [`${CDK}/aws-lambda`, "RuntimeFamily"],
    [`${CDK}/aws-logs`, "LogGroup"],
    [`${CDK}/aws-logs`, "RetentionDays"],
    ["constructs", "Construct"],
    ["./environment.js", "HANDLER_ENVIRONMENT"],
    ["./spec.js", "functions"],
    ["./spec.js", "lambdaRuntime"],
    ["./spec.js", "FunctionName", T],
  ],
  "src/on-failure.ts": [
    [CDK, "Duration"],
    [`${CDK}/aws-cloudwatch`, "Alarm"],
    [`${CDK}/aws-cloudwatch`, "ComparisonOperator"],
    [`${CDK}/aws-cloudwatch`, "TreatMissingData"],
    [`${CDK}/aws-cloudwatch-actions`, "SnsAction"],
    [`${CDK}/aws-lambda`, "Function as LambdaFunction", T],
    [`${CDK}/aws-lambda-destinations`, "SqsDestination"],
    [`${CDK}/aws-sns`, "ITopic", T],
    [`${CDK}/aws-sqs`, "Queue"],
    [`${CDK}/aws-sqs`, "QueueEncryption"],
    ["constructs", "Construct"],
    ["./spec.js", "functions"],
    ["./spec.js", "FunctionName", T],
  ],
  "src/topic-rules.ts": [
    [CDK, "CfnOutput"],
    [CDK, "Duration", T],
    [CDK, "Stack"],
    [`${CDK}/aws-sqs`, "Queue"],
    [`${CDK}/aws-sqs`, "QueueEncryption"],
    ["./spec.js", "replyRules"],
    [`${CDK}/aws-iam`, "PolicyStatement"],
    [`${CDK}/aws-iam`, "Role"],
    [`${CDK}/aws-iam`, "ServicePrincipal"],
    [`${CDK}/aws-iot`, "CfnTopicRule"],
    [`${CDK}/aws-lambda`, "IFunction", T],
    [`${CDK}/aws-s3`, "IBucket", T],
    ["constructs", "Construct"],
    ["./environment.js", "RULE_ERROR_PREFIX"],
    ["./spec.js", "functions"],
    ["./spec.js", "topicRules"],
    ["./spec.js", "FunctionName", T],
    ["./spec.js", "StoreId", T],
  ],
  "src/iot-policy.ts": [
    [CDK, "Aws"],
    [`${CDK}/aws-iot`, "CfnPolicy"],
    ["constructs", "Construct"],
    ["./spec.js", "iotPolicy"],
  ],
  "src/alarms.ts": [
    [CDK, "Duration"],
    [`${CDK}/aws-cloudwatch`, "Alarm"],
    [`${CDK}/aws-cloudwatch`, "ComparisonOperator"],
    [`${CDK}/aws-cloudwatch`, "IAlarmAction", T],
    [`${CDK}/aws-cloudwatch`, "IMetric", T],
    [`${CDK}/aws-cloudwatch`, "MathExpression"],
    [`${CDK}/aws-cloudwatch`, "Metric"],
    [`${CDK}/aws-cloudwatch`, "TreatMissingData"],
    [`${CDK}/aws-cloudwatch-actions`, "SnsAction"],
    [`${CDK}/aws-sns`, "ITopic", T],
    ["constructs", "Construct"],
    ["./alarm-definitions.js", "alarmDefinitions"],
    ["./alarm-definitions.js", "AlarmName", T],
    ["./spec.js", "AudienceId", T],
    ["./types.js", "AlarmDefinition", T],
    ["./types.js", "MetricStatSpec", T],
  ],
  "src/dashboard.ts": [
    [CDK, "Duration"],
    [`${CDK}/aws-cloudwatch`, "Dashboard"],
    [`${CDK}/aws-cloudwatch`, "GraphWidget"],
    [`${CDK}/aws-cloudwatch`, "MathExpression"],
    [`${CDK}/aws-cloudwatch`, "Metric"],
    [`${CDK}/aws-lambda`, "IFunction", T],
    ["constructs", "Construct"],
    ["./spec.js", "dashboard"],
    ["./spec.js", "FunctionName", T],
  ],
  "src/nag-suppressions.ts": [
    [CDK, "CfnElement", T],
    [CDK, "Stack"],
    [CDK, "Validations"],
    ["constructs", "IConstruct", T],
    ["./environment.js", "RULE_ERROR_PREFIX"],
    [`${CDK}/aws-lambda`, "Function as LambdaFunction", T],
    ["./spec.js", "functions"],
    ["./spec.js", "lambdaRuntime"],
    ["./spec.js", "FunctionName", T],
    ["./spec.js", "StoreId", T],
    ["./telemetry-pipeline.js", "TelemetryPipeline", T],
    ["./types.js", "FunctionSpec", T],
  ],
  "src/telemetry-pipeline.ts": [
    [CDK, "Duration"],
    [CDK, "RemovalPolicy"],
    [CDK, "Stack"],
    [`${CDK}/aws-cloudwatch`, "IAlarmAction", T],
    [`${CDK}/aws-iam`, "PolicyStatement"],
    [`${CDK}/aws-lambda`, "Architecture"],
    [`${CDK}/aws-lambda`, "Function as LambdaFunction", T],
    [`${CDK}/aws-logs`, "RetentionDays", T],
    [`${CDK}/aws-sns`, "ITopic", T],
    [`${CDK}/aws-sqs`, "Queue", T],
    ["constructs", "Construct"],
    ["./alarms.js", "PipelineAlarms"],
    ["./dashboard.js", "PipelineDashboard"],
    ["./environment.js", "HANDLER_ENVIRONMENT"],
    ["./environment.js", "ON_FAILURE_QUEUES_ENV"],
    ["./environment.js", "deployEnvName"],
    ["./functions.js", "PipelineFunctions"],
    ["./functions.js", "logRetention"],
    ["./iot-policy.js", "VehicleIotPolicy"],
    ["./nag-suppressions.js", "applyNagSuppressions"],
    ["./notifications.js", "PipelineNotifications"],
    ["./on-failure.js", "PipelineOnFailure"],
    ["./spec.js", "audiences"],
    ["./spec.js", "dlqRetentionMs"],
    ["./spec.js", "functions"],
    ["./spec.js", "logRetentionDays"],
    ["./spec.js", "metricsNamespace"],
    ["./spec.js", "specRunbookBaseUrl"],
    ["./spec.js", "AudienceId", T],
    ["./spec.js", "FunctionName", T],
    ["./spec.js", "StoreId", T],
    ["./storage.js", "PipelineStorage"],
    ["./storage.js", "TimeSeriesProps", T],
    ["./topic-rules.js", "PipelineTopicRules"],
    ["./types.js", "FunctionSpec", T],
  ],
};

/** `src/<name>.ts` -> template `<name>.ts` of `templates/infra`. */
function templateOf(path: string): string {
  return path.replace(/^src\//, "");
}

/** Renders the mechanism files; their header names the spec sources the package is generated from. */
export function emitStaticFiles(ctx: EmitContext, templatesRoot: string): GeneratedFile[] {
  const t = loadTemplates(templatesRoot, "infra");
  return Object.entries(STATIC_FILES).map(([path, uses]) => {
    const imports = new ImportCollector();
    for (const [module, symbol, typeOnly] of uses) imports.use(module, symbol, typeOnly ?? false);
    return {
      path: `infra/${path}`,
      content: t.render(templateOf(path), {
        sources: sourceList(["asyncapi.yaml"]),
        imports: imports.lines(),
      }),
    };
  });
}

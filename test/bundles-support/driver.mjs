// Loads one Lambda bundle in this (fresh, plain node) process and invokes its `handler` the way
// the Lambda runtime does: `handler(event, context)`, awaited, one call after another. Reads
// `{ bundle, calls: [{ event, timeoutMs }] }` as JSON on stdin; writes one JSON line per call
// to stdout: `{ ok: true, result }` or `{ ok: false, error: { name, message } }` (a throw,
// which Lambda would count as a failed invocation).
import { Buffer } from "node:buffer";
import process from "node:process";
import { pathToFileURL } from "node:url";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const mod = await import(pathToFileURL(request.bundle).href);
if (typeof mod.handler !== "function") {
  throw new Error(`${request.bundle} exports no handler function`);
}
let n = 0;
for (const call of request.calls) {
  n++;
  const deadline = Date.now() + (call.timeoutMs ?? 30_000);
  const context = {
    awsRequestId: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "bundle",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:bundle",
    memoryLimitInMB: "128",
    logGroupName: "/aws/lambda/bundle",
    logStreamName: "local",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  let line;
  try {
    line = { ok: true, result: await mod.handler(call.event, context) };
  } catch (error) {
    line = { ok: false, error: { name: error?.name, message: String(error?.message ?? error) } };
  }
  process.stdout.write(`V2C-RESULT ${JSON.stringify(line)}\n`);
}

// Loads one Lambda bundle in this (fresh, plain node) process and invokes its `handler` the way
// the Lambda runtime does: `handler(event, context)`, awaited, one call after another. Reads
// `{ bundle, calls: [{ event, timeoutMs }] }` as JSON on stdin; writes one JSON line per call
// to stdout: `{ ok: true, result }` or `{ ok: false, error: { name, message } }` (a throw,
// which Lambda would count as a failed invocation).
import { Buffer } from "node:buffer";
import dns from "node:dns";
import process from "node:process";
import { pathToFileURL } from "node:url";

// `V2C_TEST_LOOPBACK_DOMAIN=localhost`: names under `.localhost` resolve to 127.0.0.1 (RFC 6761;
// glibc does not do it). The SQS SDK sends each call to its queue URL's host, and the local SQS
// emulator's queue URLs are `sqs.<region>.localhost:<port>`; in AWS that host is the real SQS
// endpoint. Only the name lookup changes: the bundle and the SDK run as deployed.
const loopback = process.env.V2C_TEST_LOOPBACK_DOMAIN;
if (loopback) {
  const original = dns.lookup;
  dns.lookup = (name, options, callback) => {
    const cb = typeof options === "function" ? options : callback;
    const opts = typeof options === "function" ? {} : (options ?? {});
    if (typeof name === "string" && name.endsWith(`.${loopback}`)) {
      if (typeof opts === "object" && opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
      else cb(null, "127.0.0.1", 4);
      return;
    }
    return original(name, options, callback);
  };
}

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

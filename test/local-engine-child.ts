// The rules engine as its own process, for the crash test (test/local-engine-crash.test.ts):
// the generated local pipeline (micro-batching engine + handlers on SQLite + filesystem DLQ)
// started from a message of the parent; it reports its counters every 20 ms and on "stop"
// finishes its batch, disconnects (session kept) and exits. The parent SIGKILLs it mid-stream.
import { startLocalPipeline } from "@v2c/local";

interface Init {
  readonly brokerUrl: string;
  readonly directory: string;
  readonly clientId: string;
  readonly tls: { ca: Buffer; cert: Buffer; key: Buffer; servername: string };
}

process.once("message", (init: Init) => {
  void (async () => {
    const p = await startLocalPipeline({
      brokerUrl: init.brokerUrl,
      directory: init.directory,
      clientId: init.clientId,
      tls: init.tls,
    });
    const counters = () => ({
      stored: p.counters.stored,
      duplicates: p.counters.duplicates,
      deadLettered: p.counters.deadLettered,
      received: p.engine.stats.received,
      batches: p.engine.stats.batches,
    });
    process.send!({ ready: true, ...counters() });
    const timer = setInterval(() => process.send!(counters()), 20);
    process.on("message", (m) => {
      if (m !== "stop") return;
      clearInterval(timer);
      void p.engine
        .idle()
        .then(() => p.stop())
        .then(() => process.send!({ stopped: true, ...counters() }, () => process.exit(0)));
    });
  })().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});

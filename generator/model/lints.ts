import type { DiagnosticBag } from "../diagnostics.js";
import type { LoadedAsyncApi } from "../load/asyncapi.js";
import type { LoadedFmea } from "../load/fmea.js";
import { checkHandlerNeeds } from "./handler-needs.js";
import { checkTopicConfinement } from "./topic-confinement.js";
import type { Model } from "./types.js";

/** Probability bands of the FMEA scale (README "Vocabulary"), as shares of operations. */
const BANDS: Record<string, [number, number]> = {
  "VERY LOW": [0, 0.0001],
  LOW: [0.0001, 0.001],
  MEDIUM: [0.001, 0.05],
  HIGH: [0.05, 1],
};

/**
 * Platform and consistency lints. They are warnings: the spec stays as written (it is the
 * seed's intent), and the generated code handles the conflict, but a reader should know.
 */
export function lintModel(
  model: Model,
  asyncapi: LoadedAsyncApi,
  fmea: LoadedFmea,
  bag: DiagnosticBag,
): void {
  const a = asyncapi.source;
  for (const s of model.servers) {
    if (s.keepAliveS > model.platform.iotMaxKeepAliveS) {
      bag.warning(
        a.file,
        a.locate(["servers", s.id, "bindings", "mqtt", "keepAlive"]),
        "platform/keep-alive",
        `keep-alive ${s.keepAliveS}s on server "${s.id}" exceeds AWS IoT Core's maximum of ${model.platform.iotMaxKeepAliveS}s; the broker will impose its own (the client honours the server keep-alive from CONNACK)`,
      );
    }
    if (s.maxPacketBytes > model.platform.iotMaxPacketBytes) {
      bag.warning(
        a.file,
        a.locate(["servers", s.id, "bindings", "mqtt", "maximumPacketSize"]),
        "platform/packet-size",
        `maximumPacketSize ${s.maxPacketBytes} on server "${s.id}" exceeds AWS IoT Core's ${model.platform.iotMaxPacketBytes} bytes`,
      );
    }
  }
  for (const op of model.operations) {
    if (op.batch && op.batch.maxCompressedBytes > model.platform.iotMaxPacketBytes) {
      bag.warning(
        a.file,
        a.locate(["operations", op.id, "x-batch", "max-compressed-bytes"]),
        "platform/batch-size",
        `max-compressed-bytes ${op.batch.maxCompressedBytes} exceeds the ${model.platform.iotMaxPacketBytes}-byte packet limit`,
      );
    }
    if (op.batch && op.batch.intervalMs > model.platform.timeSeriesMemoryRetentionMs) {
      bag.warning(
        a.file,
        a.locate(["operations", op.id, "x-batch", "interval"]),
        "platform/late-records",
        `batch interval exceeds the time-series memory retention: late records will be rejected by a time-series store`,
      );
    }
  }
  checkHandlerNeeds(model, asyncapi, fmea, bag);
  checkTopicConfinement(model, asyncapi, bag);
  const f = fmea.failureModes.source;
  model.failureModes.forEach((fm, i) => {
    const band = BANDS[fm.probability.band];
    const rate = fm.probability.rate;
    if (band && rate && (rate[0] < band[0] || rate[1] > band[1])) {
      bag.warning(
        f.file,
        f.locate(["failure-modes", i, "probability", "rate"]),
        "fmea/probability-band",
        `${fm.id} rate ${(rate[0] * 100).toPrecision(2)}%${rate[1] !== rate[0] ? `-${(rate[1] * 100).toPrecision(2)}%` : ""} lies outside the ${fm.probability.band} band (${band[0] * 100}%-${band[1] * 100}%) of the FMEA probability scale`,
      );
    }
  });
}

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CertificateMonitor,
  ClientEvents,
  ClockSkewDetector,
  certificateNotAfter,
  type CertificateExpiringEvent,
  type ClockSkewEvent,
} from "../../src/client/index.js";
import { makeTestPki, type TestPki } from "../support/certs.js";
import { VIN } from "./helpers.js";

const DAY = 86_400_000;
let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => pki.cleanup());

describe("CertificateMonitor", () => {
  it("FM-01 certificate expiring: warns inside the window, not before", () => {
    const id = pki.client(VIN);
    const notAfter = certificateNotAfter(id.cert).getTime();
    const events = new ClientEvents();
    const seen: CertificateExpiringEvent[] = [];
    events.on("certificateExpiring", (e) => seen.push(e));
    let now = notAfter - 8 * DAY;
    const monitor = new CertificateMonitor({
      certificatePem: id.cert,
      warningWindowMs: 7 * DAY,
      events,
      clock: () => now,
    });
    expect(monitor.check().expiring).toBe(false);
    expect(seen).toHaveLength(0);
    now = notAfter - 6 * DAY;
    expect(monitor.check()).toMatchObject({ expiring: true, expired: false });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.subject).toContain(VIN);
    expect(seen[0]!.msRemaining).toBe(6 * DAY);
  });

  it("FM-01 certificate expired: reported as expired", () => {
    const id = pki.client(VIN, { expired: true });
    const events = new ClientEvents();
    const seen: CertificateExpiringEvent[] = [];
    events.on("certificateExpiring", (e) => seen.push(e));
    new CertificateMonitor({ certificatePem: id.cert, warningWindowMs: 7 * DAY, events }).check();
    expect(seen[0]?.expired).toBe(true);
  });
});

describe("ClockSkewDetector", () => {
  it("FM-21 clock skew: emits when |offset| exceeds the tolerance, in both directions", () => {
    const events = new ClientEvents();
    const seen: ClockSkewEvent[] = [];
    events.on("clockSkew", (e) => seen.push(e));
    const local = 1_700_000_000_000;
    const d = new ClockSkewDetector({ toleranceMs: 1000, events, clock: () => local });
    expect(d.observe(local + 900).skewed).toBe(false);
    expect(d.observe(local + 800, 400).offsetMs).toBe(1000); // half the round trip is added
    expect(seen).toHaveLength(0);
    expect(d.observe(local - 5000).skewed).toBe(true);
    expect(d.observe(local + 1001).skewed).toBe(true);
    expect(seen.map((e) => e.offsetMs)).toEqual([-5000, 1001]);
    expect(d.correctedNow()).toBe(local + 1001);
  });
});

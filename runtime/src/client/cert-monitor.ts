import { X509Certificate } from "node:crypto";
import type { ClientEvents, CertificateExpiringEvent } from "./events.js";

/** Validity of the vehicle certificate at one instant. */
export interface CertificateStatus extends CertificateExpiringEvent {
  /** Within the warning window (or already expired). */
  readonly expiring: boolean;
}

export interface CertificateMonitorOptions {
  /** The vehicle's client certificate (PEM). */
  readonly certificatePem: string | Buffer;
  /** Warn this long before notAfter (7 days in the spec; tests pass their own). */
  readonly warningWindowMs: number;
  readonly events: ClientEvents;
  /** Injectable clock (ms since epoch). */
  readonly clock?: () => number;
}

/** Reads a PEM certificate's notAfter (node:crypto X509Certificate). */
export function certificateNotAfter(pem: string | Buffer): Date {
  return new Date(new X509Certificate(pem).validTo);
}

/**
 * Watches the client certificate's expiry (detection): `check` emits
 * `certificateExpiring` when notAfter is within the warning window or past, so renewal can
 * start over the fallback channel before the broker starts refusing the handshake.
 */
export class CertificateMonitor {
  private readonly cert: X509Certificate;
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CertificateMonitorOptions) {
    this.cert = new X509Certificate(options.certificatePem);
    this.clock = options.clock ?? Date.now;
  }

  /** Computes the status now and emits `certificateExpiring` if within the window. */
  check(): CertificateStatus {
    const notAfter = new Date(this.cert.validTo);
    const msRemaining = notAfter.getTime() - this.clock();
    const status: CertificateStatus = {
      notAfter,
      msRemaining,
      expired: msRemaining <= 0,
      expiring: msRemaining <= this.options.warningWindowMs,
      subject: this.cert.subject,
    };
    if (status.expiring) {
      this.options.events.emit("certificateExpiring", {
        notAfter,
        msRemaining,
        expired: status.expired,
        subject: status.subject,
      });
    }
    return status;
  }

  /** Checks now and then every `intervalMs` (the timer does not keep the process alive). */
  start(intervalMs: number): void {
    this.stop();
    this.check();
    this.timer = setInterval(() => this.check(), intervalMs);
    this.timer.unref();
  }

  /** Stops periodic checks. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

import type {
  FailureModeModel,
  ParticipantModel,
  PhaseModel,
  SlaModel,
} from "../../model/types.js";
import { participantKeyword, pumlAlias, pumlText, wrapWords } from "./plantuml-text.js";

/** Width at which note text is wrapped, so that notes do not stretch the diagram. */
export const NOTE_WIDTH = 72;

/** One participant declaration. */
export interface ParticipantView {
  readonly keyword: string;
  readonly name: string;
  readonly alias: string;
}

/** One success-path arrow. */
export interface StepView {
  readonly from: string;
  readonly to: string;
  readonly text: string;
}

/** One failure mode as a branch of its phase's `alt` block. */
export interface FailureBranchView {
  /** `alt` for the first branch of a phase, `else` for the others. */
  readonly keyword: "alt" | "else";
  readonly title: string;
  readonly component: string;
  readonly signal: string;
  readonly recoveryColor: string;
  readonly recoveryArrow: string;
  readonly noteColor: string;
  readonly noteLines: readonly string[];
}

/** One `== phase ==` section: the success path, then the failure modes, then the SLA. */
export interface PhaseView {
  readonly title: string;
  readonly purpose: readonly string[];
  readonly steps: readonly StepView[];
  readonly sla: readonly string[];
}

/** Participants in declaration (spec) order. */
export function participantViews(participants: readonly ParticipantModel[]): ParticipantView[] {
  return participants.map((p) => ({
    keyword: participantKeyword(p.kind),
    name: pumlText(p.name),
    alias: pumlAlias(p.id),
  }));
}

/** A phase's heading, purpose, success-path arrows and SLA lines. */
export function phaseView(phase: PhaseModel): PhaseView {
  return {
    title: pumlText(phase.title),
    purpose: wrapWords(phase.purpose, NOTE_WIDTH).map(pumlText),
    steps: phase.steps.map((s) => ({
      from: pumlAlias(s.from),
      to: pumlAlias(s.to),
      text: pumlText(s.operation ? `${s.text} [${s.operation}]` : s.text),
    })),
    sla: phase.sla.map(slaLine),
  };
}

/** `latency-p99: 500ms`, `success-rate: 99.9%`, `throughput: 10000/s`. */
export function slaLine(sla: SlaModel): string {
  const shown = sla.unit === "ratio" ? `${round(sla.value * 100)}%` : sla.text;
  return pumlText(`${sla.name}: ${shown}`);
}

/** The probability as the FMEA states it: band, then the seed's note or the rate in percent. */
export function probabilityText(p: FailureModeModel["probability"]): string {
  if (p.note) return `${p.band} (${p.note})`;
  if (p.rate) {
    const [lo, hi] = p.rate;
    return lo === hi
      ? `${p.band} (${round(lo * 100)}%)`
      : `${p.band} (${round(lo * 100)}-${round(hi * 100)}%)`;
  }
  return p.band;
}

/** What the component sees: the signal and the platform's code, e.g. `quota-exceeded (0x97)`. */
export function signalText(signal: FailureModeModel["detection"]["signal"]): string {
  return `${signal.name} (${signal.code})`;
}

/** One failure mode as an `alt`/`else` branch: a red arrow on its component, its recovery and an FMEA note. */
export function failureBranchView(fm: FailureModeModel, first: boolean): FailureBranchView {
  const automated = fm.recovery.mode === "automated";
  const note = [
    `**${pumlText(`${fm.id} ${fm.name}`)}**`,
    ...labelled("Severity", `${fm.severity}, probability ${probabilityText(fm.probability)}`),
    ...labelled("Detection", fm.detection.description),
    ...labelled("Mitigation", fm.mitigation.description),
    ...labelled(`Recovery (${fm.recovery.mode})`, fm.recovery.description),
    ...labelled("MTTR", fm.mttrText),
  ];
  return {
    keyword: first ? "alt" : "else",
    title: pumlText(`${fm.id} ${fm.name} [${fm.severity}]`),
    component: pumlAlias(fm.component),
    signal: pumlText(signalText(fm.detection.signal)),
    recoveryColor: automated ? "green" : "orange",
    recoveryArrow: pumlText(
      `${automated ? "automated" : "manual"} recovery: ${fm.mitigation.description}`,
    ),
    noteColor: severityColor(fm.severity),
    noteLines: note,
  };
}

/** Note background by severity. */
function severityColor(severity: FailureModeModel["severity"]): string {
  return { CRITICAL: "#FFCCCC", HIGH: "#FFE0CC", MEDIUM: "#FFF5CC", LOW: "#EEF5FF" }[severity];
}

/** `Label: text` wrapped, continuation lines indented by two spaces. */
function labelled(label: string, text: string): string[] {
  return wrapWords(`${label}: ${text}`, NOTE_WIDTH).map((l, i) =>
    i === 0 ? pumlText(l) : `  ${pumlText(l)}`,
  );
}

/** Percentages without float noise (0.9995 * 100 = 99.94999...). */
function round(n: number): number {
  return Number(n.toPrecision(6));
}

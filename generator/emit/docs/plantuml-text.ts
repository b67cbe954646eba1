/** Small helpers that turn spec text into safe PlantUML tokens and labels. */
import { COMPONENT_KINDS, isComponentKind } from "../../model/vocabulary.js";

/**
 * The PlantUML declaration keyword of a participant: its component kind's shape (vehicle and
 * operator = actor, stores = database, object store = queue, others = participant). Kinds are
 * checked in the model; an unknown one falls back to `participant`.
 */
export function participantKeyword(kind: string): string {
  return isComponentKind(kind) ? COMPONENT_KINDS[kind].shape : "participant";
}

/** A PlantUML alias for a spec id: `edge-gateway` -> `edge_gateway`. */
export function pumlAlias(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, "_");
}

/**
 * Label text with PlantUML creole markup neutralised (`//`, `**`, `--`, `__`, `""`, `~~` would
 * otherwise turn into italics, bold, strike-through ...), on one line.
 */
export function pumlText(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .trim()
    .replace(/(\/\/|\*\*|--|__|""|~~)/g, "~$1");
}

/** Splits text into lines of at most `width` characters at spaces (a longer word stays whole). */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** Small helpers that turn spec text into safe PlantUML tokens and labels. */

/** The PlantUML keywords a participant `kind` may use (anything else is an emitter error). */
const KEYWORDS = new Set([
  "actor",
  "participant",
  "boundary",
  "control",
  "entity",
  "database",
  "collections",
  "queue",
]);

/** The PlantUML declaration keyword for a participant kind (`actor`, `database`, `queue`, ...). */
export function participantKeyword(kind: string): string {
  if (!KEYWORDS.has(kind)) throw new Error(`participant kind "${kind}" has no PlantUML keyword`);
  return kind;
}

/** A PlantUML alias for a spec id: `mqtt-client` -> `mqtt_client`. */
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

/* global require, module */
// Positions of a YAML file's nodes, reduced to what a lookup walks (yaml-source.ts): the `yaml`
// document's maps (key text, key position, value), sequences and node start positions. Plain
// CommonJS so that a worker thread (yaml-positions.ts) and this thread run the same code.
"use strict";
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain CommonJS, see above
const { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair } = require("yaml");

/** `text` parsed as the index reads it: the `yaml` document and its line counter. */
function parsePositioned(text) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  return { doc, lineCounter };
}

/**
 * The position index of `text`: `{ p, m, s }` per node — `p` its [line, column] (absent when the
 * node has no range), `m` for a map its pairs as [key text or null when the key is not a scalar,
 * key position, value node or null], `s` for a sequence its items. Undefined when the text has
 * YAML errors (the caller reports them from its own parse).
 */
function positionIndex(text) {
  return indexOf(parsePositioned(text));
}

/** The position index of a parse by {@link parsePositioned}. */
function indexOf({ doc, lineCounter }) {
  if (doc.errors.length > 0) return undefined;
  const pos = (n) => {
    const range = n && n.range;
    if (!range) return undefined;
    const p = lineCounter.linePos(range[0]);
    return [p.line, p.col];
  };
  const index = (n) => {
    if (n === null || n === undefined) return null;
    const out = { p: pos(n) };
    if (isMap(n))
      out.m = n.items.map((pair) =>
        isPair(pair)
          ? [isScalar(pair.key) ? String(pair.key.value) : null, pos(pair.key), index(pair.value)]
          : [null, undefined, null],
      );
    else if (isSeq(n)) out.s = n.items.map(index);
    return out;
  };
  return { root: index(doc.contents) };
}

module.exports = { positionIndex, parsePositioned, indexOf };

/**
 * A canonical UUID string (`8-4-4-4-12` lowercase hex, what `randomUUID` and the generated
 * client write) read as four 32-bit words, without allocating: the dedup ledger keeps such a
 * message id as 16 bytes instead of its 36 characters.
 */

/** Hex digit value of a character code (lowercase only), or -1. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) HEX[97 + c] = 10 + c;

/** Where the words of the last `readUuid` are (reused: nothing is allocated per call). */
export const UUID_WORDS = new Int32Array(4);

/**
 * Reads `id` into `UUID_WORDS` when it is a canonical lowercase UUID and answers true; any other
 * string (uppercase, braces, another length) answers false and is not a UUID to the ledger, so
 * two different strings never share words.
 */
export function readUuid(id: string): boolean {
  if (id.length !== 36) return false;
  if (
    id.charCodeAt(8) !== 45 ||
    id.charCodeAt(13) !== 45 ||
    id.charCodeAt(18) !== 45 ||
    id.charCodeAt(23) !== 45
  )
    return false;
  // Eight groups of four digits, each 0..0xffff, or -1 when one of its digits is not hex.
  const a = hex4(id, 0);
  const b = hex4(id, 4);
  const c = hex4(id, 9);
  const d = hex4(id, 14);
  const e = hex4(id, 19);
  const f = hex4(id, 24);
  const g = hex4(id, 28);
  const h = hex4(id, 32);
  if ((a | b | c | d | e | f | g | h) < 0) return false;
  UUID_WORDS[0] = (a << 16) | b;
  UUID_WORDS[1] = (c << 16) | d;
  UUID_WORDS[2] = (e << 16) | f;
  UUID_WORDS[3] = (g << 16) | h;
  return true;
}

/** Four hex digits from `at` (0..0xffff); -1 when one is not a lowercase hex digit. */
function hex4(id: string, at: number): number {
  const c0 = id.charCodeAt(at);
  const c1 = id.charCodeAt(at + 1);
  const c2 = id.charCodeAt(at + 2);
  const c3 = id.charCodeAt(at + 3);
  if ((c0 | c1 | c2 | c3) >= 128) return -1;
  const d0 = HEX[c0]!;
  const d1 = HEX[c1]!;
  const d2 = HEX[c2]!;
  const d3 = HEX[c3]!;
  if ((d0 | d1 | d2 | d3) < 0) return -1;
  return (d0 << 12) | (d1 << 8) | (d2 << 4) | d3;
}

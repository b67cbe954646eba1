/**
 * Value helpers shared by the constraint interpreter (`constraints.ts`) and the compiled fast
 * check (`constraint-compiler.ts`): both must measure lengths and defaults the same way.
 */

/** Length in Unicode code points (what protovalidate's string `len`/`min_len`/`max_len` count). */
export function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** UTF-8 byte length of a string (protovalidate's `len_bytes`/`min_bytes`/`max_bytes`). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** True when no two items are equal (bytes items compared by content). */
export function isUnique(list: readonly unknown[]): boolean {
  const keys = list.map((x) => (x instanceof Uint8Array ? Array.from(x).join(",") : x));
  return new Set(keys).size === keys.length;
}

/** The proto3 zero value of a field (unset, 0, "", false, empty bytes). */
export function isDefault(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === 0 ||
    value === "" ||
    value === false ||
    (value instanceof Uint8Array && value.length === 0)
  );
}

/**
 * protovalidate's well-known string formats, with its exact patterns (native/string.js):
 * hex digits in either case; `uuid` is 8-4-4-4-12 with hyphens, `tuuid` the 32 digits without.
 */
export const WELL_KNOWN = {
  uuid: {
    re: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    what: "UUID",
  },
  tuuid: { re: /^[0-9a-fA-F]{32}$/, what: "trimmed UUID" },
} as const;

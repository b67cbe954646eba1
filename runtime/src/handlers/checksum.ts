import { crc32 } from "node:zlib";

/**
 * CRC-32 (IEEE, zlib's) over the records' bytes concatenated in order, computed incrementally
 * so no concatenated copy is made.
 */
export function recordsCrc32(records: readonly Uint8Array[]): number {
  let crc = 0;
  for (const record of records) crc = crc32(record, crc);
  return crc >>> 0;
}

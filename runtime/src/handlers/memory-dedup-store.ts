import type { ClaimOptions, ClaimResult, DedupStore, MessageKey } from "../cloud/ports.js";
import { messageKeyId } from "../cloud/ports.js";
import { SYNC_CLAIM } from "./dedup.js";

/** Slot states (0: never used). A released claim leaves a tombstone until the next rebuild. */
const EMPTY = 0;
const IN_PROGRESS = 1;
const DONE = 2;
const FAILED = 3;
const DELETED = 4;
/** A slot is 24 bytes: four Int32 fields (hash, state, key start, key lengths), then the expiry as a Float64. */
const STRIDE = 6;
const UNTIL = 4;
/** Characters per arena chunk (256 KiB). */
const CHUNK = 128 * 1024;
/** Longest vehicle id or message id held (lengths are packed in 16 bits). */
const MAX_PART = 0xffff;

const NOTHING_DONE: readonly string[] = Object.freeze([]);
const CLAIMED: ClaimResult = Object.freeze({ status: "claimed", done: NOTHING_DONE });
const DUPLICATE: ClaimResult = Object.freeze({ status: "duplicate" });
const IN_PROGRESS_RESULT: ClaimResult = Object.freeze({ status: "in-progress" });

/**
 * An in-process dedup ledger with the adapters' semantics: for benchmarks, tests and local
 * runs of the pipeline's own cost, not for production (claims are per process).
 *
 * It keeps no object per message: an open-addressing table in typed arrays (hash, state,
 * expiry, where the key's characters are) over character chunks holding
 * `vehicleId` + `messageId`. A ledger of many live claims then costs the garbage collector
 * nothing per claim (a `Map` of entry objects and id strings made every young-generation
 * collection copy them), and no `vehicle/message` string is built per claim. Only a released
 * claim that names sinks already written keeps that list, in a side map.
 */
export class MemoryDedupStore implements DedupStore {
  private capacity = 1024;
  /**
   * Per slot, in one place (a claim touches one cache line of the table): hash, state, key
   * start, key lengths (vehicle << 16 | message), lease or window end (epoch ms, a Float64
   * over the same bytes).
   */
  private slots = new Int32Array(this.capacity * STRIDE);
  private untils = new Float64Array(this.slots.buffer);
  /** Key characters in fixed chunks (growing never copies): slot start = chunk * CHUNK + offset. */
  private readonly chunks: Uint16Array[] = [];
  private chunkUsed = CHUNK;
  /** Slots not EMPTY (live + tombstones): the load that decides a rebuild. */
  private occupied = 0;
  private live = 0;
  /** The sinks already written of a FAILED claim, by `messageKeyId`. */
  private readonly failedDone = new Map<string, readonly string[]>();

  /** @inheritdoc */
  claim(key: MessageKey, nowMs: number, options: ClaimOptions): Promise<ClaimResult> {
    return Promise.resolve(this.claimNow(key, nowMs, options));
  }

  /**
   * `claim` without the Promise: the same ledger transition, answered synchronously (the
   * store holds nothing outside this process, so there is nothing to wait for).
   */
  claimNow(key: MessageKey, nowMs: number, options: ClaimOptions): ClaimResult {
    const hash = hashKey(key.vehicleId, key.messageId);
    const slot = this.find(key, hash);
    if (slot < 0) {
      this.insert(key, hash, IN_PROGRESS, nowMs + options.leaseMs);
      return CLAIMED;
    }
    const at = slot * STRIDE;
    const state = this.slots[at + 1]!;
    if (state === DONE && this.untilOf(at) >= nowMs) return DUPLICATE;
    if (state === IN_PROGRESS && this.untilOf(at) >= nowMs) return IN_PROGRESS_RESULT;
    this.slots[at + 1] = IN_PROGRESS;
    this.setUntil(at, nowMs + options.leaseMs);
    if (state !== FAILED) return CLAIMED;
    const id = messageKeyId(key);
    const done = this.failedDone.get(id) ?? NOTHING_DONE;
    this.failedDone.delete(id);
    return done.length === 0 ? CLAIMED : { status: "claimed", done };
  }

  /** @inheritdoc */
  complete(key: MessageKey, nowMs: number, windowMs: number): Promise<void> {
    this.put(key, DONE, nowMs + windowMs);
    this.failedDone.delete(messageKeyId(key));
    return Promise.resolve();
  }

  /** @inheritdoc */
  release(key: MessageKey, done: readonly string[]): Promise<void> {
    if (done.length > 0) {
      this.put(key, FAILED, 0);
      this.failedDone.set(messageKeyId(key), [...done]);
    } else {
      const slot = this.find(key, hashKey(key.vehicleId, key.messageId));
      if (slot >= 0) {
        this.slots[slot * STRIDE + 1] = DELETED;
        this.live--;
      }
      this.failedDone.delete(messageKeyId(key));
    }
    return Promise.resolve();
  }

  /** The pipeline's synchronous claim (see `claimMessage`). */
  [SYNC_CLAIM](key: MessageKey, nowMs: number, options: ClaimOptions): ClaimResult {
    return this.claimNow(key, nowMs, options);
  }

  /** Number of ledger entries held. */
  get size(): number {
    return this.live;
  }

  private put(key: MessageKey, state: number, until: number): void {
    const hash = hashKey(key.vehicleId, key.messageId);
    const slot = this.find(key, hash);
    if (slot < 0) this.insert(key, hash, state, until);
    else {
      this.slots[slot * STRIDE + 1] = state;
      this.setUntil(slot * STRIDE, until);
    }
  }

  private untilOf(at: number): number {
    return this.untils[(at + UNTIL) >> 1]!;
  }

  private setUntil(at: number, until: number): void {
    this.untils[(at + UNTIL) >> 1] = until;
  }

  /** The slot holding `key` (a live entry), or -1 (always for a key too long to be held). */
  private find(key: MessageKey, hash: number): number {
    if (key.vehicleId.length > MAX_PART || key.messageId.length > MAX_PART) return -1;
    const mask = this.capacity - 1;
    const slots = this.slots;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = slot * STRIDE;
      const state = slots[at + 1]!;
      if (state === EMPTY) return -1;
      if (state !== DELETED && slots[at] === hash && this.holds(at, key)) return slot;
    }
  }

  private holds(at: number, key: MessageKey): boolean {
    const v = key.vehicleId;
    const m = key.messageId;
    if (this.slots[at + 3] !== ((v.length << 16) | m.length)) return false;
    const start = this.slots[at + 2]!;
    const chunk = this.chunks[Math.floor(start / CHUNK)]!;
    let i = start % CHUNK;
    for (let j = 0; j < v.length; j++) if (chunk[i++] !== v.charCodeAt(j)) return false;
    for (let j = 0; j < m.length; j++) if (chunk[i++] !== m.charCodeAt(j)) return false;
    return true;
  }

  private insert(key: MessageKey, hash: number, state: number, until: number): void {
    if ((this.occupied + 1) * 2 > this.capacity) this.rebuild();
    const v = key.vehicleId;
    const m = key.messageId;
    if (v.length > MAX_PART || m.length > MAX_PART)
      throw new RangeError(
        `dedup key parts of ${v.length} and ${m.length} characters (max ${MAX_PART})`,
      );
    const start = this.reserve(v.length + m.length);
    const chunk = this.chunks[this.chunks.length - 1]!;
    let i = start % CHUNK;
    for (let j = 0; j < v.length; j++) chunk[i++] = v.charCodeAt(j);
    for (let j = 0; j < m.length; j++) chunk[i++] = m.charCodeAt(j);
    const mask = this.capacity - 1;
    let slot = hash & mask;
    while (this.slots[slot * STRIDE + 1] !== EMPTY) slot = (slot + 1) & mask;
    const at = slot * STRIDE;
    this.slots[at] = hash;
    this.slots[at + 1] = state;
    this.slots[at + 2] = start;
    this.slots[at + 3] = (v.length << 16) | m.length;
    this.setUntil(at, until);
    this.occupied++;
    this.live++;
  }

  /** Room for `n` characters in the last chunk (a new chunk when it is full); the global start. */
  private reserve(n: number): number {
    if (this.chunkUsed + n > CHUNK) {
      this.chunks.push(new Uint16Array(CHUNK));
      this.chunkUsed = 0;
    }
    const start = (this.chunks.length - 1) * CHUNK + this.chunkUsed;
    this.chunkUsed += n;
    return start;
  }

  /**
   * A table twice as large (or as large, when tombstones fill it), with the live entries
   * re-slotted; their characters stay where they are (a tombstone's are not reclaimed).
   */
  private rebuild(): void {
    const old = { capacity: this.capacity, slots: this.slots };
    let capacity = this.capacity;
    while ((this.live + 1) * 4 > capacity) capacity *= 2;
    this.capacity = capacity;
    this.slots = new Int32Array(capacity * STRIDE);
    this.untils = new Float64Array(this.slots.buffer);
    this.occupied = 0;
    const mask = capacity - 1;
    for (let from = 0; from < old.capacity; from++) {
      const at = from * STRIDE;
      const state = old.slots[at + 1]!;
      if (state === EMPTY || state === DELETED) continue;
      let slot = old.slots[at]! & mask;
      while (this.slots[slot * STRIDE + 1] !== EMPTY) slot = (slot + 1) & mask;
      this.slots.set(old.slots.subarray(at, at + STRIDE), slot * STRIDE);
      this.occupied++;
    }
  }
}

/** FNV-1a over the key's two parts (a separator between them), finished with a murmur mix. */
function hashKey(vehicleId: string, messageId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < vehicleId.length; i++) h = Math.imul(h ^ vehicleId.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x2f, 0x01000193);
  for (let i = 0; i < messageId.length; i++) h = Math.imul(h ^ messageId.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

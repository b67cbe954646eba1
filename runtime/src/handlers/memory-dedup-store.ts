import type { ClaimOptions, ClaimResult, DedupStore, MessageKey } from "../cloud/ports.js";
import { messageKeyId } from "../cloud/ports.js";
import { SYNC_CLAIM } from "./dedup.js";

/** Slot states (0: never used). A released claim leaves a tombstone until the next rebuild. */
const EMPTY = 0;
const IN_PROGRESS = 1;
const DONE = 2;
const FAILED = 3;
const DELETED = 4;
/**
 * A slot is 32 bytes (aligned, never across two cache lines): Int32 fields hash, state,
 * message id start, message id length, vehicle number, (unused), then the expiry as a Float64.
 */
const STRIDE = 8;
const UNTIL = 6;
/** Characters per chunk of message ids (256 KiB); a longer message id is refused. */
const CHUNK = 128 * 1024;

const NOTHING_DONE: readonly string[] = Object.freeze([]);
const CLAIMED: ClaimResult = Object.freeze({ status: "claimed", done: NOTHING_DONE });
const DUPLICATE: ClaimResult = Object.freeze({ status: "duplicate" });
const IN_PROGRESS_RESULT: ClaimResult = Object.freeze({ status: "in-progress" });

/**
 * An in-process dedup ledger with the adapters' semantics: for benchmarks, tests and local
 * runs of the pipeline's own cost, not for production (claims are per process).
 *
 * It keeps no object per message: vehicle ids are numbered once (a fleet is small next to
 * its messages), and each claim is a slot of an open-addressing table in one typed array
 * (hash, state, where the message id's characters are, the vehicle's number, the expiry) over
 * chunks of message id characters. A ledger of many live claims then costs the garbage
 * collector nothing per claim (a `Map` of entry objects and id strings made every
 * young-generation collection copy them), and no `vehicle/message` string is built per claim.
 * Only a released claim that names sinks already written keeps that list, in a side map.
 */
export class MemoryDedupStore implements DedupStore {
  private capacity = 1024;
  private slots = new Int32Array(this.capacity * STRIDE);
  private untils = new Float64Array(this.slots.buffer);
  private readonly vehicles = new Map<string, number>();
  /** Message id characters in fixed chunks (growing never copies): start = chunk * CHUNK + offset. */
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
    const vehicle = this.vehicleNumber(key.vehicleId);
    const hash = hashKey(vehicle, key.messageId);
    const slot = this.find(vehicle, key.messageId, hash);
    if (slot < 0) {
      this.insert(vehicle, key.messageId, hash, IN_PROGRESS, nowMs + options.leaseMs);
      return CLAIMED;
    }
    const at = slot * STRIDE;
    const state = this.slots[at + 1]!;
    const until = this.untils[(at + UNTIL) >> 1]!;
    if (state === DONE && until >= nowMs) return DUPLICATE;
    if (state === IN_PROGRESS && until >= nowMs) return IN_PROGRESS_RESULT;
    this.slots[at + 1] = IN_PROGRESS;
    this.untils[(at + UNTIL) >> 1] = nowMs + options.leaseMs;
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
      const vehicle = this.vehicles.get(key.vehicleId);
      const slot =
        vehicle === undefined
          ? -1
          : this.find(vehicle, key.messageId, hashKey(vehicle, key.messageId));
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

  private vehicleNumber(vehicleId: string): number {
    let n = this.vehicles.get(vehicleId);
    if (n === undefined) {
      n = this.vehicles.size;
      this.vehicles.set(vehicleId, n);
    }
    return n;
  }

  private put(key: MessageKey, state: number, until: number): void {
    const vehicle = this.vehicleNumber(key.vehicleId);
    const hash = hashKey(vehicle, key.messageId);
    const slot = this.find(vehicle, key.messageId, hash);
    if (slot < 0) this.insert(vehicle, key.messageId, hash, state, until);
    else {
      this.slots[slot * STRIDE + 1] = state;
      this.untils[(slot * STRIDE + UNTIL) >> 1] = until;
    }
  }

  /** The slot holding the key (a live entry), or -1 (always for a message id too long to be held). */
  private find(vehicle: number, messageId: string, hash: number): number {
    if (messageId.length > CHUNK) return -1;
    const mask = this.capacity - 1;
    const slots = this.slots;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const at = slot * STRIDE;
      const state = slots[at + 1]!;
      if (state === EMPTY) return -1;
      if (
        state !== DELETED &&
        slots[at] === hash &&
        slots[at + 4] === vehicle &&
        this.holds(at, messageId)
      )
        return slot;
    }
  }

  private holds(at: number, messageId: string): boolean {
    if (this.slots[at + 3] !== messageId.length) return false;
    const start = this.slots[at + 2]!;
    const chunk = this.chunks[Math.floor(start / CHUNK)]!;
    let i = start % CHUNK;
    for (let j = 0; j < messageId.length; j++)
      if (chunk[i++] !== messageId.charCodeAt(j)) return false;
    return true;
  }

  private insert(
    vehicle: number,
    messageId: string,
    hash: number,
    state: number,
    until: number,
  ): void {
    if (messageId.length > CHUNK)
      throw new RangeError(`message id of ${messageId.length} characters (max ${CHUNK})`);
    if ((this.occupied + 1) * 2 > this.capacity) this.rebuild();
    const start = this.reserve(messageId.length);
    const chunk = this.chunks[this.chunks.length - 1]!;
    let i = start % CHUNK;
    for (let j = 0; j < messageId.length; j++) chunk[i++] = messageId.charCodeAt(j);
    const mask = this.capacity - 1;
    let slot = hash & mask;
    while (this.slots[slot * STRIDE + 1] !== EMPTY) slot = (slot + 1) & mask;
    const at = slot * STRIDE;
    this.slots[at] = hash;
    this.slots[at + 1] = state;
    this.slots[at + 2] = start;
    this.slots[at + 3] = messageId.length;
    this.slots[at + 4] = vehicle;
    this.untils[(at + UNTIL) >> 1] = until;
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
   * A table four times as large (or as large, when tombstones fill it), with the live entries
   * re-slotted; their characters stay where they are (a tombstone's are not reclaimed).
   */
  private rebuild(): void {
    const old = { capacity: this.capacity, slots: this.slots };
    let capacity = this.capacity;
    // Four times the live entries at least: a growing ledger is re-slotted rarely.
    while ((this.live + 1) * 4 > capacity) capacity *= 4;
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
      const to = slot * STRIDE;
      for (let i = 0; i < STRIDE; i++) this.slots[to + i] = old.slots[at + i]!;
      this.occupied++;
    }
  }
}

/** FNV-1a over the message id, seeded with the vehicle's number, finished with a murmur mix. */
function hashKey(vehicle: number, messageId: string): number {
  let h = Math.imul(0x811c9dc5 ^ vehicle, 0x01000193);
  for (let i = 0; i < messageId.length; i++) h = Math.imul(h ^ messageId.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

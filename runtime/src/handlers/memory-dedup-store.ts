import type { ClaimOptions, ClaimResult, DedupStore, MessageKey } from "../cloud/ports.js";
import { messageKeyId } from "../cloud/ports.js";
import { SYNC_CLAIM } from "./dedup.js";
import { readUuid, UUID_WORDS } from "./uuid-words.js";

/** Entry states. */
const IN_PROGRESS = 1;
const DONE = 2;
const FAILED = 3;
/** A table slot's entry reference: 0 never used, -1 a released entry (probing goes on), else entry + 1. */
const EMPTY = 0;
const TOMBSTONE = -1;
/**
 * An entry is 32 bytes (Int32 fields): the message id (a UUID's four words, or where its
 * characters start), the vehicle's number, `state | idCode << 3` (idCode 0: a UUID; else the
 * id's length + 1), then the expiry as a Float64.
 */
const ENTRY = 8;
const VEHICLE = 4;
const META = 5;
const UNTIL = 6;
/** Entries per block (256 KiB): blocks are never copied, only added. */
const BLOCK_SHIFT = 13;
const BLOCK_MASK = (1 << BLOCK_SHIFT) - 1;
/** Characters per chunk of non-UUID message ids (256 KiB); a longer message id is refused. */
const CHUNK = 128 * 1024;

const NOTHING_DONE: readonly string[] = Object.freeze([]);
const CLAIMED: ClaimResult = Object.freeze({ status: "claimed", done: NOTHING_DONE });
const DUPLICATE: ClaimResult = Object.freeze({ status: "duplicate" });
const IN_PROGRESS_RESULT: ClaimResult = Object.freeze({ status: "in-progress" });

/**
 * An in-process dedup ledger with the adapters' semantics: for benchmarks, tests and local
 * runs of the pipeline's own cost, not for production (claims are per process).
 *
 * It keeps no object per message. Vehicle ids are numbered once (a fleet is small next to its
 * messages), in a small hash table of their own. Each claim is an entry in blocks of one typed array each, appended (a released
 * entry is reused); a message id that is a canonical UUID — what the clients send — is held as
 * its 16 bytes, hashed and compared as four numbers without a string operation; any other id
 * keeps its characters in chunks. The open-addressing index holds only a hash and an entry
 * number per slot (8 bytes), so a growing ledger re-slots little and moves no entry. A `Map`
 * of entry objects and id strings made every young-generation collection copy them.
 * Only a released claim that names sinks already written keeps that list, in a side map.
 */
export class MemoryDedupStore implements DedupStore {
  private capacity = 1024;
  /** Per slot: hash, entry reference (see EMPTY / TOMBSTONE). */
  private table = new Int32Array(this.capacity * 2);
  private readonly blocks: Int32Array[] = [];
  private readonly untils: Float64Array[] = [];
  private entries = 0;
  private readonly free: number[] = [];
  /** Vehicle ids by number, and their open-addressing index (hash, number + 1 per slot). */
  private readonly vehicleIds: string[] = [];
  private vehicleIndex = new Int32Array(256 * 2);
  /** Non-UUID message id characters: start = chunk * CHUNK + offset. */
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
    const id = key.messageId;
    const uuid = readUuid(id);
    const hash = uuid ? hashWords(vehicle) : hashChars(vehicle, id);
    const slot = this.find(vehicle, id, uuid, hash);
    if (slot < 0) {
      this.insert(vehicle, id, uuid, hash, IN_PROGRESS, nowMs + options.leaseMs);
      return CLAIMED;
    }
    const e = this.table[slot * 2 + 1]! - 1;
    const block = this.blocks[e >>> BLOCK_SHIFT]!;
    const at = (e & BLOCK_MASK) * ENTRY;
    const untils = this.untils[e >>> BLOCK_SHIFT]!;
    const meta = block[at + META]!;
    const state = meta & 7;
    const until = untils[(at + UNTIL) >> 1]!;
    if (state === DONE && until >= nowMs) return DUPLICATE;
    if (state === IN_PROGRESS && until >= nowMs) return IN_PROGRESS_RESULT;
    block[at + META] = (meta & ~7) | IN_PROGRESS;
    untils[(at + UNTIL) >> 1] = nowMs + options.leaseMs;
    if (state !== FAILED) return CLAIMED;
    const keyId = messageKeyId(key);
    const done = this.failedDone.get(keyId) ?? NOTHING_DONE;
    this.failedDone.delete(keyId);
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
      const vehicle = this.vehicleNumber(key.vehicleId, false);
      const slot = vehicle < 0 ? -1 : this.lookup(vehicle, key.messageId);
      if (slot >= 0) {
        this.free.push(this.table[slot * 2 + 1]! - 1);
        this.table[slot * 2 + 1] = TOMBSTONE;
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

  /**
   * The vehicle's number, `add`ing it when new (else -1). A small table of its own rather than
   * a `Map`: the id is a fresh string per message, which a `Map` hashes in the runtime.
   */
  private vehicleNumber(vehicleId: string, add = true): number {
    const hash = hashChars(0, vehicleId);
    const index = this.vehicleIndex;
    const mask = (index.length >> 1) - 1;
    let slot = hash & mask;
    for (; ; slot = (slot + 1) & mask) {
      const ref = index[slot * 2 + 1]!;
      if (ref === 0) break;
      if (index[slot * 2] === hash && this.vehicleIds[ref - 1] === vehicleId) return ref - 1;
    }
    if (!add) return -1;
    const n = this.vehicleIds.push(vehicleId) - 1;
    index[slot * 2] = hash;
    index[slot * 2 + 1] = n + 1;
    if (this.vehicleIds.length * 2 > mask + 1) this.growVehicles();
    return n;
  }

  private growVehicles(): void {
    const old = this.vehicleIndex;
    const index = new Int32Array(old.length * 4);
    const mask = (index.length >> 1) - 1;
    for (let from = 0; from < old.length; from += 2) {
      if (old[from + 1] === 0) continue;
      let slot = old[from]! & mask;
      while (index[slot * 2 + 1] !== 0) slot = (slot + 1) & mask;
      index[slot * 2] = old[from]!;
      index[slot * 2 + 1] = old[from + 1]!;
    }
    this.vehicleIndex = index;
  }

  /** The slot of a key (hashing it), or -1. */
  private lookup(vehicle: number, id: string): number {
    const uuid = readUuid(id);
    return this.find(vehicle, id, uuid, uuid ? hashWords(vehicle) : hashChars(vehicle, id));
  }

  private put(key: MessageKey, state: number, until: number): void {
    const vehicle = this.vehicleNumber(key.vehicleId);
    const id = key.messageId;
    const uuid = readUuid(id);
    const hash = uuid ? hashWords(vehicle) : hashChars(vehicle, id);
    const slot = this.find(vehicle, id, uuid, hash);
    if (slot < 0) this.insert(vehicle, id, uuid, hash, state, until);
    else {
      const e = this.table[slot * 2 + 1]! - 1;
      const block = this.blocks[e >>> BLOCK_SHIFT]!;
      const at = (e & BLOCK_MASK) * ENTRY;
      block[at + META] = (block[at + META]! & ~7) | state;
      this.untils[e >>> BLOCK_SHIFT]![(at + UNTIL) >> 1] = until;
    }
  }

  /**
   * The slot holding the key (a live entry), or -1 (always for a message id too long to be
   * held). With `uuid`, the id's words are in UUID_WORDS.
   */
  private find(vehicle: number, id: string, uuid: boolean, hash: number): number {
    if (id.length > CHUNK) return -1;
    const mask = this.capacity - 1;
    const table = this.table;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const ref = table[slot * 2 + 1]!;
      if (ref === EMPTY) return -1;
      if (ref > 0 && table[slot * 2] === hash && this.holds(ref - 1, vehicle, id, uuid))
        return slot;
    }
  }

  private holds(e: number, vehicle: number, id: string, uuid: boolean): boolean {
    const block = this.blocks[e >>> BLOCK_SHIFT]!;
    const at = (e & BLOCK_MASK) * ENTRY;
    if (block[at + VEHICLE] !== vehicle) return false;
    const idCode = block[at + META]! >>> 3;
    if (uuid)
      return (
        idCode === 0 &&
        block[at] === UUID_WORDS[0] &&
        block[at + 1] === UUID_WORDS[1] &&
        block[at + 2] === UUID_WORDS[2] &&
        block[at + 3] === UUID_WORDS[3]
      );
    if (idCode !== id.length + 1) return false;
    const start = block[at]!;
    const chunk = this.chunks[Math.floor(start / CHUNK)]!;
    let i = start % CHUNK;
    for (let j = 0; j < id.length; j++) if (chunk[i++] !== id.charCodeAt(j)) return false;
    return true;
  }

  private insert(
    vehicle: number,
    id: string,
    uuid: boolean,
    hash: number,
    state: number,
    until: number,
  ): void {
    if (id.length > CHUNK)
      throw new RangeError(`message id of ${id.length} characters (max ${CHUNK})`);
    if ((this.occupied + 1) * 2 > this.capacity) this.rebuild();
    const e = this.free.pop() ?? this.newEntry();
    const block = this.blocks[e >>> BLOCK_SHIFT]!;
    const at = (e & BLOCK_MASK) * ENTRY;
    if (uuid) {
      block[at] = UUID_WORDS[0]!;
      block[at + 1] = UUID_WORDS[1]!;
      block[at + 2] = UUID_WORDS[2]!;
      block[at + 3] = UUID_WORDS[3]!;
      block[at + META] = state;
    } else {
      const start = this.reserve(id.length);
      const chunk = this.chunks[this.chunks.length - 1]!;
      let i = start % CHUNK;
      for (let j = 0; j < id.length; j++) chunk[i++] = id.charCodeAt(j);
      block[at] = start;
      block[at + META] = state | ((id.length + 1) << 3);
    }
    block[at + VEHICLE] = vehicle;
    this.untils[e >>> BLOCK_SHIFT]![(at + UNTIL) >> 1] = until;
    const mask = this.capacity - 1;
    let slot = hash & mask;
    while (this.table[slot * 2 + 1] !== EMPTY) slot = (slot + 1) & mask;
    this.table[slot * 2] = hash;
    this.table[slot * 2 + 1] = e + 1;
    this.occupied++;
    this.live++;
  }

  /** A new entry number (a new block when the last is full). */
  private newEntry(): number {
    const e = this.entries++;
    if ((e & BLOCK_MASK) === 0) {
      const block = new Int32Array((BLOCK_MASK + 1) * ENTRY);
      this.blocks.push(block);
      this.untils.push(new Float64Array(block.buffer));
    }
    return e;
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
   * An index four times as large (or as large, when tombstones fill it), with the live
   * entries re-slotted by their hash; entries themselves never move.
   */
  private rebuild(): void {
    const old = this.table;
    const oldCapacity = this.capacity;
    let capacity = this.capacity;
    // Four times the live entries at least: a growing ledger is re-slotted rarely.
    while ((this.live + 1) * 4 > capacity) capacity *= 4;
    const table = new Int32Array(capacity * 2);
    const mask = capacity - 1;
    for (let from = 0; from < oldCapacity; from++) {
      const ref = old[from * 2 + 1]!;
      if (ref <= 0) continue;
      const hash = old[from * 2]!;
      let slot = hash & mask;
      while (table[slot * 2 + 1] !== EMPTY) slot = (slot + 1) & mask;
      table[slot * 2] = hash;
      table[slot * 2 + 1] = ref;
    }
    this.capacity = capacity;
    this.table = table;
    this.occupied = this.live;
  }
}

/** The UUID in UUID_WORDS with the vehicle's number, mixed (murmur3's finaliser per word). */
function hashWords(vehicle: number): number {
  let h = Math.imul(0x811c9dc5 ^ vehicle, 0x01000193);
  h = mixWord(h, UUID_WORDS[0]!);
  h = mixWord(h, UUID_WORDS[1]!);
  h = mixWord(h, UUID_WORDS[2]!);
  h = mixWord(h, UUID_WORDS[3]!);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

function mixWord(h: number, w: number): number {
  let k = Math.imul(w, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** FNV-1a over a string (a vehicle id, a non-UUID message id), seeded with the vehicle's number, finished with a murmur mix. */
function hashChars(vehicle: number, messageId: string): number {
  let h = Math.imul(0x811c9dc5 ^ vehicle, 0x01000193);
  for (let i = 0; i < messageId.length; i++) h = Math.imul(h ^ messageId.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h | 0;
}

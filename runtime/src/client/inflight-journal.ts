import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { crc32 } from "node:zlib";
import type { QueueEntryInput } from "./persistent-queue.js";

/** A message on its way to the broker, as the journal holds it. */
export interface InflightEntry extends QueueEntryInput {
  /** Journal id (what `ack` takes); unrelated to the queue's `seq`. */
  readonly id: number;
  readonly enqueuedAt: number;
}

/** A live entry as kept in memory: the caller's input object, not a copy. */
interface Slot {
  readonly id: number;
  readonly enqueuedAt: number;
  readonly input: QueueEntryInput;
}

const INSERT = 1;
const ACK = 2;
/** Record frame: [u32 body length][u32 CRC-32 of the body][body]. */
const FRAME = 8;
/** Rewrite the file (live records only) once it grows past this. */
const COMPACT_BYTES = 1 << 20;

/**
 * The write-ahead log of the publishes in flight on a live connection: an append-only file
 * next to the queue database. One `write` per event-loop turn appends that turn's new
 * messages and acknowledgements; a message is in the file before its PUBLISH is written, so a
 * crash or SIGKILL of the process never loses it (the file is in the kernel once `write`
 * returns); on the next open `PersistentQueue` moves what was not acknowledged into the queue.
 *
 * Why not the queue's SQLite table: a transaction there rewrites whole B-tree pages in the WAL
 * (and checkpoints them), measured at 10–20 µs per message — as much as MQTT.js's whole publish;
 * an append here is one syscall per turn. No fsync: until its PUBACK nobody has been told
 * anything about such a message; whatever the application is told is "queued" is moved into
 * the queue with an fsync first (`PersistentQueue.requeue`). A torn last record (killed inside
 * a `write`) fails its CRC and is ignored with everything after it.
 */
export class InflightJournal {
  private fd: number;
  private bytes: number;
  private nextId = 1;
  private readonly live = new Map<number, Slot>();
  private pendingAcks: number[] = [];

  private constructor(private readonly path: string | undefined) {
    this.fd = path === undefined ? -1 : openSync(path, "a");
    this.bytes = path === undefined ? 0 : fstatSync(this.fd).size;
  }

  /**
   * Opens the journal at `path` and returns the entries a previous process left unacknowledged,
   * in order; `takeOver` must store them durably, after which the file starts empty.
   */
  static open(
    path: string | undefined,
    takeOver: (entries: InflightEntry[]) => void,
  ): InflightJournal {
    // No file (an in-memory queue): the entries live in memory only, like the queue itself.
    if (path === undefined) return new InflightJournal(undefined);
    const left = existsSync(path) ? replay(readFileSync(path)) : [];
    if (left.length > 0) takeOver(left);
    // Truncated only after the entries are safe elsewhere (a crash in between replays them again:
    // at worst a duplicate send, which QoS 1 and cloud-side dedup allow).
    closeSync(openSync(path, "w"));
    return new InflightJournal(path);
  }

  /** Appends `inputs` (and the acks of this turn) in one write; returns their journal ids. */
  append(inputs: readonly QueueEntryInput[], enqueuedAt: number): number[] {
    const slots: Slot[] = [];
    const ids: number[] = [];
    for (const input of inputs) {
      const slot: Slot = { id: this.nextId++, enqueuedAt, input };
      this.live.set(slot.id, slot);
      slots.push(slot);
      ids.push(slot.id);
    }
    this.write(slots);
    return ids;
  }

  /** Marks a delivered entry done; its record is written with the next append or `flush`. */
  ack(id: number): void {
    if (this.live.delete(id)) this.pendingAcks.push(id);
  }

  /** The live entry `id`, if not yet acknowledged. */
  get(id: number): InflightEntry | undefined {
    const slot = this.live.get(id);
    return slot && { ...slot.input, id: slot.id, enqueuedAt: slot.enqueuedAt };
  }

  /** Entries appended and not yet acknowledged. */
  get size(): number {
    return this.live.size;
  }

  /** Writes pending ack records (nothing when there are none). */
  flush(): void {
    if (this.pendingAcks.length > 0) this.write([]);
  }

  /** Flushes and closes the file (entries still live are taken over by the next open). */
  close(): void {
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
  }

  private write(entries: readonly Slot[]): void {
    const acks = this.pendingAcks;
    this.pendingAcks = [];
    if (this.fd < 0) return;
    if (this.bytes > COMPACT_BYTES) this.compact();
    const out = encodeRecords(entries, acks);
    let done = 0;
    while (done < out.length) done += writeSync(this.fd, out, done, out.length - done);
    this.bytes += out.length;
  }

  /** Rewrites the file with the live entries only (new file, then an atomic rename). */
  private compact(): void {
    const path = this.path as string;
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, "w");
    const out = encodeRecords([...this.live.values()], []);
    let done = 0;
    while (done < out.length) done += writeSync(fd, out, done, out.length - done);
    closeSync(fd);
    renameSync(tmp, path);
    closeSync(this.fd);
    this.fd = openSync(path, "a");
    this.bytes = out.length;
  }
}

/** Insert body: type, id, enqueuedAt, qos, flags, alias, expiry, message id, topic, payload. */
const INSERT_FIXED = 1 + 8 + 8 + 1 + 1 + 2 + 4 + 2 + 2;
const ACK_BODY = 1 + 8;

/** Frames `entries` (insert records) and `acks` (ack records) into one buffer. */
function encodeRecords(slots: readonly Slot[], acks: readonly number[]): Buffer {
  let size = acks.length * (FRAME + ACK_BODY);
  for (const { input: e } of slots)
    size +=
      FRAME +
      INSERT_FIXED +
      Buffer.byteLength(e.messageId, "utf8") +
      Buffer.byteLength(e.topic, "utf8") +
      e.payload.byteLength;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const slot of slots) {
    const e = slot.input;
    const start = at + FRAME;
    let p = out.writeUInt8(INSERT, start);
    p = out.writeDoubleLE(slot.id, p);
    p = out.writeDoubleLE(slot.enqueuedAt, p);
    p = out.writeUInt8(e.qos, p);
    const flags =
      (e.retain ? 1 : 0) |
      (e.alias !== undefined ? 2 : 0) |
      (e.messageExpiryS !== undefined ? 4 : 0);
    p = out.writeUInt8(flags, p);
    p = out.writeUInt16LE(e.alias ?? 0, p);
    p = out.writeUInt32LE(e.messageExpiryS ?? 0, p);
    const idLength = out.write(e.messageId, p + 2, "utf8");
    out.writeUInt16LE(idLength, p);
    p += 2 + idLength;
    const topicLength = out.write(e.topic, p + 2, "utf8");
    out.writeUInt16LE(topicLength, p);
    p += 2 + topicLength;
    out.set(e.payload, p);
    p += e.payload.byteLength;
    at = frame(out, at, p);
  }
  for (const id of acks) {
    const p = out.writeUInt8(ACK, at + FRAME);
    at = frame(out, at, out.writeDoubleLE(id, p));
  }
  return out;
}

/** Writes the frame header of the body that ends at `end`; returns `end`. */
function frame(out: Buffer, at: number, end: number): number {
  out.writeUInt32LE(end - at - FRAME, at);
  out.writeUInt32LE(crc32(out.subarray(at + FRAME, end)), at + 4);
  return end;
}

/** The entries inserted and not acknowledged, in order; stops at the first torn record. */
function replay(file: Buffer): InflightEntry[] {
  const live = new Map<number, InflightEntry>();
  let at = 0;
  while (at + FRAME <= file.length) {
    const length = file.readUInt32LE(at);
    const end = at + FRAME + length;
    if (length === 0 || end > file.length) break;
    const body = file.subarray(at + FRAME, end);
    if (crc32(body) !== file.readUInt32LE(at + 4)) break;
    at = end;
    const id = body.readDoubleLE(1);
    if (body[0] === ACK) {
      live.delete(id);
      continue;
    }
    let p = 17;
    const enqueuedAt = body.readDoubleLE(9);
    const qos = body.readUInt8(p++);
    const flags = body.readUInt8(p++);
    const alias = body.readUInt16LE(p);
    const expiry = body.readUInt32LE(p + 2);
    p += 6;
    const idLength = body.readUInt16LE(p);
    const messageId = body.toString("utf8", p + 2, p + 2 + idLength);
    p += 2 + idLength;
    const topicLength = body.readUInt16LE(p);
    const topic = body.toString("utf8", p + 2, p + 2 + topicLength);
    p += 2 + topicLength;
    live.set(id, {
      id,
      enqueuedAt,
      messageId,
      topic,
      payload: new Uint8Array(body.subarray(p)),
      qos: qos === 0 || qos === 2 ? qos : 1,
      ...(flags & 1 ? { retain: true } : {}),
      ...(flags & 2 ? { alias } : {}),
      ...(flags & 4 ? { messageExpiryS: expiry } : {}),
    });
  }
  return [...live.values()];
}

/**
 * Packet identifiers of one connection, shared by MQTT.js (SUBSCRIBE) and the session's own
 * PUBLISH writer (`Outbox`): passed to MQTT.js as its `messageIdProvider`, so an identifier in
 * use by either side is never handed out again until it is released (MQTT 5 §2.2.1).
 */
export class PacketIds {
  private nextId = 1;
  private last: number | null = null;
  private readonly used = new Set<number>();

  /** A free identifier (1..65535), or null when all are in use. */
  allocate(): number | null {
    for (let i = 0; i < 65_535; i++) {
      const id = this.nextId;
      this.nextId = id === 65_535 ? 1 : id + 1;
      if (!this.used.has(id)) {
        this.used.add(id);
        this.last = id;
        return id;
      }
    }
    return null;
  }

  /** The identifier handed out last (MQTT.js API). */
  getLastAllocated(): number | null {
    return this.last;
  }

  /** Marks `id` used; false when it already was (MQTT.js API, for stored packets). */
  register(id: number): boolean {
    if (this.used.has(id)) return false;
    this.used.add(id);
    return true;
  }

  /** Releases `id` once its exchange is complete. */
  deallocate(id: number): void {
    this.used.delete(id);
  }

  /** Releases every identifier (MQTT.js calls it on CONNACK, before anything is sent). */
  clear(): void {
    this.used.clear();
  }
}

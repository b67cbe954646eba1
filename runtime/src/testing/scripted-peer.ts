import { createServer, type Server, type Socket } from "node:net";
import mqttPacket, {
  type IConnackPacket,
  type IConnectPacket,
  type IPublishPacket,
  type Packet,
} from "mqtt-packet";
import { freePort } from "./ports.js";

/** A packet the peer received, with the index of the connection it came on (0-based). */
export interface Received {
  readonly connection: number;
  readonly packet: Packet;
  readonly at: number;
}

export interface ScriptedPeerScript {
  /** CONNACK to answer CONNECT number `index`: reason code and properties. */
  connack?(
    connect: IConnectPacket,
    index: number,
  ): { reasonCode: number; properties?: IConnackPacket["properties"] };
  /** PUBACK reason code for a QoS 1 PUBLISH, or `null` to stay silent (no PUBACK). */
  puback?(publish: IPublishPacket, connection: number): number | null;
  /**
   * Answer a PUBLISH with DISCONNECT(reason) and close instead — how MQTT 5 brokers (Mosquitto,
   * IoT Core) refuse an oversize packet: 0x95 is not a valid PUBACK reason code.
   */
  disconnect?(publish: IPublishPacket, connection: number): number | undefined;
}

/**
 * A tiny MQTT 5 server built on mqtt-packet's parser/generator that answers with scripted
 * reason codes — for the codes Mosquitto never sends (CONNACK 0x97, PUBACK 0x95) and for
 * looking at exactly what the client wrote (topic aliases, DUP flags, packet ids).
 */
export class ScriptedPeer {
  readonly received: Received[] = [];
  private readonly sockets = new Set<Socket>();
  private connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly script: ScriptedPeerScript,
  ) {}

  /** Starts listening on a free port. */
  static async start(script: ScriptedPeerScript = {}): Promise<ScriptedPeer> {
    const port = await freePort();
    const server = createServer();
    const peer = new ScriptedPeer(server, port, script);
    server.on("connection", (s) => peer.onConnection(s));
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return peer;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** CONNECT packets received so far. */
  get connects(): IConnectPacket[] {
    return this.received
      .filter((r) => r.packet.cmd === "connect")
      .map((r) => r.packet as IConnectPacket);
  }

  /** PUBLISH packets received so far, with their connection index. */
  get publishes(): Array<{ connection: number; packet: IPublishPacket }> {
    return this.received
      .filter((r) => r.packet.cmd === "publish")
      .map((r) => ({ connection: r.connection, packet: r.packet as IPublishPacket }));
  }

  /** Polls until `predicate` holds; rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs: number, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(`scripted peer: ${what} not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Drops every open connection (a network failure from the client's point of view). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Closes the server and every connection. */
  async close(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    const index = this.connections++;
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined);
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const send = (p: Packet): void => {
      if (!socket.destroyed) socket.write(mqttPacket.generate(p, { protocolVersion: 5 }));
    };
    parser.on("packet", (packet: Packet) => {
      this.received.push({ connection: index, packet, at: Date.now() });
      switch (packet.cmd) {
        case "connect": {
          const answer = this.script.connack?.(packet, index) ?? { reasonCode: 0 };
          send({
            cmd: "connack",
            sessionPresent: false,
            reasonCode: answer.reasonCode,
            properties: answer.properties ?? {},
          });
          if (answer.reasonCode >= 0x80) socket.end();
          break;
        }
        case "publish": {
          const reason = this.script.disconnect?.(packet, index);
          if (reason !== undefined) {
            send({ cmd: "disconnect", reasonCode: reason });
            socket.end();
            break;
          }
          if (packet.qos !== 1) break;
          const rc = this.script.puback ? this.script.puback(packet, index) : 0;
          if (rc !== null) send({ cmd: "puback", messageId: packet.messageId, reasonCode: rc });
          break;
        }
        case "subscribe":
          send({
            cmd: "suback",
            messageId: packet.messageId,
            granted: packet.subscriptions.map(() => 1),
          });
          break;
        case "pingreq":
          send({ cmd: "pingresp" });
          break;
        case "disconnect":
          socket.end();
          break;
        default:
          break;
      }
    });
    parser.on("error", () => socket.destroy());
    socket.on("data", (d: Buffer) => parser.parse(d));
  }
}

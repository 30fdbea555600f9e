/**
 * An MQTT source (mqtt.js): topic filters with wildcards, QoS 0 or 1, MQTT 5 shared
 * subscriptions, clean or persistent sessions, credentials, TLS, reconnection with
 * backoff, a bounded buffer, and for QoS 1 with a persistent session the PUBACK held
 * back until the checkpoint covering the message has committed. See
 * docs/connectors-mqtt.md.
 */
import { readFileSync } from "node:fs";
import type { IClientOptions, IPublishPacket, ISubscriptionGrant, MqttClient } from "mqtt";
import type {
  Source,
  SourceContext,
  SourcePoll,
  SourceReader,
  SourceStatus,
} from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { DEFAULT_MAX_MESSAGE_BYTES, decodePayload } from "../inbound-payload.js";
import { MqttSourceError } from "./errors.js";
import { MessageBuffer } from "./message-buffer.js";
import { mqttLibrary } from "./mqtt-library.js";

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_BUFFER_SIZE = 10_000;
const DEFAULT_SESSION_EXPIRY_S = 3600;
const MAX_IDLE_WAIT_MS = 100;

/** Options of {@link MqttSource}. */
export interface MqttSourceOptions {
  /** Broker URL: `mqtt://host:1883`, `mqtts://host:8883` (TLS), `ws://…`. */
  readonly url: string;
  /**
   * Topic filters (`+` one level, `#` the rest). `$share/<group>/<filter>` shares
   * the filter among every client subscribing with the same group: each message
   * goes to one of them.
   */
  readonly topics: readonly string[];
  /** QoS of the subscriptions. Default 1. */
  readonly qos?: 0 | 1;
  /** Client identifier; required for a persistent session. Default: random. */
  readonly clientId?: string;
  /**
   * `true` (default): a new session at every connection. `false`: the broker keeps
   * the session (subscriptions and unacknowledged QoS 1 messages) while the client
   * is away, for `sessionExpirySeconds`.
   */
  readonly clean?: boolean;
  /** MQTT 5: how long the broker keeps a persistent session after a disconnect. Default 3600. */
  readonly sessionExpirySeconds?: number;
  /** MQTT protocol version: 5 (default) or 4 (3.1.1). */
  readonly protocolVersion?: 4 | 5;
  readonly username?: string;
  readonly password?: string;
  /** TLS files (PEM), for `mqtts://` or `wss://`. */
  readonly tls?: MqttTlsOptions;
  /**
   * When QoS 1 messages are acknowledged (PUBACK): `checkpoint`, once the checkpoint
   * covering them has committed (the default for QoS 1 with a persistent session), or
   * `receive`, as soon as they are buffered (the default otherwise). With MQTT 3.1.1
   * brokers send few unacknowledged messages at a time (Mosquitto: 20), so
   * `checkpoint` is the default with MQTT 5 only.
   */
  readonly ack?: "checkpoint" | "receive";
  /** Messages held in memory before the source stops reading from the socket. Default 10,000. */
  readonly bufferSize?: number;
  /** Most messages per batch. Default 1000. */
  readonly batchSize?: number;
  /** Larger messages become dead letters (see `decodePayload`). Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** First reconnection delay, doubled after each failure up to `reconnectMaxMs`. Default 500. */
  readonly reconnectMinMs?: number;
  /** Longest reconnection delay, ms. Default 30,000. */
  readonly reconnectMaxMs?: number;
  /** Time allowed for the first connection before `open` fails, ms. Default 10,000. */
  readonly connectTimeoutMs?: number;
  /** Keepalive interval, seconds. Default 30. */
  readonly keepaliveSeconds?: number;
  /** Clock for `receivedAt`. Default `Date.now`. */
  readonly now?: () => number;
}

/** TLS settings of an MQTT connection: paths of PEM files. */
export interface MqttTlsOptions {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Check the broker's certificate. Default true. */
  readonly rejectUnauthorized?: boolean;
}

/**
 * Subscribes to MQTT topics and hands the messages over as {@link InboundMessage}s
 * (payload, origin `mqtt:<topic>`, topic, receivedAt), in one source partition.
 *
 * **Delivery.** MQTT cannot replay: this source is at-least-once at best.
 * - QoS 1, persistent session (`clean: false`, a fixed `clientId`), `ack:
 *   "checkpoint"`: a message's PUBACK is sent only after the checkpoint that covers
 *   it has committed. If the process dies first, the broker still holds the message
 *   in the session and sends it again when the client (same id) reconnects, so
 *   nothing is lost; messages processed after the last checkpoint are processed
 *   again (use the pipeline's deduplication by sensor and timestamp). A message the
 *   broker sends again while its first copy is still held is recognised and not
 *   emitted twice.
 * - Otherwise (QoS 0, a clean session, or `ack: "receive"`) messages are
 *   acknowledged when buffered: at-most-once across a crash.
 *
 * **Positions** are a count of messages returned since `open`; they let the engine
 * tell the source what a committed checkpoint covers, and are ignored when
 * resuming (the broker's session decides what comes again).
 *
 * **Backpressure.** At most `bufferSize` messages wait in memory; beyond that the
 * client stops reading from the socket until `poll` takes some.
 *
 * **Status**: `connected`, `reconnecting` (with the last error) while it reconnects
 * with backoff, `closed`; lag is unknown (`null`) over MQTT.
 */
export class MqttSource implements Source<InboundMessage> {
  readonly description: string;
  readonly #options: MqttSourceOptions;

  constructor(options: MqttSourceOptions) {
    if (!Array.isArray(options.topics) || options.topics.length === 0) {
      throw new TypeError("MqttSource: `topics` must list at least one topic filter");
    }
    for (const topic of options.topics) {
      const problem = checkTopicFilter(topic);
      if (problem !== null)
        throw new TypeError(`MqttSource: topic filter ${JSON.stringify(topic)}: ${problem}`);
    }
    if (options.clean === false && !options.clientId) {
      throw new TypeError(
        "MqttSource: a persistent session (`clean: false`) needs a fixed `clientId`",
      );
    }
    if (options.ack === "checkpoint" && (options.qos ?? 1) === 0) {
      throw new TypeError("MqttSource: `ack: checkpoint` needs QoS 1");
    }
    for (const [name, value] of [
      ["batchSize", options.batchSize],
      ["bufferSize", options.bufferSize],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
        throw new RangeError(`MqttSource: \`${name}\` must be a positive integer, got ${value}`);
      }
    }
    this.#options = options;
    this.description = `mqtt:${redactUrl(options.url)} ${options.topics.join(",")}`;
  }

  async open(_context: SourceContext): Promise<SourceReader<InboundMessage>> {
    const o = this.#options;
    const qos = o.qos ?? 1;
    const persistent = o.clean === false;
    const protocolVersion = o.protocolVersion ?? 5;
    // MQTT 3.1.1 clients get few unacknowledged messages from a broker (Mosquitto: 20), so
    // holding PUBACKs until a checkpoint is the default with MQTT 5 only.
    const ack =
      o.ack ?? (qos === 1 && persistent && protocolVersion === 5 ? "checkpoint" : "receive");
    const options: IClientOptions = {
      protocolVersion,
      clean: !persistent,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      keepalive: o.keepaliveSeconds ?? 30,
      resubscribe: true,
      ...(o.clientId ? { clientId: o.clientId } : {}),
      ...(o.username !== undefined ? { username: o.username } : {}),
      ...(o.password !== undefined ? { password: o.password } : {}),
      ...(protocolVersion === 5
        ? {
            properties: {
              sessionExpiryInterval: persistent
                ? (o.sessionExpirySeconds ?? DEFAULT_SESSION_EXPIRY_S)
                : 0,
              receiveMaximum: 65_535,
            },
          }
        : {}),
    };
    if (o.tls) {
      try {
        if (o.tls.caFile) options.ca = readFileSync(o.tls.caFile);
        if (o.tls.certFile) options.cert = readFileSync(o.tls.certFile);
        if (o.tls.keyFile) options.key = readFileSync(o.tls.keyFile);
      } catch (error) {
        throw new MqttSourceError(o.url, `cannot read a TLS file: ${(error as Error).message}`, {
          cause: error,
        });
      }
      options.rejectUnauthorized = o.tls.rejectUnauthorized ?? true;
    }
    const reader = new MqttReader(o, options, qos, ack);
    await reader.start();
    return reader;
  }
}

/** Why a topic filter is invalid, or `null`. */
export function checkTopicFilter(filter: string): string | null {
  let topic = filter;
  if (topic.startsWith("$share/")) {
    const rest = topic.slice("$share/".length);
    const slash = rest.indexOf("/");
    if (slash <= 0) return "a shared subscription is $share/<group>/<filter>";
    if (/[+#]/.test(rest.slice(0, slash))) return "a share group name cannot hold + or #";
    topic = rest.slice(slash + 1);
  }
  if (topic === "") return "empty";
  const levels = topic.split("/");
  for (const [i, level] of levels.entries()) {
    if (level.includes("#") && (level !== "#" || i !== levels.length - 1)) {
      return "# must be a whole last level";
    }
    if (level.includes("+") && level !== "+") return "+ must be a whole level";
  }
  return null;
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

/** A QoS 1 message returned by `poll` (or buffered) whose PUBACK waits for a checkpoint. */
interface Held {
  readonly messageId: number;
  readonly seq: number;
  readonly topic: string;
  readonly payload: Buffer;
}

/** Thrown to mqtt.js's message callback so that it sends no PUBACK now. */
const DEFER_ACK = new Error("PUBACK deferred until the checkpoint commits");

class MqttReader implements SourceReader<InboundMessage> {
  readonly partitions = 1;
  readonly #o: MqttSourceOptions;
  readonly #client: MqttClient;
  readonly #qos: 0 | 1;
  readonly #ackAtCheckpoint: boolean;
  readonly #buffer: MessageBuffer<InboundMessage & { readonly seq: number }>;
  readonly #batchSize: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  /** QoS 1 messages not yet acknowledged, by packet id, in arrival order. */
  readonly #held = new Map<number, Held>();
  #seq = 0;
  #returned = 0;
  #state: SourceStatus["state"] = "reconnecting";
  #detail: string | undefined;
  #closing = false;
  #delay: number;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    o: MqttSourceOptions,
    options: IClientOptions,
    qos: 0 | 1,
    ack: "checkpoint" | "receive",
  ) {
    this.#o = o;
    this.#qos = qos;
    this.#batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#maxBytes = o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#now = o.now ?? Date.now;
    this.#buffer = new MessageBuffer(o.bufferSize ?? DEFAULT_BUFFER_SIZE);
    this.#delay = o.reconnectMinMs ?? 500;
    this.#client = mqttLibrary().connect(o.url, { ...options, manualConnect: true });
    // PUBACKs are sent later through the client's own packet writer; without it, fall back.
    const sendPacket = (this.#client as unknown as { _sendPacket?: unknown })._sendPacket;
    this.#ackAtCheckpoint = ack === "checkpoint" && typeof sendPacket === "function";
    this.#client.handleMessage = (packet, callback) => this.#onMessage(packet, callback);
    this.#client.on("connect", (connack) => {
      this.#state = "connected";
      this.#detail = undefined;
      this.#delay = o.reconnectMinMs ?? 500;
      if (!connack.sessionPresent) this.#held.clear();
    });
    this.#client.on("error", (error) => {
      this.#detail = error.message;
    });
    this.#client.on("close", () => {
      if (this.#closing) return;
      this.#state = "reconnecting";
      this.#detail ??= "connection closed";
      this.#scheduleReconnect();
    });
  }

  /** Connects, subscribes, and fails with the broker's reason if either is refused. */
  async start(): Promise<void> {
    const url = redactUrl(this.#o.url);
    try {
      await new Promise<void>((resolve, reject) => {
        const onConnect = () => {
          this.#client.off("error", onError);
          this.#client.off("close", onClose);
          resolve();
        };
        const onError = (error: Error) => {
          this.#client.off("connect", onConnect);
          this.#client.off("close", onClose);
          reject(error);
        };
        const onClose = () => {
          this.#client.off("connect", onConnect);
          this.#client.off("error", onError);
          reject(new Error(this.#detail ?? "connection closed"));
        };
        this.#client.once("connect", onConnect);
        this.#client.once("error", onError);
        this.#client.once("close", onClose);
        this.#client.connect();
      });
    } catch (error) {
      await this.close();
      throw new MqttSourceError(url, `cannot connect: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let granted: ISubscriptionGrant[];
    try {
      granted = await this.#client.subscribeAsync([...this.#o.topics], { qos: this.#qos });
    } catch (error) {
      await this.close();
      throw new MqttSourceError(url, `cannot subscribe: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const refused = granted.filter((g) => g.qos === 128);
    if (refused.length > 0) {
      await this.close();
      throw new MqttSourceError(
        url,
        `the broker refused the subscription to ${refused.map((g) => g.topic).join(", ")}`,
      );
    }
  }

  #scheduleReconnect(): void {
    if (this.#closing || this.#timer !== null) return;
    const max = this.#o.reconnectMaxMs ?? 30_000;
    const wait = Math.min(max, this.#delay) * (0.8 + Math.random() * 0.4);
    this.#delay = Math.min(max, this.#delay * 2);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#closing) this.#client.reconnect();
    }, wait);
  }

  /** mqtt.js calls this for every PUBLISH, one at a time; `done` lets it read the next packet. */
  #onMessage(packet: IPublishPacket, done: (error?: Error) => void): void {
    const topic = packet.topic.toString();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const deferAck = this.#ackAtCheckpoint && packet.qos === 1 && packet.messageId !== undefined;
    const proceed = () => done(deferAck ? DEFER_ACK : undefined);
    if (deferAck) {
      const id = packet.messageId!;
      const earlier = this.#held.get(id);
      if (
        earlier !== undefined &&
        packet.dup &&
        earlier.topic === topic &&
        earlier.payload.equals(payload)
      ) {
        proceed(); // sent again while its first copy is held: already in the pipeline
        return;
      }
      this.#held.set(id, { messageId: id, seq: this.#seq + 1, topic, payload });
    }
    this.#seq++;
    this.#buffer.push(
      {
        payload: decodePayload(payload, this.#maxBytes),
        origin: `mqtt:${topic}`,
        topic,
        receivedAt: this.#now(),
        seq: this.#seq,
      },
      proceed,
    );
  }

  async poll(): Promise<SourcePoll<InboundMessage>> {
    let taken = this.#buffer.take(this.#batchSize);
    if (taken.length === 0) {
      await this.#buffer.waitForData(MAX_IDLE_WAIT_MS);
      taken = this.#buffer.take(this.#batchSize);
      if (taken.length === 0) return { kind: "idle" };
    }
    this.#returned = taken.at(-1)!.seq;
    const values = taken.map(({ payload, origin, topic, receivedAt }) => ({
      payload,
      origin,
      topic,
      receivedAt,
    }));
    return { kind: "batch", partition: 0, values };
  }

  positions(): Map<number, unknown> {
    return new Map([[0, this.#returned]]);
  }

  async acknowledge(positions: ReadonlyMap<number, unknown>): Promise<void> {
    if (!this.#ackAtCheckpoint) return;
    const upTo = positions.get(0);
    if (typeof upTo !== "number" || !this.#client.connected) return;
    const send = (
      this.#client as unknown as {
        _sendPacket(packet: { cmd: "puback"; messageId: number }, cb?: () => void): void;
      }
    )._sendPacket.bind(this.#client);
    let written: Promise<void> | null = null;
    for (const [id, held] of this.#held) {
      if (held.seq > upTo) continue;
      this.#held.delete(id);
      written = new Promise((resolve) => send({ cmd: "puback", messageId: id }, () => resolve()));
    }
    // Packets are written in order: the last one written means all are. The client
    // corks its socket until the next tick; let that pass so the PUBACKs leave now.
    if (written !== null) {
      await written;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  status(): SourceStatus {
    if (this.#closing) return { state: "closed", lag: null };
    return this.#state !== "connected" && this.#detail !== undefined
      ? { state: this.#state, detail: this.#detail, lag: null }
      : { state: this.#state, lag: null };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#buffer.close();
    // A graceful end flushes PUBACKs already handed to the client; force it if the broker is gone.
    const ended = this.#client.endAsync(false).catch(() => undefined);
    const timeout = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    if ((await Promise.race([ended.then(() => "ended"), timeout])) !== "ended") {
      await this.#client.endAsync(true).catch(() => undefined);
    }
  }
}

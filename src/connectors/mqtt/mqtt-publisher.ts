/**
 * Publishing to an MQTT broker with `mqtt` (MQTT.js): a connection that publishes
 * batches of messages and waits for the broker's acknowledgements (QoS 1 by default),
 * the record id as an MQTT 5 user property; and a line target for
 * `millstream simulate --to mqtt://…`. Credentials never appear in descriptions or errors.
 */
import { readFileSync } from "node:fs";
import type { IClientOptions, MqttClient } from "mqtt";
import type { MessagePublisher, OutboundMessage } from "../publishing-sink.js";
import { mqttLibrary } from "./mqtt-library.js";

/** Where and how to publish over MQTT. */
export interface MqttPublisherOptions {
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws://…`; a path in the URL is ignored. */
  readonly url: string;
  /** Client id. Default: a random one (`millstream-pub-…`). */
  readonly clientId?: string;
  readonly username?: string;
  readonly password?: string;
  /** QoS of every message: 0 (at most once), 1 (at least once, the default) or 2. */
  readonly qos?: 0 | 1 | 2;
  /** Publish with the retain flag (the broker keeps the last message per topic). Default false. */
  readonly retain?: boolean;
  /** MQTT protocol version: 5 (default; the id goes in a user property) or 4 (3.1.1). */
  readonly protocolVersion?: 4 | 5;
  /** TLS files (PEM) and whether to check the server's certificate (default true). */
  readonly tls?: {
    readonly caFile?: string;
    readonly certFile?: string;
    readonly keyFile?: string;
    readonly rejectUnauthorized?: boolean;
  };
  /** Wait between reconnection attempts, ms. Default 1000. */
  readonly reconnectPeriodMs?: number;
  /** Time allowed for the first connection, ms. Default 10,000. */
  readonly connectTimeoutMs?: number;
  /** Time allowed for one batch's acknowledgements, ms. Default 30,000. */
  readonly publishTimeoutMs?: number;
}

/** `url` without credentials or path, for descriptions and errors. */
export function mqttAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "mqtt (invalid URL)";
  }
}

/** MQTT.js errors that will not pass by retrying. */
const PERMANENT =
  /Invalid topic|not authori[sz]ed|Topic Name invalid|Payload format invalid|Packet too large|Quota exceeded|Bad User Name or Password/i;

/**
 * An open MQTT connection that publishes batches. MQTT.js reconnects by itself and
 * re-sends QoS 1/2 messages not yet acknowledged; `publish` waits for every
 * acknowledgement (for QoS 0, for the messages to be written to the socket).
 */
export class MqttPublisher implements MessagePublisher {
  readonly description: string;
  readonly #client: MqttClient;
  readonly #options: MqttPublisherOptions;
  #lastError: Error | null = null;

  private constructor(client: MqttClient, options: MqttPublisherOptions) {
    this.#client = client;
    this.#options = options;
    this.description = mqttAddress(options.url);
    client.on("error", (error) => {
      this.#lastError = error;
    });
  }

  /**
   * Connects. Rejects, naming the broker (never the credentials), when the first
   * connection fails or takes longer than `connectTimeoutMs`.
   */
  static async connect(options: MqttPublisherOptions): Promise<MqttPublisher> {
    const address = mqttAddress(options.url);
    const clientOptions: IClientOptions = {
      clientId: options.clientId ?? `millstream-pub-${Math.random().toString(16).slice(2, 10)}`,
      protocolVersion: options.protocolVersion ?? 5,
      clean: true,
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
    };
    if (options.tls) {
      const read = (file: string | undefined) =>
        file === undefined ? undefined : readFileSync(file);
      const ca = read(options.tls.caFile);
      const cert = read(options.tls.certFile);
      const key = read(options.tls.keyFile);
      if (ca) clientOptions.ca = ca;
      if (cert) clientOptions.cert = cert;
      if (key) clientOptions.key = key;
      clientOptions.rejectUnauthorized = options.tls.rejectUnauthorized ?? true;
    }
    const client = mqttLibrary().connect(options.url, clientOptions);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      let last: Error | null = null;
      const done = (error: Error | null) => {
        clearTimeout(timer);
        client.off("connect", onConnect);
        client.off("error", onError);
        client.off("close", onClose);
        if (error === null) resolve();
        else {
          client.end(true);
          reject(error);
        }
      };
      const onConnect = () => done(null);
      const onError = (error: Error) => {
        last = error;
        if (PERMANENT.test(error.message)) {
          done(new Error(`cannot connect to ${address}: ${error.message}`, { cause: error }));
        }
      };
      const onClose = () => {
        if (last !== null)
          done(new Error(`cannot connect to ${address}: ${last.message}`, { cause: last }));
      };
      const timer = setTimeout(
        () =>
          done(
            new Error(
              `cannot connect to ${address} within ${timeoutMs} ms${last ? `: ${last.message}` : ""}`,
            ),
          ),
        timeoutMs,
      );
      client.on("connect", onConnect);
      client.on("error", onError);
      client.on("close", onClose);
    });
    return new MqttPublisher(client, options);
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    const qos = this.#options.qos ?? 1;
    const retain = this.#options.retain ?? false;
    const v5 = (this.#options.protocolVersion ?? 5) === 5;
    const timeoutMs = this.#options.publishTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `no acknowledgement within ${timeoutMs} ms${this.#lastError ? ` (last connection error: ${this.#lastError.message})` : ""}`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([
        Promise.all(
          messages.map((m) =>
            this.#client.publishAsync(m.topic, m.payload, {
              qos,
              retain,
              ...(v5 && m.id !== undefined ? { properties: { userProperties: { id: m.id } } } : {}),
            }),
          ),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  isTransient(error: unknown): boolean {
    return error instanceof Error && !PERMANENT.test(error.message);
  }

  async close(): Promise<void> {
    await this.#client.endAsync();
  }
}

/** A target of text lines (the simulator's output target shape). */
export interface LineTarget {
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes each line as one MQTT message on the topic `topic(line)` returns;
 * `write` resolves when the broker acknowledged them all (QoS 1 by default). For
 * `millstream simulate --to mqtt://…`.
 */
export async function mqttLineTarget(
  options: MqttPublisherOptions & { readonly topic: (line: string) => string },
): Promise<LineTarget> {
  const publisher = await MqttPublisher.connect(options);
  return {
    write: (lines) =>
      publisher.publish(lines.map((payload) => ({ topic: options.topic(payload), payload }))),
    close: () => publisher.close(),
  };
}

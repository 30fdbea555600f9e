/**
 * Publishing to NATS: JetStream publishes acknowledged by the stream, with the record
 * id as `Nats-Msg-Id` so the server drops repeats within the stream's duplicate
 * window; or core NATS publishes (no acknowledgement; the id in a header). Also a
 * line target for `millstream simulate --to nats://…`.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { MessagePublisher, OutboundMessage } from "../publishing-sink.js";
import { connectNats, type NatsConnectionOptions, natsServers } from "./nats-connection.js";
import { natsJetStream, natsTransport } from "./nats-library.js";

/** Where and how to publish over NATS. */
export interface NatsPublisherOptions extends NatsConnectionOptions {
  /** Publish to JetStream (default) or core NATS (`false`). */
  readonly jetstream?: boolean;
  /** Time allowed for one message's JetStream acknowledgement, ms. Default 10,000. */
  readonly publishTimeoutMs?: number;
  /** JetStream publishes awaiting their acknowledgement at once. Default 1000. */
  readonly maxInFlight?: number;
}

/** `true` for the "no responders" answer: no stream captures the subject. */
function isNoStream(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === "JetStreamNotEnabled" || /no responders|503/i.test(error.message))
  );
}

/**
 * A NATS connection that publishes batches. With JetStream each message waits for
 * its PubAck (a repeat of a `Nats-Msg-Id` seen within the duplicate window is
 * acknowledged as a duplicate and not stored again); with core NATS `publish`
 * resolves once the server has received the batch (a round trip after it), and
 * delivery to subscribers is at most once.
 */
export class NatsPublisher implements MessagePublisher {
  readonly description: string;
  readonly #connection: NatsConnection;
  readonly #owned: boolean;
  readonly #js: JetStreamClient | null;
  readonly #timeoutMs: number;
  readonly #maxInFlight: number;

  private constructor(connection: NatsConnection, owned: boolean, options: NatsPublisherOptions) {
    this.#connection = connection;
    this.#owned = owned;
    this.#js = options.jetstream === false ? null : natsJetStream().jetstream(connection);
    this.#timeoutMs = options.publishTimeoutMs ?? 10_000;
    this.#maxInFlight = options.maxInFlight ?? 1000;
    this.description = `nats${options.jetstream === false ? "" : "-jetstream"}://${natsServers(options).join(",")}`;
  }

  /** The connection the publisher uses. */
  get connection(): NatsConnection {
    return this.#connection;
  }

  /** Connects (see `connectNats`); `close` closes the connection. */
  static async connect(options: NatsPublisherOptions): Promise<NatsPublisher> {
    const connection = await connectNats(options, "NATS publisher");
    return new NatsPublisher(connection, true, options);
  }

  /** Publishes over a connection the caller owns: `close` leaves it open. */
  static over(connection: NatsConnection, options: NatsPublisherOptions = {}): NatsPublisher {
    return new NatsPublisher(connection, false, options);
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    const js = this.#js;
    if (js === null) {
      for (const m of messages) {
        if (m.id === undefined) this.#connection.publish(m.topic, m.payload);
        else {
          const h = natsTransport().headers();
          h.set("Nats-Msg-Id", m.id);
          this.#connection.publish(m.topic, m.payload, { headers: h });
        }
      }
      await this.#connection.flush();
      return;
    }
    for (let from = 0; from < messages.length; from += this.#maxInFlight) {
      const window = messages.slice(from, from + this.#maxInFlight);
      await Promise.all(
        window.map((m) =>
          js
            .publish(m.topic, m.payload, {
              timeout: this.#timeoutMs,
              ...(m.id !== undefined ? { msgID: m.id } : {}),
            })
            .catch((error: unknown) => {
              if (isNoStream(error)) {
                throw new Error(`no JetStream stream captures subject ${m.topic} (no responders)`, {
                  cause: error,
                });
              }
              throw error;
            }),
        ),
      );
    }
  }

  isTransient(error: unknown): boolean {
    return (
      error instanceof Error &&
      !/no JetStream stream captures/.test(error.message) &&
      !isNoStream(error)
    );
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#connection.drain();
  }
}

/** A target of text lines (the simulator's output target shape). */
export interface LineTarget {
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Publishes each line as one NATS message on the subject `subject(line)` returns
 * (JetStream by default: `write` resolves when every message is stored). For
 * `millstream simulate --to nats://…`.
 */
export async function natsLineTarget(
  options: NatsPublisherOptions & {
    readonly subject: (line: string) => string;
    /** Creates this stream (subjects, e.g. `readings.*`) unless a stream captures its first subject. */
    readonly createStream?: { readonly name: string; readonly subjects: readonly string[] };
  },
): Promise<LineTarget> {
  const publisher = await NatsPublisher.connect(options);
  if (options.createStream && options.jetstream !== false) {
    const { name, subjects } = options.createStream;
    const jsm = await natsJetStream().jetstreamManager(publisher.connection);
    const probe = (subjects[0] ?? "").replaceAll("*", "x").replace(/>$/, "x");
    const existing = await jsm.streams.find(probe).catch(() => null);
    if (existing === null) await jsm.streams.add({ name, subjects: [...subjects] });
  }
  return {
    write: (lines) =>
      publisher.publish(lines.map((payload) => ({ topic: options.subject(payload), payload }))),
    close: () => publisher.close(),
  };
}

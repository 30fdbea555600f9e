/**
 * Publishing to Kafka with `@platformatic/kafka`: an idempotent producer (acks from
 * all in-sync replicas, no duplicates from the client's own retries), messages keyed
 * by the record key and carrying the record id in an `id` header; and a line target
 * for `millstream simulate --to kafka://…`. The producer sits behind a small port
 * ({@link KafkaProducerPort}) so the sink's logic can be tested without a broker,
 * which cannot run on the project's machines.
 */
import { readFileSync } from "node:fs";
import type { ProducerOptions } from "@platformatic/kafka";
import type { MessagePublisher, OutboundMessage } from "../publishing-sink.js";
import { kafkaLibrary } from "./kafka-library.js";

/** Producer options of every setting but the serialisers, which come with the library. */
export type KafkaProducerSettings = Omit<
  ProducerOptions<string, string, string, string>,
  "serializers"
>;

/** Where and how to produce to Kafka. */
export interface KafkaPublisherOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** Client id. Default `millstream`. */
  readonly clientId?: string;
  /** SASL credentials. */
  readonly sasl?: {
    readonly mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512";
    readonly username: string;
    readonly password: string;
  };
  /** TLS: `true` for the system's CAs, or PEM files. */
  readonly tls?:
    | boolean
    | { readonly caFile?: string; readonly certFile?: string; readonly keyFile?: string };
  /** Idempotent producer (default true): the broker drops repeats of the client's own retries. */
  readonly idempotent?: boolean;
  /** Connection and request timeout, ms. Default 10,000. */
  readonly timeoutMs?: number;
  /**
   * Retries of the client itself (250 ms apart) before a send fails; at least 2 with
   * the idempotent producer (`@platformatic/kafka` 1.35 can hang on a refused
   * connection with fewer). Default 3.
   */
  readonly clientRetries?: number;
}

/** One message as the port sends it. */
export interface KafkaMessage {
  readonly topic: string;
  readonly key: string | undefined;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** What the Kafka sink needs from a producer. */
export interface KafkaProducerPort {
  /** Sends messages; resolves when the broker acknowledged all of them. */
  send(messages: readonly KafkaMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** `PLT_KFK_*` error codes of failures that may pass. */
const TRANSIENT_CODES = new Set([
  "PLT_KFK_NETWORK",
  "PLT_KFK_TIMEOUT",
  "PLT_KFK_UNFINISHED_WRITE_BUFFER",
]);

/** `true` for a network or timeout error of `@platformatic/kafka` (also inside a MultipleErrors). */
export function isTransientKafkaError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && TRANSIENT_CODES.has(code)) return true;
  if (error instanceof AggregateError && error.errors.length > 0) {
    return error.errors.every((e) => isTransientKafkaError(e));
  }
  return false;
}

/** The `@platformatic/kafka` producer options for `options` (string serialisers aside). */
export function kafkaProducerOptions(options: KafkaPublisherOptions): KafkaProducerSettings {
  if (!Array.isArray(options.brokers) || options.brokers.length === 0) {
    throw new TypeError("Kafka publisher: `brokers` must list at least one host:port");
  }
  const timeout = options.timeoutMs ?? 10_000;
  const producer: KafkaProducerSettings = {
    clientId: options.clientId ?? "millstream",
    bootstrapBrokers: [...options.brokers],
    idempotent: options.idempotent ?? true,
    connectTimeout: timeout,
    requestTimeout: timeout,
    timeout,
    retries: Math.max(options.clientRetries ?? 3, (options.idempotent ?? true) ? 2 : 0),
    retryDelay: 250,
    autocreateTopics: false,
  };
  if (options.sasl) producer.sasl = { ...options.sasl };
  if (options.tls) {
    const read = (f: string | undefined) => (f === undefined ? undefined : readFileSync(f));
    producer.tls =
      options.tls === true
        ? {}
        : {
            ...(options.tls.caFile ? { ca: read(options.tls.caFile) } : {}),
            ...(options.tls.certFile ? { cert: read(options.tls.certFile) } : {}),
            ...(options.tls.keyFile ? { key: read(options.tls.keyFile) } : {}),
          };
  }
  return producer;
}

/**
 * A {@link KafkaProducerPort} over a `@platformatic/kafka` producer, made once the
 * library has loaded (options are checked at once).
 */
export function platformaticProducer(options: KafkaPublisherOptions): KafkaProducerPort {
  const settings = kafkaProducerOptions(options);
  const made = kafkaLibrary().then(
    ({ Producer, stringSerializers }) =>
      new Producer<string, string, string, string>({ ...settings, serializers: stringSerializers }),
  );
  made.catch(() => {}); // reported by `send`
  return {
    async send(messages) {
      const producer = await made;
      await producer.send({
        messages: messages.map((m) => ({
          topic: m.topic,
          ...(m.key !== undefined ? { key: m.key } : {}),
          value: m.value,
          headers: { ...m.headers },
        })),
      });
    },
    async close() {
      const producer = await made.catch(() => null);
      await producer?.close();
    },
  };
}

/** Publishes outbound messages through a {@link KafkaProducerPort}. */
export class KafkaPublisher implements MessagePublisher {
  readonly description: string;
  readonly #port: KafkaProducerPort;

  constructor(port: KafkaProducerPort, brokers: readonly string[]) {
    this.#port = port;
    this.description = `kafka://${brokers.join(",")}`;
  }

  async publish(messages: readonly OutboundMessage[]): Promise<void> {
    await this.#port.send(
      messages.map(
        (m): KafkaMessage => ({
          topic: m.topic,
          key: m.key,
          value: m.payload,
          headers: m.id === undefined ? {} : { id: m.id },
        }),
      ),
    );
  }

  isTransient(error: unknown): boolean {
    return isTransientKafkaError(error);
  }

  close(): Promise<void> {
    return this.#port.close();
  }
}

/** A target of text lines (the simulator's output target shape). */
export interface LineTarget {
  write(lines: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Produces each line as one Kafka message to `topic(line)`, keyed by `key(line)`;
 * `write` resolves when the broker acknowledged them. For `millstream simulate --to
 * kafka://…`. `port` replaces the real producer (tests).
 */
export function kafkaLineTarget(
  options: KafkaPublisherOptions & {
    readonly topic: (line: string) => string;
    readonly key?: (line: string) => string | undefined;
    readonly port?: KafkaProducerPort;
  },
): LineTarget {
  const publisher = new KafkaPublisher(
    options.port ?? platformaticProducer(options),
    options.brokers,
  );
  return {
    write: (lines) =>
      publisher.publish(
        lines.map((payload) => {
          const key = options.key?.(payload);
          return { topic: options.topic(payload), payload, ...(key !== undefined ? { key } : {}) };
        }),
      ),
    close: () => publisher.close(),
  };
}

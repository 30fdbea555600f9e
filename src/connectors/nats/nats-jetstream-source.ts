/**
 * A replayable source reading a partitioned JetStream stream: one durable pull
 * consumer per source partition, messages acknowledged only once the checkpoint
 * covering them has committed, positions that are stream sequences. See
 * docs/connectors-nats.md.
 */
import type {
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  JetStreamManager,
  JsMsg,
  StreamConfig,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type {
  Source,
  SourceContext,
  SourcePoll,
  SourceReader,
  SourceStatus,
} from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { DEFAULT_MAX_MESSAGE_BYTES, decodePayload } from "../inbound-payload.js";
import { NatsSourceError } from "./errors.js";
import { connectNats, type NatsConnectionOptions, NatsConnectionWatch } from "./nats-connection.js";
import {
  checkSubjectTemplate,
  partitionedStreamSubject,
  partitionFilter,
  partitionTransform,
} from "./nats-partition.js";
import { natsJetStream, natsTransport } from "./nats-library.js";

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_MAX_ACK_PENDING = 100_000;
const DEFAULT_ACK_WAIT_MS = 5 * 60_000;
/** Longest wait of an idle poll (the runtime wants an answer within ~100 ms). */
const MAX_IDLE_WAIT_MS = 100;

/** Options of {@link NatsJetStreamSource}. */
export interface NatsJetStreamSourceOptions extends NatsConnectionOptions {
  /** The stream to read. */
  readonly stream: string;
  /** Number of partitions: source partition `i` reads the subjects of partition `i`. */
  readonly partitions: number;
  /**
   * The subjects of a partition, with `{partition}` where its number goes. Default
   * `<stream>.{partition}.>`.
   */
  readonly subjectTemplate?: string;
  /** Durable consumer `i` is named `<durablePrefix>_<i>`. Default `millstream_<stream>`. */
  readonly durablePrefix?: string;
  /** Create the stream when it does not exist (`true`, or how). Default: it must exist. */
  readonly create?: boolean | NatsStreamCreateOptions;
  /**
   * Where a partition without a checkpointed position starts: `first` (default), the
   * first message the stream holds; `new`, messages stored after the source opens.
   */
  readonly startAt?: "first" | "new";
  /** Most messages per batch (and per pull request). Default 1000. */
  readonly batchSize?: number;
  /**
   * Messages a consumer may have delivered but not acknowledged. Messages are
   * acknowledged at checkpoints, so this caps the rate per partition at about
   * `maxAckPending / checkpoint interval`. Default 100,000.
   */
  readonly maxAckPending?: number;
  /** Redelivery timeout of unacknowledged messages, ms; keep it well above the checkpoint interval. Default 300,000. */
  readonly ackWaitMs?: number;
  /** Larger messages become dead letters (see `decodePayload`). Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Use this connection instead of opening one; the source then leaves it open. */
  readonly connection?: NatsConnection;
  /** Clock for `receivedAt`. Default `Date.now`. */
  readonly now?: () => number;
}

/** How {@link NatsJetStreamSource} creates a missing stream. */
export interface NatsStreamCreateOptions {
  /**
   * Subject publishers use (`*` wildcards, optionally a final `>`). When set, the
   * stream partitions it with a subject transform (`partition(n, …)`), which needs
   * nats-server 2.10 or later. Without it, the stream stores the template's subjects
   * and publishers publish to partition subjects themselves (`natsPartitionOf`).
   */
  readonly ingestSubject?: string;
  /** The ingest subject's `*` wildcards (1-based) hashed into the partition. Default: all. */
  readonly partitionKeys?: readonly number[];
  /** Default `file`. */
  readonly storage?: "file" | "memory";
  /** Drop messages older than this, ms. Default: keep (limits by the server's defaults). */
  readonly maxAgeMs?: number;
  /** Replicas in a cluster. Default 1. */
  readonly replicas?: number;
}

/**
 * Reads a JetStream stream whose subjects are split into `partitions` partitions.
 *
 * - **Consumers.** Partition `i` is read by the durable pull consumer
 *   `<durablePrefix>_<i>` filtered on the partition's subjects, with `ack_policy: all`.
 *   `open` makes sure each consumer starts right after the position being restored:
 *   a consumer that has delivered exactly up to it with nothing unacknowledged is
 *   kept; otherwise it is deleted and created again at that sequence (or from the
 *   start, `startAt`, without a position). One process must own a partition's
 *   consumer at a time.
 * - **Positions** are stream sequences (numbers): the sequence of the last message
 *   returned for the partition (0 before the first). Resuming reads the next
 *   message, not any of the same.
 * - **Acknowledgement.** Nothing is acknowledged when read. `acknowledge(positions)`,
 *   called once a checkpoint holding them has committed, acknowledges every message
 *   up to each position. A crash before that leaves them unacknowledged; the restart
 *   resumes from the checkpoint's positions, so no message is lost or counted twice.
 *   Redeliveries of messages already returned (after `ackWaitMs`) are skipped.
 * - **Records** are {@link InboundMessage}s: payload (UTF-8; invalid or oversize
 *   messages get a payload saying so, which the pipeline dead-letters), origin
 *   `nats:<subject>#<sequence>`, topic (the subject), receivedAt.
 * - **Status**: the connection state, and as lag the messages waiting on the
 *   consumers plus those buffered in the source.
 * - A missing stream fails `open` with a {@link NatsSourceError} naming it (unless
 *   `create`).
 */
export class NatsJetStreamSource implements Source<InboundMessage> {
  readonly description: string;
  readonly #options: NatsJetStreamSourceOptions;
  readonly #template: string;
  readonly #durablePrefix: string;
  readonly #batchSize: number;

  constructor(options: NatsJetStreamSourceOptions) {
    if (typeof options.stream !== "string" || !/^[^.*>\s/\\]+$/.test(options.stream)) {
      throw new TypeError(
        `NatsJetStreamSource: invalid stream name ${JSON.stringify(options.stream)}`,
      );
    }
    if (!Number.isSafeInteger(options.partitions) || options.partitions < 1) {
      throw new RangeError(
        `NatsJetStreamSource: \`partitions\` must be a positive integer, got ${options.partitions}`,
      );
    }
    this.#template = options.subjectTemplate ?? `${options.stream}.{partition}.>`;
    const problem = checkSubjectTemplate(this.#template);
    if (problem !== null) throw new TypeError(`NatsJetStreamSource: ${problem}`);
    this.#durablePrefix = options.durablePrefix ?? `millstream_${options.stream}`;
    if (!/^[A-Za-z0-9_-]+$/.test(this.#durablePrefix)) {
      throw new TypeError(
        `NatsJetStreamSource: durablePrefix ${this.#durablePrefix} may only have letters, digits, _ and -`,
      );
    }
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (!Number.isSafeInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new RangeError(`NatsJetStreamSource: \`batchSize\` must be a positive integer`);
    }
    this.#options = options;
    this.description = `nats:${options.stream} (${options.partitions} partitions)`;
  }

  async open(context: SourceContext): Promise<SourceReader<InboundMessage>> {
    const o = this.#options;
    const owned = o.connection === undefined;
    const nc =
      o.connection ?? (await connectNats({ ...o, name: o.name ?? "millstream" }, this.description));
    const parts: Partition[] = [];
    try {
      const jsm = await natsJetStream().jetstreamManager(nc);
      const lastSeq = await this.#ensureStream(jsm);
      const js = jsm.jetstream();
      for (let p = 0; p < o.partitions; p++) {
        const resume = context.resumeFrom?.get(p);
        if (resume !== undefined && (!Number.isSafeInteger(resume) || (resume as number) < 0)) {
          throw new NatsSourceError(
            o.stream,
            `invalid resume position ${JSON.stringify(resume)} for partition ${p}: expected a stream sequence`,
          );
        }
        const start = resume !== undefined ? (resume as number) : o.startAt === "new" ? lastSeq : 0;
        const info = await this.#ensureConsumer(jsm, p, start);
        const consumer = await js.consumers.get(o.stream, info.name);
        const messages = await consumer.consume({ max_messages: this.#batchSize });
        parts.push(new Partition(p, start, info.num_pending, messages));
      }
    } catch (error) {
      await Promise.allSettled(parts.map((part) => part.stop()));
      if (owned) await nc.close().catch(() => undefined);
      throw error;
    }
    return new NatsJetStreamReader(nc, owned, parts, {
      stream: o.stream,
      batchSize: this.#batchSize,
      maxMessageBytes: o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      now: o.now ?? Date.now,
    });
  }

  /** Checks (or creates) the stream; returns its last sequence. */
  async #ensureStream(jsm: JetStreamManager): Promise<number> {
    const o = this.#options;
    try {
      return (await jsm.streams.info(o.stream)).state.last_seq;
    } catch (error) {
      if (!isApiError(error, natsJetStream().JetStreamApiCodes.StreamNotFound)) {
        throw new NatsSourceError(o.stream, `cannot read the stream: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (!o.create) {
        throw new NatsSourceError(
          o.stream,
          "not found (create it, or set `create` to let the source create it)",
          { cause: error },
        );
      }
    }
    const how = o.create === true ? {} : (o.create as NatsStreamCreateOptions);
    const { RetentionPolicy, StorageType } = natsJetStream();
    const config: Partial<StreamConfig> & { name: string } = {
      name: o.stream,
      retention: RetentionPolicy.Limits,
      storage: how.storage === "memory" ? StorageType.Memory : StorageType.File,
      num_replicas: how.replicas ?? 1,
      ...(how.maxAgeMs ? { max_age: natsTransport().nanos(how.maxAgeMs) } : {}),
    };
    if (how.ingestSubject) {
      config.subjects = [how.ingestSubject];
      config.subject_transform = partitionTransform(
        how.ingestSubject,
        this.#template,
        o.partitions,
        how.partitionKeys,
      );
    } else {
      config.subjects = [partitionedStreamSubject(this.#template)];
    }
    try {
      await jsm.streams.add(config);
    } catch (error) {
      throw new NatsSourceError(o.stream, `cannot create the stream: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return 0;
  }

  /**
   * Makes consumer `p` deliver the messages after sequence `start` next: keeps it when
   * it already does (delivered up to `start`, nothing unacknowledged, same settings),
   * else deletes and creates it.
   */
  async #ensureConsumer(jsm: JetStreamManager, p: number, start: number): Promise<ConsumerInfo> {
    const o = this.#options;
    const name = `${this.#durablePrefix}_${p}`;
    const { AckPolicy, DeliverPolicy } = natsJetStream();
    const config: Partial<ConsumerConfig> = {
      durable_name: name,
      filter_subject: partitionFilter(this.#template, p),
      ack_policy: AckPolicy.All,
      max_ack_pending: o.maxAckPending ?? DEFAULT_MAX_ACK_PENDING,
      ack_wait: natsTransport().nanos(o.ackWaitMs ?? DEFAULT_ACK_WAIT_MS),
      max_deliver: -1,
      ...(start > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: start + 1 }
        : { deliver_policy: DeliverPolicy.All }),
    };
    let existing: ConsumerInfo | null = null;
    try {
      existing = await jsm.consumers.info(o.stream, name);
    } catch (error) {
      if (!isApiError(error, natsJetStream().JetStreamApiCodes.ConsumerNotFound)) {
        throw new NatsSourceError(
          o.stream,
          `cannot read consumer ${name}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
    }
    if (existing !== null) {
      const c = existing.config;
      const same =
        c.filter_subject === config.filter_subject &&
        c.ack_policy === AckPolicy.All &&
        c.max_ack_pending === config.max_ack_pending &&
        c.ack_wait === config.ack_wait;
      if (same && existing.num_ack_pending === 0 && existing.delivered.stream_seq === start) {
        return existing;
      }
      await jsm.consumers.delete(o.stream, name);
    }
    try {
      return await jsm.consumers.add(o.stream, config);
    } catch (error) {
      throw new NatsSourceError(
        o.stream,
        `cannot create consumer ${name}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof natsJetStream().JetStreamApiError && error.code === code;
}

/** One partition: its consumer's messages flowing into a bounded queue. */
class Partition {
  readonly index: number;
  /** Messages received, not yet returned by `poll`. */
  readonly queue: JsMsg[] = [];
  /** The last message of each batch returned and not yet acknowledged, oldest first. */
  readonly held: JsMsg[] = [];
  /** Sequence of the last message returned. */
  position: number;
  /** Highest sequence queued: anything at or below it is a redelivery. */
  highest: number;
  /** Messages the consumer has not delivered yet, as of the last message. */
  pending: number;
  failure: Error | null = null;
  readonly #messages: ConsumerMessages;
  #space: (() => void) | null = null;

  constructor(index: number, start: number, pending: number, messages: ConsumerMessages) {
    this.index = index;
    this.position = start;
    this.highest = start;
    this.pending = pending;
    this.#messages = messages;
  }

  /** Moves messages into the queue, waiting while it holds `capacity` or more. */
  async pump(capacity: number, wake: () => void): Promise<void> {
    try {
      for await (const m of this.#messages) {
        if (m.seq <= this.highest) continue;
        this.highest = m.seq;
        this.pending = m.info.pending;
        this.queue.push(m);
        wake();
        if (this.queue.length >= capacity) {
          await new Promise<void>((resolve) => {
            this.#space = resolve;
          });
        }
      }
    } catch (error) {
      this.failure = error as Error;
      wake();
    }
  }

  /** Lets a paused pump go on (the queue has room again). */
  release(): void {
    const space = this.#space;
    this.#space = null;
    space?.();
  }

  async stop(): Promise<void> {
    this.release();
    await this.#messages.close();
  }
}

interface ReaderSettings {
  readonly stream: string;
  readonly batchSize: number;
  readonly maxMessageBytes: number;
  readonly now: () => number;
}

class NatsJetStreamReader implements SourceReader<InboundMessage> {
  readonly partitions: number;
  readonly #nc: NatsConnection;
  readonly #owned: boolean;
  readonly #parts: readonly Partition[];
  readonly #s: ReaderSettings;
  readonly #watch: NatsConnectionWatch;
  #next = 0;
  #closed = false;
  #wake: (() => void) | null = null;

  constructor(
    nc: NatsConnection,
    owned: boolean,
    parts: readonly Partition[],
    settings: ReaderSettings,
  ) {
    this.#nc = nc;
    this.#owned = owned;
    this.#parts = parts;
    this.partitions = parts.length;
    this.#s = settings;
    this.#watch = new NatsConnectionWatch(nc);
    const capacity = settings.batchSize * 2;
    for (const part of parts) void part.pump(capacity, () => this.#signal());
  }

  #signal(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async poll(): Promise<SourcePoll<InboundMessage>> {
    const batch = this.#take();
    if (batch !== null) return batch;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, MAX_IDLE_WAIT_MS);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = null;
    return this.#take() ?? { kind: "idle" };
  }

  /** A batch from the next partition (round-robin) with queued messages, or `null`. */
  #take(): SourcePoll<InboundMessage> | null {
    const n = this.#parts.length;
    for (let k = 0; k < n; k++) {
      const part = this.#parts[(this.#next + k) % n]!;
      if (part.failure !== null && part.queue.length === 0 && !this.#closed) {
        this.#watch.fail(part.failure.message);
        throw new NatsSourceError(
          this.#s.stream,
          `partition ${part.index} stopped delivering: ${part.failure.message}`,
          { cause: part.failure },
        );
      }
      if (part.queue.length === 0) continue;
      const taken = part.queue.splice(0, this.#s.batchSize);
      part.release();
      const receivedAt = this.#s.now();
      const values = taken.map(
        (m): InboundMessage => ({
          payload: decodePayload(m.data, this.#s.maxMessageBytes),
          origin: `nats:${m.subject}#${m.seq}`,
          topic: m.subject,
          receivedAt,
        }),
      );
      const last = taken.at(-1)!;
      part.position = last.seq;
      part.held.push(last);
      this.#next = (part.index + 1) % n;
      return { kind: "batch", partition: part.index, values };
    }
    return null;
  }

  positions(): Map<number, unknown> {
    return new Map(this.#parts.map((part) => [part.index, part.position]));
  }

  async acknowledge(positions: ReadonlyMap<number, unknown>): Promise<void> {
    for (const part of this.#parts) {
      const at = positions.get(part.index);
      if (typeof at !== "number") continue;
      let covered = 0;
      while (covered < part.held.length && part.held[covered]!.seq <= at) covered++;
      if (covered === 0) continue;
      // ack_policy "all": acknowledging the last covered message acknowledges all before it.
      part.held[covered - 1]!.ack();
      part.held.splice(0, covered);
    }
    if (!this.#nc.isClosed()) await this.#nc.flush();
  }

  status(): SourceStatus {
    if (this.#closed) return { state: "closed", lag: null };
    let lag = 0;
    for (const part of this.#parts) lag += part.pending + part.queue.length;
    return this.#watch.status(lag);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#signal();
    await Promise.allSettled(this.#parts.map((part) => part.stop()));
    if (this.#owned) await this.#nc.close();
  }
}

/**
 * An exactly-once Redis sink for live dashboards: the latest record per key as a
 * hash with a TTL, every record as an entry of a capped stream (and optionally a
 * pub/sub message). Entries are staged per checkpoint epoch in a sorted set and
 * applied by one Lua script when the checkpoint commits, so a crash never applies an
 * entry twice nor loses one.
 */
import type { Redis } from "ioredis";
import type { Batch, Sink, SinkContext, SinkWriter } from "../../engine/index.js";
import { type RetryOptions, withRetry } from "../retry.js";
import { SerialQueue } from "../serial-queue.js";
import { APPLY_EPOCH_SCRIPT } from "./apply-epoch-script.js";
import { isTransientRedisError, RedisSinkError } from "./errors.js";

const DEFAULT_BUFFER_RECORDS = 1000;
const DEFAULT_APPLY_CHUNK = 500;
const DEFAULT_MAX_LEN = 100_000;
const ZADD_CHUNK = 500;

/** Options of {@link RedisSink}. */
export interface RedisSinkOptions<T> {
  /** The client; the caller owns it (the sink never quits it). Several sinks may share one. */
  readonly redis: Redis;
  /**
   * Prefix of the sink's own keys (`<stateKey>:epoch:<n>`, the staged entries of a
   * checkpoint). Unique per job and output: two sinks with one state key destroy each
   * other's staged entries.
   */
  readonly stateKey: string;
  /** The record's deterministic id, carried by stream entries (field `id`). */
  readonly id: (value: T) => string;
  /** The latest record per key as a hash. */
  readonly hash?: {
    /** The hash key of a record; `null` for a record without one. */
    readonly key: (value: T) => string | null;
    /** Time to live of the hash, ms, renewed at each write. Default none. */
    readonly ttlMs?: number;
    /**
     * The hash's fields. Default: the record's top-level fields, strings as they are,
     * numbers and booleans as text, objects as JSON, `null` and `undefined` left out.
     */
    readonly fields?: (value: T) => Readonly<Record<string, unknown>>;
    /**
     * A record's place in time (e.g. its window start): a record never replaces a
     * hash holding a greater one (kept in the field `_order`). Default: always replace.
     */
    readonly order?: (value: T) => number;
  };
  /** Every record as an entry `{ id, type?, data }` of a stream, trimmed with `MAXLEN ~`. */
  readonly stream?: {
    readonly key: string | ((value: T) => string);
    /** Approximate length the stream is trimmed to. Default 100,000. */
    readonly maxLen?: number;
    /** The entry's `type` field (e.g. the output's name). Default none. */
    readonly type?: string;
  };
  /** Every record also published (as `data`) on a pub/sub channel. */
  readonly channel?: string | ((value: T) => string);
  /** A record's `data` (stream entries, channel messages). Default `JSON.stringify`. */
  readonly data?: (value: T) => string;
  /** Buffered records after which `needsFlush` turns true. Default 1000. */
  readonly bufferRecords?: number;
  /** Entries applied per script call at commit (each call is atomic). Default 500. */
  readonly applyChunk?: number;
  /** Retries of transient failures (lost connection, LOADING, …). */
  readonly retry?: RetryOptions;
  /** Told of each retried failure. Default: a line on `console.warn`. */
  readonly onRetry?: (what: string, error: unknown, attempt: number, delayMs: number) => void;
}

/** The progress a {@link RedisSink} returns from `prepareCommit` and expects back. */
export interface RedisSinkProgress {
  /** The sorted sets of staged entries to apply, oldest first. */
  readonly keys: readonly string[];
}

/**
 * Writes records to Redis exactly once, by checkpoint epochs.
 *
 * - `write` turns each record into an entry (hash key and fields, stream entry,
 *   channel message), serialised at once, and buffers it; `flush` adds the buffer to
 *   the epoch's sorted set `<stateKey>:epoch:<n>` (scored by a sequence number, so
 *   re-sending after a lost connection adds nothing twice).
 * - `prepareCommit(n)` flushes and returns {@link RedisSinkProgress}: the sets to
 *   apply, this epoch's and any prepared earlier whose checkpoint never committed.
 *   Nothing is visible yet.
 * - `commit(n, progress)` applies the sets in order with the script of
 *   `apply-epoch-script.ts`, `applyChunk` entries per atomic call, each entry removed
 *   as it is applied: idempotent, and safe to interrupt at any point.
 * - `open` with `restored` applies that checkpoint's sets (a crash may have come
 *   before its commit), then deletes every other set of the state key: later epochs
 *   are replayed. A fresh `open` deletes them all.
 * - Transient failures are retried with backoff; other failures (a key of the wrong
 *   type, out of memory) reject with a {@link RedisSinkError} and the writer is
 *   unusable from then on.
 *
 * Records become visible when the checkpoint commits, so a dashboard sees them up to
 * one checkpoint interval late. One Redis server (not a cluster: the script touches
 * keys it cannot declare). Exactly-once holds as long as Redis keeps what it acknowledged
 * (with `appendonly yes`; without persistence a Redis restart loses data anyway).
 */
export class RedisSink<T> implements Sink<T> {
  readonly description: string;
  readonly #options: RedisSinkOptions<T>;

  constructor(options: RedisSinkOptions<T>) {
    validate(options);
    this.#options = options;
    this.description = `redis:${options.stateKey}`;
  }

  async open(context: SinkContext): Promise<SinkWriter<T>> {
    const writer = new RedisSinkWriter(this.#options, (context.restored?.checkpointId ?? 0) + 1);
    await writer.start(context);
    return writer;
  }
}

function validate<T>(options: RedisSinkOptions<T>): void {
  const fail = (message: string): never => {
    throw new TypeError(`RedisSink: ${message}`);
  };
  if (options.redis === undefined || options.redis === null)
    fail("`redis` (an ioredis client) is required");
  if (typeof options.stateKey !== "string" || options.stateKey === "")
    fail("`stateKey` must be a non-empty string");
  if (typeof options.id !== "function") fail("`id` must be a function");
  if (!options.hash && !options.stream && !options.channel)
    fail("give at least one of `hash`, `stream`, `channel`");
  const positive = (name: string, v: number | undefined) => {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 1))
      fail(`\`${name}\` must be a positive integer, got ${v}`);
  };
  positive("hash.ttlMs", options.hash?.ttlMs);
  positive("stream.maxLen", options.stream?.maxLen);
  positive("bufferRecords", options.bufferRecords);
  positive("applyChunk", options.applyChunk);
}

/** The default hash fields of a record: its top-level fields as text. */
function defaultFields(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null
    ? (value as Record<string, unknown>)
    : { value };
}

/** A flat `[field, value, …]` list for HSET; `null`/`undefined` values are left out. */
function flatFields(
  fields: Readonly<Record<string, unknown>>,
  order: number | undefined,
): string[] {
  const flat: string[] = [];
  for (const [name, v] of Object.entries(fields)) {
    if (v === null || v === undefined) continue;
    flat.push(name, typeof v === "object" ? JSON.stringify(v) : String(v));
  }
  if (order !== undefined) flat.push("_order", String(order));
  return flat;
}

/** Escapes the glob characters of a key for SCAN MATCH. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}

class RedisSinkWriter<T> implements SinkWriter<T> {
  readonly #options: RedisSinkOptions<T>;
  readonly #redis: Redis;
  readonly #description: string;
  readonly #bufferRecords: number;
  readonly #applyChunk: number;
  #epoch: number;
  /** Score of the next staged entry: unique within the writer, increasing. */
  #seq = 0;
  /** Sorted-set members not yet sent. */
  #buffer: string[] = [];
  /** Sets prepared but whose checkpoint has not committed yet, oldest first. */
  #prepared: string[] = [];
  readonly #queue = new SerialQueue(
    (cause) =>
      new RedisSinkError(`${this.#description}: an earlier write failed; the sink is unusable`, {
        cause,
      }),
  );
  #closed = false;

  constructor(options: RedisSinkOptions<T>, epoch: number) {
    this.#options = options;
    this.#redis = options.redis;
    this.#description = `redis:${options.stateKey}`;
    this.#bufferRecords = options.bufferRecords ?? DEFAULT_BUFFER_RECORDS;
    this.#applyChunk = options.applyChunk ?? DEFAULT_APPLY_CHUNK;
    this.#epoch = epoch;
  }

  /** Finishes the restored checkpoint's commit and drops every other staged set. */
  async start(context: SinkContext): Promise<void> {
    const restored = context.restored;
    if (restored && restored.progress !== undefined) {
      const progress = this.#parseProgress(restored.progress);
      await this.#apply(progress.keys);
    }
    const stale = await this.#run("listing staged epochs", async () => {
      const found: string[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await this.#redis.scan(
          cursor,
          "MATCH",
          `${globEscape(this.#options.stateKey)}:epoch:*`,
          "COUNT",
          1000,
        );
        cursor = next;
        found.push(...keys);
      } while (cursor !== "0");
      return found;
    });
    if (stale.length > 0)
      await this.#run("dropping staged epochs", () => this.#redis.del(...stale));
  }

  get needsFlush(): boolean {
    return this.#buffer.length >= this.#bufferRecords;
  }

  write(batch: Batch<T>): void {
    if (this.#closed) throw new RedisSinkError(`${this.#description}: write after close`);
    this.#queue.check();
    const { values } = batch;
    for (let i = 0; i < values.length; i++) {
      try {
        this.#buffer.push(`${this.#seq++}:${JSON.stringify(this.#entry(values[i] as T))}`);
      } catch (error) {
        throw new RedisSinkError(
          `${this.#description}: cannot turn record ${i} of a batch into an entry`,
          {
            cause: error,
          },
        );
      }
    }
  }

  flush(): Promise<void> {
    if (this.#closed) return this.#rejectClosed("flush");
    const members = this.#take();
    const key = this.#epochKey(this.#epoch);
    return this.#queue.run(() => this.#stage(key, members));
  }

  prepareCommit(checkpointId: number): Promise<unknown> {
    if (this.#closed) return this.#rejectClosed("prepareCommit");
    const members = this.#take();
    const from = this.#epochKey(this.#epoch);
    const to = this.#epochKey(checkpointId);
    this.#epoch = checkpointId + 1;
    let progress: RedisSinkProgress = { keys: [] };
    return this.#queue
      .run(async () => {
        await this.#stage(from, members);
        if (from !== to) {
          await this.#run("renaming a staged epoch", () =>
            this.#redis.eval(
              "if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('RENAME', KEYS[1], KEYS[2]) end return 0",
              2,
              from,
              to,
            ),
          );
        }
        const staged =
          (await this.#run("counting staged entries", () => this.#redis.exists(to))) === 1;
        const keys = staged ? [...this.#prepared, to] : [...this.#prepared];
        this.#prepared = keys;
        progress = { keys };
      })
      .then(() => progress);
  }

  commit(_checkpointId: number, progress: unknown): Promise<void> {
    if (this.#closed) return this.#rejectClosed("commit");
    let keys: readonly string[];
    try {
      ({ keys } = this.#parseProgress(progress));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#queue.run(async () => {
      await this.#apply(keys);
      const done = new Set(keys);
      this.#prepared = this.#prepared.filter((k) => !done.has(k));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#buffer = [];
    await this.#queue.idle();
  }

  #entry(value: T): Record<string, unknown> {
    const o = this.#options;
    const entry: Record<string, unknown> = {};
    const data = o.data ? o.data(value) : JSON.stringify(value);
    if (o.hash) {
      const key = o.hash.key(value);
      if (key !== null) {
        const order = o.hash.order?.(value);
        const fields = flatFields(
          o.hash.fields ? o.hash.fields(value) : defaultFields(value),
          order,
        );
        if (fields.length > 0) {
          entry.k = key;
          entry.f = fields;
          if (o.hash.ttlMs !== undefined) entry.t = o.hash.ttlMs;
          if (order !== undefined) entry.o = order;
        }
      }
    }
    if (o.stream) {
      entry.s = typeof o.stream.key === "string" ? o.stream.key : o.stream.key(value);
      entry.m = o.stream.maxLen ?? DEFAULT_MAX_LEN;
      const x = ["id", o.id(value)];
      if (o.stream.type !== undefined) x.push("type", o.stream.type);
      x.push("data", data);
      entry.x = x;
    }
    if (o.channel) {
      entry.c = typeof o.channel === "string" ? o.channel : o.channel(value);
      entry.d = data;
    }
    return entry;
  }

  #take(): string[] {
    const members = this.#buffer;
    this.#buffer = [];
    return members;
  }

  #epochKey(epoch: number): string {
    return `${this.#options.stateKey}:epoch:${epoch}`;
  }

  /** Adds members (`<seq>:<json>`) to a staged set, scored by their seq. */
  async #stage(key: string, members: readonly string[]): Promise<void> {
    for (let from = 0; from < members.length; from += ZADD_CHUNK) {
      const args: (string | number)[] = [];
      for (const m of members.slice(from, from + ZADD_CHUNK))
        args.push(Number(m.slice(0, m.indexOf(":"))), m);
      await this.#run(`staging ${args.length / 2} entries in ${key}`, () =>
        this.#redis.zadd(key, ...args),
      );
    }
  }

  /** Applies staged sets in order, a chunk per atomic script call, until each is gone. */
  async #apply(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      let left = 1;
      while (left > 0) {
        left = Number(
          await this.#run(`applying ${key}`, () =>
            this.#redis.eval(APPLY_EPOCH_SCRIPT, 1, key, this.#applyChunk),
          ),
        );
      }
    }
  }

  async #run<R>(what: string, operation: () => Promise<R>): Promise<R> {
    const o = this.#options;
    let tries = 0;
    try {
      return await withRetry(
        () => {
          tries++;
          return operation();
        },
        {
          ...(o.retry ?? {}),
          isTransient: isTransientRedisError,
          onRetry: (error, attempt, delayMs) =>
            (o.onRetry ?? defaultOnRetry(this.#description))(what, error, attempt, delayMs),
        },
      );
    } catch (error) {
      throw new RedisSinkError(
        `${this.#description}: ${what} failed${tries > 1 ? ` after ${tries} tries` : ""}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  #parseProgress(progress: unknown): RedisSinkProgress {
    const prefix = `${this.#options.stateKey}:epoch:`;
    if (typeof progress === "object" && progress !== null && "keys" in progress) {
      const { keys } = progress as { keys: unknown };
      if (Array.isArray(keys) && keys.every((k) => typeof k === "string" && k.startsWith(prefix))) {
        return { keys: keys as string[] };
      }
    }
    throw new RedisSinkError(
      `${this.#description}: invalid sink progress ${JSON.stringify(progress)}: expected { keys: ["${prefix}<n>", …] }`,
    );
  }

  #rejectClosed(operation: string): Promise<never> {
    return Promise.reject(new RedisSinkError(`${this.#description}: ${operation} after close`));
  }
}

function defaultOnRetry(description: string) {
  return (what: string, error: unknown, attempt: number, delayMs: number) =>
    console.warn(
      `${description}: ${what} failed (try ${attempt}), retrying in ${delayMs} ms: ${(error as Error).message}`,
    );
}

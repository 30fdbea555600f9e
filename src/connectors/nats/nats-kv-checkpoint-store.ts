/**
 * A checkpoint store in a NATS JetStream key-value bucket, for jobs on several
 * machines that already share a NATS cluster. Implements the engine's
 * `CheckpointStore` contract (see docs/checkpoints.md and docs/connectors-nats.md).
 *
 * Layout, per job (`<j>` is `j` + the job name in base64url):
 *
 * - `<j>.head`: the latest committed id and the checkpoints still kept, replaced
 *   with compare-and-set on its revision; writing it is what commits.
 * - `<j>.cp.<slot>`: one checkpoint's metadata (id, creation time, shared state,
 *   positions, sink progress, checksum, chunk count, chain base); slot = id mod 128.
 * - `<j>.rows.<slot>.<n>`: its state rows as JSON, cut into chunks below the
 *   server's message size limit.
 *
 * A checkpoint stores either the rows that changed since its parent (incremental) or
 * the full state (a base); restoring reads the chain from the base. A base is written
 * when the chain's changes would outgrow the full state, or after 32 increments.
 */
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type {
  CheckpointData,
  CheckpointStore,
  StateRow,
  StoredCheckpoint,
} from "../../engine/checkpoint/checkpoint-store.js";
import {
  checkpointChecksum,
  checkpointName,
  prepareCheckpoint,
} from "../checkpoint/checkpoint-checksum.js";
import { encodeMetadata, verifyCheckpoint } from "../checkpoint/checkpoint-verification.js";
import { CheckpointSequenceError, CheckpointStoreError } from "../checkpoint/errors.js";
import { connectNats, type NatsConnectionOptions } from "./nats-connection.js";
import { natsKv } from "./nats-library.js";

/** Slots per job: more than the checkpoints a job keeps (two chains of at most 33). */
const SLOTS = 128;
/** Incremental checkpoints after a base before the next base. */
const MAX_CHAIN = 32;
const DEFAULT_BUCKET = "millstream_checkpoints";
const DEFAULT_CHUNK_BYTES = 512 * 1024;
/** Room left in a message for the key, headers and protocol. */
const MESSAGE_OVERHEAD = 4096;
const WRITE_PARALLELISM = 8;

/** Options of {@link NatsKvCheckpointStore}. */
export interface NatsKvCheckpointStoreOptions extends NatsConnectionOptions {
  /** The bucket, created (history 1) if missing. Default `millstream_checkpoints`. */
  readonly bucket?: string;
  /** Replicas of a bucket the store creates. Default 1. */
  readonly replicas?: number;
  /** Use this connection instead of opening one; the store then leaves it open. */
  readonly connection?: NatsConnection;
  /** Or: an opened bucket (the store uses it as is and closes nothing). */
  readonly kv?: KV;
  /** Largest chunk of state rows per value, bytes (capped by the server's limit). Default 512 KiB. */
  readonly chunkBytes?: number;
  /** Receives a line for each corrupt checkpoint skipped. Default `console.warn`. */
  readonly onWarning?: (message: string) => void;
}

/** The keys of a job's checkpoints in the bucket (tests use them to tamper with values). */
export function natsKvCheckpointKeys(job: string): {
  head: string;
  meta(id: number): string;
  rows(id: number, chunk: number): string;
} {
  const j = `j${Buffer.from(job, "utf8").toString("base64url")}`;
  return {
    head: `${j}.head`,
    meta: (id) => `${j}.cp.${id % SLOTS}`,
    rows: (id, chunk) => `${j}.rows.${id % SLOTS}.${chunk}`,
  };
}

/** A kept checkpoint, as the head lists it. */
interface LiveEntry {
  readonly id: number;
  /** The base its chain starts at (itself for a base). */
  readonly base: number;
  /** Rows stored by the chain after the base, this one included (0 for a base). */
  readonly chainRows: number;
  readonly chunks: number;
}

interface Head {
  readonly id: number;
  readonly live: readonly LiveEntry[];
}

/** A checkpoint's metadata value. */
interface Meta {
  readonly job: string;
  readonly id: number;
  readonly createdAt: number;
  readonly base: number;
  readonly chunks: number;
  readonly rowCount: number;
  readonly checksum: string;
  readonly shared: string;
  readonly positions: string;
  readonly sinks: string;
}

type Model = Map<string, StateRow>;

const rowKey = (r: StateRow): string => `${r.step}\u0000${r.partition}\u0000${r.key}`;

/** The result of reading one checkpoint's own values. */
type Read = { ok: true; meta: Meta; rows: StateRow[] } | { ok: false; problem: string };

/**
 * Checkpoints in a NATS KV bucket. The constructor does no I/O; the first call
 * connects and opens (or creates) the bucket, and if that fails, the next call tries
 * again.
 *
 * - `commit` writes the rows and the metadata, then replaces the job's head with
 *   compare-and-set: the checkpoint exists once the head names it. A crash or error
 *   before that leaves the store as it was (stray values are overwritten later).
 *   A head changed by someone else in between fails the commit with
 *   `CheckpointSequenceError`, as does an id that is not the latest plus one (except
 *   after `latest` fell back over corrupt checkpoints, as the contract allows).
 * - `latest` verifies the newest checkpoint and every one its chain depends on
 *   against their checksums, and falls back once, to the one before, with a warning.
 * - Commits of one job run one at a time; different jobs run concurrently.
 * - The store keeps the full state of each job it committed or restored in memory, to
 *   decide between incremental and full checkpoints without reading the bucket.
 */
export class NatsKvCheckpointStore implements CheckpointStore {
  readonly description: string;
  readonly #options: NatsKvCheckpointStoreOptions;
  readonly #warn: (message: string) => void;
  #opening: Promise<{ kv: KV; chunkBytes: number }> | null = null;
  #connection: NatsConnection | null = null;
  #closed = false;
  readonly #queues = new Map<string, Promise<unknown>>();
  /** Full state per job, as of checkpoint `id`. */
  readonly #models = new Map<string, { id: number; model: Model }>();

  constructor(options: NatsKvCheckpointStoreOptions = {}) {
    const bucket = options.bucket ?? DEFAULT_BUCKET;
    if (!/^[-\w]+$/.test(bucket)) {
      throw new TypeError(`NatsKvCheckpointStore: invalid bucket name ${JSON.stringify(bucket)}`);
    }
    this.#options = { ...options, bucket };
    this.#warn = options.onWarning ?? ((message) => console.warn(message));
    this.description = `nats-kv:${bucket}`;
  }

  async commit(data: CheckpointData): Promise<void> {
    this.#checkOpen();
    const prepared = prepareCheckpoint(data);
    await this.#serially(prepared.job, () => this.#commit(prepared));
  }

  async latest(job: string): Promise<StoredCheckpoint | null> {
    this.#checkOpen();
    return this.#serially(job, async () => {
      const { kv } = await this.#open();
      const head = await readHead(kv, job, this.description);
      const found =
        head === null ? null : await this.#newestIntact(kv, job, head.value, this.#warn);
      if (found === null) {
        this.#models.delete(job);
        return null;
      }
      this.#models.set(job, { id: found.meta.id, model: found.model });
      const meta = found.meta;
      return {
        job,
        id: meta.id,
        createdAt: meta.createdAt,
        rows: [...found.model.values()],
        shared: JSON.parse(meta.shared),
        positions: JSON.parse(meta.positions),
        sinks: JSON.parse(meta.sinks),
      };
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#queues.values());
    this.#models.clear();
    const connection = this.#connection;
    this.#connection = null;
    if (connection !== null) await connection.close();
  }

  #checkOpen(): void {
    if (this.#closed) throw new CheckpointStoreError(`${this.description}: the store is closed`);
  }

  #serially<T>(job: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(job) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#queues.set(job, settled);
    void settled.then(() => {
      if (this.#queues.get(job) === settled) this.#queues.delete(job);
    });
    return next;
  }

  async #open(): Promise<{ kv: KV; chunkBytes: number }> {
    this.#checkOpen();
    this.#opening ??= (async () => {
      const o = this.#options;
      let kv = o.kv;
      let maxPayload = 1024 * 1024;
      if (kv === undefined) {
        const nc =
          o.connection ??
          (await connectNats({ ...o, name: o.name ?? "millstream-checkpoints" }, this.description));
        if (o.connection === undefined) this.#connection = nc;
        maxPayload = nc.info?.max_payload ?? maxPayload;
        try {
          kv = await new (natsKv().Kvm)(nc).create(o.bucket!, {
            history: 1,
            replicas: o.replicas ?? 1,
          });
        } catch (error) {
          throw new CheckpointStoreError(
            `${this.description}: cannot open or create the bucket: ${(error as Error).message}`,
            { cause: error },
          );
        }
      }
      const chunkBytes = Math.min(
        o.chunkBytes ?? DEFAULT_CHUNK_BYTES,
        maxPayload - MESSAGE_OVERHEAD,
      );
      return { kv, chunkBytes };
    })();
    try {
      return await this.#opening;
    } catch (error) {
      this.#opening = null;
      await this.#connection?.close().catch(() => undefined);
      this.#connection = null;
      throw error;
    }
  }

  async #commit(data: CheckpointData): Promise<void> {
    const { kv, chunkBytes } = await this.#open();
    const { job, id } = data;
    const keys = natsKvCheckpointKeys(job);
    const head = await readHead(kv, job, this.description);
    const latestId = head?.value.id ?? 0;
    let parentId = latestId;
    if (id !== latestId + 1) {
      // Allowed only to replace checkpoints `latest` skipped as corrupt.
      const intact =
        id <= latestId ? await this.#newestIntact(kv, job, head!.value, () => {}) : null;
      const restorable = intact?.meta.id ?? 0;
      if (id > latestId || id !== restorable + 1) {
        throw new CheckpointSequenceError(
          job,
          id,
          latestId + 1,
          `${this.description}: ${checkpointName(job, id)} rejected: the latest committed checkpoint is ${latestId}, so the next id must be ${latestId + 1} (is another process writing this job's checkpoints?)`,
        );
      }
      parentId = restorable;
      if (intact !== null) this.#models.set(job, { id: restorable, model: intact.model });
    }
    const parent = head?.value.live.find((e) => e.id === parentId);
    let model: Model;
    if (parentId === 0) {
      model = new Map();
    } else {
      const cached = this.#models.get(job);
      if (cached !== undefined && cached.id === parentId) {
        model = cached.model;
      } else {
        const loaded = parent ? await this.#load(kv, job, parent, new Map()) : null;
        if (loaded === null || !loaded.ok) {
          throw new CheckpointStoreError(
            `${this.description}: cannot commit ${checkpointName(job, id)}: its predecessor ${parentId} cannot be read back (${loaded?.ok === false ? loaded.problem : "not kept"})`,
          );
        }
        model = loaded.model;
      }
    }

    let size = model.size;
    for (const row of data.rows) {
      const had = model.has(rowKey(row));
      if (row.state === null) size -= had ? 1 : 0;
      else size += had ? 0 : 1;
    }
    const chainLength = parent ? id - parent.base : 0;
    const full =
      parent === undefined || chainLength > MAX_CHAIN || parent.chainRows + data.rows.length > size;
    let next: Model | null = null;
    let stored: readonly StateRow[];
    if (full) {
      next = applyRows(new Map(model), data.rows);
      stored = [...next.values()];
    } else {
      stored = data.rows;
    }
    const checksum = checkpointChecksum({ ...data, rows: stored });
    const text = JSON.stringify(stored.map((r) => [r.step, r.partition, r.key, r.state]));
    const bytes = Buffer.from(text, "utf8");
    const chunks: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += chunkBytes) {
      chunks.push(bytes.subarray(at, at + chunkBytes));
    }
    const previous = await kv.get(keys.meta(id));
    const previousChunks =
      previous !== null && previous.operation === "PUT" ? safeChunks(previous.value) : 0;

    try {
      for (let at = 0; at < chunks.length; at += WRITE_PARALLELISM) {
        await Promise.all(
          chunks
            .slice(at, at + WRITE_PARALLELISM)
            .map((chunk, i) => kv.put(keys.rows(id, at + i), chunk)),
        );
      }
      const meta: Meta = {
        job,
        id,
        createdAt: data.createdAt,
        base: full ? id : parent!.base,
        chunks: chunks.length,
        rowCount: stored.length,
        checksum,
        ...encodeMetadata(data),
      };
      await kv.put(keys.meta(id), JSON.stringify(meta));
    } catch (error) {
      throw new CheckpointStoreError(
        `${this.description}: ${checkpointName(job, id)} not committed: writing it failed: ${(error as Error).message}`,
        { cause: error },
      );
    }

    const entry: LiveEntry = {
      id,
      base: full ? id : parent!.base,
      chainRows: full ? 0 : parent!.chainRows + stored.length,
      chunks: chunks.length,
    };
    const parentChain = parent
      ? (head?.value.live ?? []).filter((e) => e.id >= parent.base && e.id <= parentId)
      : [];
    const newHead: Head = { id, live: [...parentChain, entry] };
    try {
      const value = JSON.stringify(newHead);
      if (head === null) await kv.create(keys.head, value);
      else await kv.update(keys.head, value, head.revision);
    } catch (error) {
      this.#models.delete(job);
      const message = (error as Error).message;
      if (/wrong last sequence|key exists/i.test(message)) {
        throw new CheckpointSequenceError(
          job,
          id,
          latestId + 1,
          `${this.description}: ${checkpointName(job, id)} rejected: the job's head changed while it was written (is another process writing this job's checkpoints?)`,
          { cause: error },
        );
      }
      throw new CheckpointStoreError(
        `${this.description}: ${checkpointName(job, id)} not committed: writing the job's head failed: ${message}`,
        { cause: error },
      );
    }
    if (next === null) next = applyRows(model, data.rows);
    this.#models.set(job, { id, model: next });
    // Chunks of the slot's former checkpoint beyond this one's: no longer needed.
    for (let n = chunks.length; n < previousChunks; n++) {
      await kv.purge(keys.rows(id, n)).catch(() => undefined);
    }
  }

  /**
   * The newest intact checkpoint of the head (the latest, else the one before), with
   * its full state; `warn` hears about each corrupt one skipped. `null` if none.
   */
  async #newestIntact(
    kv: KV,
    job: string,
    head: Head,
    warn: (message: string) => void,
  ): Promise<{ meta: Meta; model: Model } | null> {
    const candidates = [head.id, head.id - 1]
      .map((id) => head.live.find((e) => e.id === id))
      .filter((e): e is LiveEntry => e !== undefined);
    const reads = new Map<number, Read>();
    for (const [i, entry] of candidates.entries()) {
      const loaded = await this.#load(kv, job, entry, reads);
      if (loaded.ok) return loaded;
      const older = candidates[i + 1];
      const next = older
        ? `falling back to checkpoint ${older.id}`
        : "no older checkpoint is kept, so the job restarts without a checkpoint";
      warn(
        `${this.description}: ${checkpointName(job, entry.id)} is corrupt, ${loaded.problem}; ${next}`,
      );
    }
    return null;
  }

  /** The full state as of `entry`: its base's rows with the increments after it applied. */
  async #load(
    kv: KV,
    job: string,
    entry: LiveEntry,
    reads: Map<number, Read>,
  ): Promise<{ ok: true; meta: Meta; model: Model } | { ok: false; problem: string }> {
    let model: Model = new Map();
    let meta: Meta | undefined;
    for (let id = entry.base; id <= entry.id; id++) {
      let read = reads.get(id);
      if (read === undefined) {
        read = await this.#read(kv, job, id);
        reads.set(id, read);
      }
      if (!read.ok) {
        return {
          ok: false,
          problem:
            id === entry.id
              ? read.problem
              : `checkpoint ${id}, which it builds on: ${read.problem}`,
        };
      }
      if (id === entry.base) model = new Map(read.rows.map((r) => [rowKey(r), r]));
      else applyRows(model, read.rows);
      meta = read.meta;
    }
    return { ok: true, meta: meta!, model };
  }

  /** One checkpoint's metadata and stored rows, verified against its checksum. */
  async #read(kv: KV, job: string, id: number): Promise<Read> {
    const keys = natsKvCheckpointKeys(job);
    let meta: Meta;
    try {
      const entry = await kv.get(keys.meta(id));
      if (entry === null || entry.operation !== "PUT")
        return { ok: false, problem: "its metadata is missing" };
      meta = JSON.parse(entry.string()) as Meta;
    } catch (error) {
      return { ok: false, problem: `its metadata is unreadable (${(error as Error).message})` };
    }
    if (meta.job !== job || meta.id !== id) {
      return { ok: false, problem: "its metadata is missing (its slot holds another checkpoint)" };
    }
    let rows: StateRow[];
    try {
      const parts: Uint8Array[] = [];
      for (let n = 0; n < meta.chunks; n++) {
        const chunk = await kv.get(keys.rows(id, n));
        if (chunk === null || chunk.operation !== "PUT") {
          return { ok: false, problem: `chunk ${n} of its state rows is missing` };
        }
        parts.push(chunk.value);
      }
      const tuples: unknown =
        meta.chunks === 0 ? [] : JSON.parse(Buffer.concat(parts).toString("utf8"));
      if (!Array.isArray(tuples)) throw new Error("not an array");
      rows = tuples.map((t: unknown) => {
        if (!Array.isArray(t) || t.length !== 4)
          throw new Error("a row is not [step, partition, key, state]");
        const [step, partition, key, state] = t as [string, number, string, string | null];
        return { step, partition, key, state };
      });
    } catch (error) {
      return { ok: false, problem: `its state rows are unreadable (${(error as Error).message})` };
    }
    const verified = verifyCheckpoint(
      job,
      {
        id,
        createdAt: meta.createdAt,
        shared: meta.shared,
        positions: meta.positions,
        sinks: meta.sinks,
        rowCount: meta.rowCount,
        checksum: meta.checksum,
      },
      { rows: [], delta: rows },
    );
    return verified.ok ? { ok: true, meta, rows } : { ok: false, problem: verified.problem };
  }
}

/** Applies upserts and tombstones to `model` (copies of the rows); returns it. */
function applyRows(model: Model, rows: readonly StateRow[]): Model {
  for (const r of rows) {
    const key = rowKey(r);
    if (r.state === null) model.delete(key);
    else model.set(key, { step: r.step, partition: r.partition, key: r.key, state: r.state });
  }
  return model;
}

async function readHead(
  kv: KV,
  job: string,
  store: string,
): Promise<{ value: Head; revision: number } | null> {
  const entry = await kv.get(natsKvCheckpointKeys(job).head);
  if (entry === null || entry.operation !== "PUT") return null;
  try {
    const value = JSON.parse(entry.string()) as Head;
    if (!Number.isSafeInteger(value.id) || !Array.isArray(value.live)) throw new Error("bad shape");
    return { value, revision: entry.revision };
  } catch (error) {
    throw new CheckpointStoreError(
      `${store}: the head of job ${JSON.stringify(job)} is unreadable: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function safeChunks(value: Uint8Array): number {
  try {
    const chunks = (JSON.parse(Buffer.from(value).toString("utf8")) as Partial<Meta>).chunks;
    return Number.isSafeInteger(chunks) ? (chunks as number) : 0;
  } catch {
    return 0;
  }
}

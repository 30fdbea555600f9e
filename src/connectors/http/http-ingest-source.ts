/**
 * HTTP ingest: a source that listens for `POST /ingest` with a JSON array or NDJSON
 * body and hands each item to the pipeline as an `InboundMessage`. Bearer token,
 * body size limit (413), a bounded queue answering 429 with `Retry-After` when full
 * and 503 when stopping, JSON responses with the accepted count and per-item syntax
 * errors. See docs/connectors-http.md.
 */
import { timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type {
  Source,
  SourceContext,
  SourcePoll,
  SourceReader,
  SourceStatus,
} from "../../engine/index.js";
import type { InboundMessage } from "../inbound-message.js";
import { parseIngestBody } from "./ingest-body.js";

const DEFAULT_PATH = "/ingest";
const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 50_000;
const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_RESPONSE_TIMEOUT_MS = 30_000;
const MAX_IDLE_WAIT_MS = 100;
/** How long the rest of a refused body is read and discarded before the connection is cut, ms. */
const DISCARD_MS = 5000;
/** Per-item errors listed in a response at most (the count is always given). */
const MAX_LISTED_ERRORS = 100;

/** Options of {@link HttpIngestSource}. */
export interface HttpIngestSourceOptions {
  /** Port to listen on; 0 picks a free one (see `HttpIngestReader.port`). */
  readonly port: number;
  /** Address to listen on. Default `127.0.0.1`; `0.0.0.0` for every interface. */
  readonly host?: string;
  /** Path of the ingest endpoint. Default `/ingest`. */
  readonly path?: string;
  /** Required bearer token (`Authorization: Bearer <token>`). Without one, anyone may post. */
  readonly token?: string;
  /** Largest body accepted, bytes; larger ones get 413. Default 10 MiB. */
  readonly maxBodyBytes?: number;
  /** Readings waiting for the pipeline at most; a request that does not fit gets 429. Default 50,000. */
  readonly queueSize?: number;
  /** Most readings per batch. Default 1000. */
  readonly batchSize?: number;
  /** The `Retry-After` of 429 and 503 answers, seconds. Default 1. */
  readonly retryAfterSeconds?: number;
  /**
   * Answer only once the checkpoint covering the request's readings has committed
   * (200), so a client that got an answer knows its readings survive a crash.
   * Default false: answer 202 as soon as they are queued.
   */
  readonly waitForCheckpoint?: boolean;
  /** With `waitForCheckpoint`: answer 202 anyway after this long, ms. Default 30,000. */
  readonly responseTimeoutMs?: number;
  /** Also queue items that are not JSON, so the pipeline dead-letters them with their text. Default true. */
  readonly forwardInvalid?: boolean;
  /** Clock for `receivedAt`. Default `Date.now`. */
  readonly now?: () => number;
}

/** The running ingest endpoint: a source reader that also tells where it listens. */
export interface HttpIngestReader extends SourceReader<InboundMessage> {
  /** The port the server listens on. */
  readonly port: number;
  status(): SourceStatus;
  positions(): Map<number, unknown>;
  acknowledge(positions: ReadonlyMap<number, unknown>): Promise<void>;
}

/** The JSON body of every answer. */
export interface IngestResponse {
  /** Items queued for the pipeline (valid JSON). */
  readonly accepted: number;
  /** Items that are not JSON (listed in `errors`, at most 100). */
  readonly rejected: number;
  readonly errors: readonly { readonly index: number; readonly error: string }[];
  /** For 2xx: `queued` or `checkpointed`. */
  readonly status?: "queued" | "checkpointed";
}

/**
 * Receives readings over HTTP, in one source partition.
 *
 * - `POST <path>` with `Authorization: Bearer <token>` (when a token is set; 401
 *   otherwise) and a body that is a JSON array of readings or NDJSON. The answer is
 *   JSON: `{ accepted, rejected, errors: [{ index, error }], status }`, 202 once queued
 *   (200 with `waitForCheckpoint`, once checkpointed). Items that are not JSON are
 *   listed as errors and, with `forwardInvalid`, also passed on so they appear among
 *   the dead letters. Whether a JSON item is a valid reading is decided by the
 *   pipeline: such rejects go to the dead-letter output, not into the answer.
 * - 413 for a body over `maxBodyBytes` or with more items than the queue holds;
 *   429 with `Retry-After` while the queue cannot take the request's items; 503
 *   with `Retry-After` while the source is stopping; 400 for a body that cannot be
 *   split into items; 404 and 405 for other paths and methods. Every error answer
 *   is JSON with a `message`.
 * - Records: payload (the item's JSON text), origin `http:<client address>#<n>`
 *   (n counts the items this source received), topic from the query parameter
 *   `topic` when given, receivedAt.
 * - Delivery: readings queued but not yet covered by a committed checkpoint are lost
 *   if the process dies; with `waitForCheckpoint` the client has not been answered
 *   for them, so it sends them again (at-least-once).
 * - Status: `connected` while listening, lag = readings queued.
 */
export class HttpIngestSource implements Source<InboundMessage> {
  readonly description: string;
  readonly #options: HttpIngestSourceOptions;

  constructor(options: HttpIngestSourceOptions) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535) {
      throw new RangeError(`HttpIngestSource: invalid port ${options.port}`);
    }
    for (const [name, value] of [
      ["maxBodyBytes", options.maxBodyBytes],
      ["queueSize", options.queueSize],
      ["batchSize", options.batchSize],
    ] as const) {
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
        throw new RangeError(
          `HttpIngestSource: \`${name}\` must be a positive integer, got ${value}`,
        );
      }
    }
    if (options.token !== undefined && options.token.length === 0) {
      throw new TypeError("HttpIngestSource: `token` is empty");
    }
    this.#options = options;
    this.description = `http:${options.host ?? "127.0.0.1"}:${options.port}${options.path ?? DEFAULT_PATH}`;
  }

  async open(_context: SourceContext): Promise<HttpIngestReader> {
    const reader = new IngestReader(this.#options);
    await reader.listen();
    return reader;
  }
}

interface Queued {
  readonly message: InboundMessage;
  readonly seq: number;
}

interface Waiting {
  readonly lastSeq: number;
  readonly answer: (status: "checkpointed" | "queued" | "stopped") => void;
}

class IngestReader implements HttpIngestReader {
  readonly partitions = 1;
  readonly #o: HttpIngestSourceOptions;
  readonly #server: http.Server;
  readonly #path: string;
  readonly #token: Buffer | null;
  readonly #capacity: number;
  readonly #batchSize: number;
  readonly #now: () => number;
  #queue: Queued[] = [];
  #head = 0;
  /** Items received (the `<n>` of origins) and the sequence of the last one queued. */
  #received = 0;
  #seq = 0;
  #returned = 0;
  readonly #waiting: Waiting[] = [];
  #wake: (() => void) | null = null;
  #closing = false;
  #port = 0;

  constructor(options: HttpIngestSourceOptions) {
    this.#o = options;
    this.#path = options.path ?? DEFAULT_PATH;
    this.#token = options.token === undefined ? null : Buffer.from(`Bearer ${options.token}`);
    this.#capacity = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    this.#batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.#now = options.now ?? Date.now;
    this.#server = http.createServer((req, res) => this.#handle(req, res));
  }

  get port(): number {
    return this.#port;
  }

  async listen(): Promise<void> {
    const host = this.#o.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(this.#o.port, host, () => {
        this.#server.off("error", reject);
        resolve();
      });
    }).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        `HTTP ingest: cannot listen on ${host}:${this.#o.port}: ${error.code ?? error.message}`,
        {
          cause: error,
        },
      );
    });
    this.#port = (this.#server.address() as AddressInfo).port;
  }

  get #size(): number {
    return this.#queue.length - this.#head;
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://ingest");
    const retryAfter = String(this.#o.retryAfterSeconds ?? 1);
    const fail = (status: number, message: string, headers: Record<string, string> = {}) => {
      if (res.headersSent) return;
      const unread = !req.complete;
      res.writeHead(status, {
        "content-type": "application/json",
        ...(unread ? { connection: "close" } : {}),
        ...headers,
      });
      res.end(JSON.stringify({ message }));
      if (unread) {
        // Discard the rest of the body (closing at once could cut the answer off), but
        // not for long.
        req.removeAllListeners("data");
        req.resume();
        setTimeout(() => req.destroy(), DISCARD_MS).unref();
      }
    };
    if (url.pathname !== this.#path) {
      fail(404, `no such endpoint: ${url.pathname} (readings go to POST ${this.#path})`);
      return;
    }
    if (req.method !== "POST") {
      fail(405, `${req.method} is not allowed: POST readings to ${this.#path}`, { allow: "POST" });
      return;
    }
    if (this.#token !== null) {
      const given = Buffer.from(req.headers.authorization ?? "");
      if (given.length !== this.#token.length || !timingSafeEqual(given, this.#token)) {
        fail(401, "missing or wrong bearer token", {
          "www-authenticate": 'Bearer realm="millstream"',
        });
        return;
      }
    }
    if (this.#closing) {
      fail(503, "the pipeline is stopping; send the readings again later", {
        "retry-after": retryAfter,
      });
      return;
    }
    if (this.#size >= this.#capacity) {
      fail(429, "the pipeline is behind; send the readings again later", {
        "retry-after": retryAfter,
      });
      return;
    }
    const limit = this.#o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      fail(413, `the body is ${declared} bytes; the limit is ${limit}`);
      return;
    }
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit) {
        fail(413, `the body is over the limit of ${limit} bytes`);
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (res.headersSent) return;
      this.#ingest(Buffer.concat(chunks).toString("utf8"), req, res, url, fail, retryAfter);
    });
    req.on("error", () => req.destroy());
  }

  #ingest(
    body: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    fail: (status: number, message: string, headers?: Record<string, string>) => void,
    retryAfter: string,
  ): void {
    const parsed = parseIngestBody(body);
    if (!parsed.ok) {
      fail(400, parsed.error);
      return;
    }
    const forwardInvalid = this.#o.forwardInvalid ?? true;
    const queued = parsed.items.filter((item) => item.ok || forwardInvalid).length;
    if (queued > this.#capacity) {
      fail(413, `the body has ${queued} readings; at most ${this.#capacity} fit in one request`);
      return;
    }
    if (this.#closing) {
      fail(503, "the pipeline is stopping; send the readings again later", {
        "retry-after": retryAfter,
      });
      return;
    }
    if (this.#size + queued > this.#capacity) {
      fail(429, "the pipeline is behind; send the readings again later", {
        "retry-after": retryAfter,
      });
      return;
    }
    const remote = req.socket.remoteAddress ?? "unknown";
    const topic = url.searchParams.get("topic");
    const receivedAt = this.#now();
    const errors: { index: number; error: string }[] = [];
    let accepted = 0;
    for (const [index, item] of parsed.items.entries()) {
      const n = ++this.#received;
      if (!item.ok) {
        errors.push({ index, error: `not JSON: ${item.error}` });
        if (!forwardInvalid) continue;
      } else {
        accepted++;
      }
      const message: InboundMessage = {
        payload: item.text,
        origin: `http:${remote}#${n}`,
        ...(topic !== null ? { topic } : {}),
        receivedAt,
      };
      this.#queue.push({ message, seq: ++this.#seq });
    }
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
    const answer = (status: "checkpointed" | "queued" | "stopped") => {
      if (res.headersSent) return;
      if (status === "stopped") {
        fail(503, "the pipeline stopped before the readings were checkpointed; send them again", {
          "retry-after": retryAfter,
        });
        return;
      }
      const response: IngestResponse = {
        accepted,
        rejected: errors.length,
        errors: errors.slice(0, MAX_LISTED_ERRORS),
        status,
      };
      res.writeHead(status === "checkpointed" ? 200 : 202, { "content-type": "application/json" });
      res.end(JSON.stringify(response));
    };
    if (!this.#o.waitForCheckpoint || queued === 0) {
      answer("queued");
      return;
    }
    const waiting: Waiting = { lastSeq: this.#seq, answer };
    this.#waiting.push(waiting);
    const timer = setTimeout(
      () => answer("queued"),
      this.#o.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS,
    );
    res.on("close", () => clearTimeout(timer));
  }

  async poll(): Promise<SourcePoll<InboundMessage>> {
    if (this.#size === 0 && !this.#closing) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, MAX_IDLE_WAIT_MS);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
    if (this.#size === 0) return { kind: "idle" };
    const end = Math.min(this.#queue.length, this.#head + this.#batchSize);
    const taken = this.#queue.slice(this.#head, end);
    this.#head = end;
    if (this.#head > 4096 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    this.#returned = taken.at(-1)!.seq;
    return { kind: "batch", partition: 0, values: taken.map((q) => q.message) };
  }

  positions(): Map<number, unknown> {
    return new Map([[0, this.#returned]]);
  }

  async acknowledge(positions: ReadonlyMap<number, unknown>): Promise<void> {
    const upTo = positions.get(0);
    if (typeof upTo !== "number") return;
    while (this.#waiting.length > 0 && this.#waiting[0]!.lastSeq <= upTo) {
      this.#waiting.shift()!.answer("checkpointed");
    }
  }

  status(): SourceStatus {
    if (this.#closing) return { state: "closed", lag: null };
    return { state: "connected", lag: this.#size };
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
    for (const waiting of this.#waiting.splice(0)) waiting.answer("stopped");
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    });
  }
}

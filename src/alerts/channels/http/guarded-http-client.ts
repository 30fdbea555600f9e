/**
 * An HTTP client for notification receivers that cannot be turned against the
 * network it runs in (SSRF): it resolves the host itself, checks every address with
 * the {@link AddressPolicy}, and connects to the address it checked (so a DNS answer
 * that changes between check and connect cannot slip through); it follows redirects
 * by hand, checking each target again, up to a limit; it enforces one timeout over
 * the whole exchange and reads at most a configured number of response bytes.
 */
import { lookup } from "node:dns/promises";
import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { AddressPolicy, type NetworkPolicy } from "./address-policy.js";
import {
  HttpAbortedError,
  HttpNetworkError,
  HttpRequestError,
  HttpTimeoutError,
  InvalidTargetError,
  redactUrl,
  TargetRefusedError,
  TooManyRedirectsError,
} from "./errors.js";

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to all its addresses (default: the system resolver, `dns.lookup`). */
export type Resolver = (host: string) => Promise<readonly ResolvedAddress[]>;

/** Options of {@link GuardedHttpClient}. */
export interface GuardedHttpOptions {
  /** Exceptions to the SSRF policy; by default only public addresses are reachable. */
  readonly network?: NetworkPolicy;
  /** Time for the whole exchange, redirects and response body included, in ms. Default 10,000. */
  readonly timeoutMs?: number;
  /** Response body bytes kept; the rest is not read (the connection is closed). Default 65,536. */
  readonly maxResponseBytes?: number;
  /** Redirects followed (each checked like the first target). Default 3; 0 follows none. */
  readonly maxRedirects?: number;
  /** Host name resolution, replaceable in tests. */
  readonly resolve?: Resolver;
}

/** A request. `body` is sent as UTF-8; set `content-type` in `headers`. */
export interface HttpRequest {
  readonly method: "GET" | "POST" | "PUT";
  readonly url: string | URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborts the exchange (rejects with {@link HttpAbortedError}). */
  readonly signal?: AbortSignal;
  /**
   * Header names (lower case) not forwarded when a redirect leads to another origin.
   * Default `["authorization"]`.
   */
  readonly sensitiveHeaders?: readonly string[];
  /** The URL's path is a secret (Slack webhooks): messages show only its origin. */
  readonly secretPath?: boolean;
}

/** A response, after redirects. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as UTF-8 text, at most `maxResponseBytes` of it. */
  readonly body: string;
  /** True when the body was longer than `maxResponseBytes` and cut. */
  readonly truncated: boolean;
  /** The final URL, redacted (see `redactUrl`). */
  readonly url: string;
  readonly redirects: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const systemResolver: Resolver = async (host) => {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/**
 * Sends HTTP requests under the SSRF policy. `request` resolves with any HTTP status
 * (classifying it is the caller's business) and rejects only with an
 * {@link HttpRequestError}: {@link TargetRefusedError}, {@link InvalidTargetError},
 * {@link TooManyRedirectsError}, {@link HttpTimeoutError}, {@link HttpAbortedError} or
 * {@link HttpNetworkError}. Each request opens its own connection (no keep-alive pool,
 * so no connection is reused across a policy check).
 */
export class GuardedHttpClient {
  readonly #policy: AddressPolicy;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;
  readonly #resolve: Resolver;

  /** Throws a `TypeError` for an invalid allow-list entry or limit. */
  constructor(options: GuardedHttpOptions = {}) {
    this.#policy = new AddressPolicy(options.network);
    this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? 10_000);
    this.#maxBytes = positive("maxResponseBytes", options.maxResponseBytes ?? 65_536);
    this.#maxRedirects = options.maxRedirects ?? 3;
    if (!Number.isSafeInteger(this.#maxRedirects) || this.#maxRedirects < 0) {
      throw new TypeError(`maxRedirects must be a non-negative integer, got ${this.#maxRedirects}`);
    }
    this.#resolve = options.resolve ?? systemResolver;
  }

  /** The timeout of a whole exchange, in ms. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const deadline = AbortSignal.timeout(this.#timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    const secret = request.secretPath === true;
    let url = parseTarget(request.url, secret);
    let method = request.method;
    let body = request.body;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
    const sensitive = request.sensitiveHeaders ?? ["authorization"];
    const aborted = (): HttpRequestError =>
      deadline.aborted
        ? new HttpTimeoutError(
            `no complete response from ${redactUrl(url, secret)} within ${this.#timeoutMs} ms`,
          )
        : new HttpAbortedError(`request to ${redactUrl(url, secret)} aborted`);
    for (let hop = 0; ; hop++) {
      if (signal.aborted) throw aborted();
      const target = await this.#check(url, secret, signal).catch((error: unknown) => {
        throw signal.aborted ? aborted() : error;
      });
      let response: HttpResponse;
      try {
        response = await this.#exchange(url, target, method, headers, body, signal, hop, secret);
      } catch (error) {
        if (signal.aborted) throw aborted();
        if (error instanceof HttpRequestError) throw error;
        throw new HttpNetworkError(`${redactUrl(url, secret)}: ${describeNetworkError(error)}`, {
          cause: error,
        });
      }
      const location = response.headers.location;
      if (!REDIRECTS.has(response.status) || typeof location !== "string") return response;
      if (hop >= this.#maxRedirects) {
        throw new TooManyRedirectsError(
          `${redactUrl(url, secret)}: more than ${this.#maxRedirects} redirect(s)`,
        );
      }
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new InvalidTargetError(`${redactUrl(url, secret)}: redirect to an invalid location`);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        throw new InvalidTargetError(
          `${redactUrl(url, secret)}: redirect to a ${next.protocol} URL refused`,
        );
      }
      if (next.origin !== url.origin) for (const name of sensitive) delete headers[name];
      if (response.status === 303) {
        method = "GET";
        body = undefined;
        delete headers["content-type"];
      }
      url = next;
    }
  }

  /** Resolves the URL's host and checks every address; returns the one to connect to. */
  async #check(url: URL, secret: boolean, signal: AbortSignal): Promise<ResolvedAddress> {
    const host = bareHost(url.hostname);
    const literal = isIP(host);
    let addresses: readonly ResolvedAddress[];
    if (literal !== 0) addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
    else {
      try {
        addresses = await raceAbort(this.#resolve(host), signal);
      } catch (error) {
        if (signal.aborted) throw error;
        throw new HttpNetworkError(
          `${redactUrl(url, secret)}: cannot resolve ${host}: ${describeNetworkError(error)}`,
          { cause: error },
        );
      }
    }
    const first = addresses[0];
    if (first === undefined) {
      throw new HttpNetworkError(`${redactUrl(url, secret)}: ${host} resolves to no address`);
    }
    for (const { address } of addresses) {
      const refusal = this.#policy.refusal(host, address);
      if (refusal !== null) throw new TargetRefusedError(`${redactUrl(url, secret)}: ${refusal}`);
    }
    return first;
  }

  #exchange(
    url: URL,
    target: ResolvedAddress,
    method: string,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
    signal: AbortSignal,
    redirects: number,
    secret: boolean,
  ): Promise<HttpResponse> {
    const host = bareHost(url.hostname);
    const tls = url.protocol === "https:";
    const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
    const options: https.RequestOptions = {
      host: target.address,
      family: target.family,
      port: url.port === "" ? (tls ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method,
      headers: {
        ...headers,
        host: url.host,
        ...(payload !== undefined ? { "content-length": String(payload.length) } : {}),
      },
      agent: false,
      signal,
    };
    if (tls && isIP(host) === 0) options.servername = host;
    const maxBytes = this.#maxBytes;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        reject(error);
      };
      const req = (tls ? https : http).request(options, (res) => {
        const status = res.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          resolve({
            status,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
            truncated,
            url: redactUrl(url, secret),
            redirects,
          });
        };
        if (REDIRECTS.has(status) && typeof res.headers.location === "string") {
          finish();
          res.destroy();
          return;
        }
        res.on("data", (chunk: Buffer) => {
          if (settled) return;
          const room = maxBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            size = maxBytes;
            truncated = true;
            finish();
            res.destroy();
            return;
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on("end", finish);
        res.on("error", fail);
        res.on("close", () => {
          if (!res.complete) fail(new Error("connection closed before the response was complete"));
          else finish();
        });
      });
      req.on("error", fail);
      req.end(payload);
    });
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

function parseTarget(input: string | URL, secret: boolean): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new InvalidTargetError("not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidTargetError(`${url.protocol} URLs are not supported: use http or https`);
  }
  if (url.username !== "" || url.password !== "") {
    throw new InvalidTargetError(
      `${redactUrl(url, secret)}: credentials in the URL are not supported`,
    );
  }
  return url;
}

function bareHost(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code} (${error.message})` : error.message;
  }
  return String(error);
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Connecting to NATS for the JetStream source and the KV checkpoint store: servers,
 * credentials (user and password, token, or a `.creds` file), TLS and reconnection,
 * and a watcher that turns the connection's status events into a `SourceStatus`.
 * Secrets are passed in resolved; they never appear in errors or descriptions.
 */
import { readFile } from "node:fs/promises";
import type { ConnectionOptions, NatsConnection } from "@nats-io/transport-node";
import type { SourceStatus } from "../../engine/index.js";
import { natsTransport } from "./nats-library.js";

/** Where and how to connect to NATS. */
export interface NatsConnectionOptions {
  /** `host:port` or `nats://host:port`, one or several. Default `127.0.0.1:4222`. */
  readonly servers?: string | readonly string[];
  /** User name and password (give both), or… */
  readonly user?: string;
  readonly pass?: string;
  /** …a token, or… */
  readonly token?: string;
  /** …a `.creds` file (JWT and NKey seed), read when connecting. */
  readonly credsFile?: string;
  /** TLS: `true` for the system's trusted CAs, or files (PEM). */
  readonly tls?: boolean | NatsTlsOptions;
  /** Connection name shown by the server (`nats server report connections`). */
  readonly name?: string;
  /** First wait between reconnection attempts, ms (the client adds jitter). Default 2000. */
  readonly reconnectWaitMs?: number;
  /** Give up reconnecting after this many attempts; -1 (default) never gives up. */
  readonly maxReconnectAttempts?: number;
  /** Time allowed to establish the first connection, ms. Default 10,000. */
  readonly connectTimeoutMs?: number;
}

/** TLS files for NATS (paths to PEM files). */
export interface NatsTlsOptions {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** Start TLS before the NATS handshake (server option `handshake_first`). */
  readonly handshakeFirst?: boolean;
}

/** The servers of `options` as a list, for connection and for messages. */
export function natsServers(options: NatsConnectionOptions): string[] {
  const servers = options.servers ?? "127.0.0.1:4222";
  return typeof servers === "string" ? [servers] : [...servers];
}

/**
 * Connects with `options`. Rejects with an error naming the servers (and `what`
 * the connection is for) when the first connection fails; after that, the client
 * reconnects on its own with backoff.
 */
export async function connectNats(
  options: NatsConnectionOptions,
  what: string,
): Promise<NatsConnection> {
  const servers = natsServers(options);
  const connection: ConnectionOptions = {
    servers,
    reconnectTimeWait: options.reconnectWaitMs ?? 2000,
    maxReconnectAttempts: options.maxReconnectAttempts ?? -1,
    timeout: options.connectTimeoutMs ?? 10_000,
    ...(options.name ? { name: options.name } : {}),
  };
  if ((options.user === undefined) !== (options.pass === undefined)) {
    throw new TypeError(`${what}: give both user and pass for NATS, or neither`);
  }
  if (options.user !== undefined) {
    connection.user = options.user;
    connection.pass = options.pass!;
  }
  if (options.token !== undefined) connection.token = options.token;
  if (options.credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = await readFile(options.credsFile);
    } catch (error) {
      throw new Error(`${what}: cannot read the NATS credentials file ${options.credsFile}`, {
        cause: error,
      });
    }
    connection.authenticator = natsTransport().credsAuthenticator(creds);
  }
  if (options.tls) {
    connection.tls = options.tls === true ? {} : { ...options.tls };
  }
  try {
    return await natsTransport().connect(connection);
  } catch (error) {
    throw new Error(
      `${what}: cannot connect to NATS at ${servers.join(", ")}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Follows a connection's status events: `connected` until a disconnect,
 * `reconnecting` (with the reason) until it is back, `closed` once it is closed.
 */
export class NatsConnectionWatch {
  #state: SourceStatus["state"] = "connected";
  #detail: string | undefined;

  constructor(connection: NatsConnection) {
    void this.#follow(connection);
  }

  async #follow(connection: NatsConnection): Promise<void> {
    try {
      for await (const status of connection.status()) {
        switch (status.type) {
          case "disconnect":
            this.#state = "reconnecting";
            this.#detail = `disconnected from ${status.server}`;
            break;
          case "reconnecting":
            this.#state = "reconnecting";
            break;
          case "reconnect":
            this.#state = "connected";
            this.#detail = undefined;
            break;
          case "error":
            this.#detail = status.error.message;
            break;
          case "close":
            this.#state = "closed";
            break;
          default:
            break;
        }
      }
    } catch {
      // The iterator ends when the connection closes.
    }
    this.#state = "closed";
  }

  /** The state, and the last error or disconnect for `reconnecting`. */
  status(lag: number | null): SourceStatus {
    return (this.#state === "reconnecting" || this.#state === "error") && this.#detail !== undefined
      ? { state: this.#state, detail: this.#detail, lag }
      : { state: this.#state, lag };
  }

  /** Marks the connection as failed (an error the client will not recover from). */
  fail(message: string): void {
    this.#state = "error";
    this.#detail = message;
  }

  /** The failure given to {@link fail}, if any. */
  get failure(): string | undefined {
    return this.#state === "error" ? this.#detail : undefined;
  }
}

/**
 * The NATS client packages, loaded by the first NATS connection, source, publisher or
 * KV store (see `lazy-library.ts`). They are CommonJS packages, so each loads at once,
 * on the spot: constructors and plain functions can use them.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

type Transport = typeof import("@nats-io/transport-node");
type JetStream = typeof import("@nats-io/jetstream");
type Kv = typeof import("@nats-io/kv");

let transport: Transport | undefined;
let jetStream: JetStream | undefined;
let kv: Kv | undefined;

/** `@nats-io/transport-node`. */
export function natsTransport(): Transport {
  transport ??= require("@nats-io/transport-node") as Transport;
  return transport;
}

/** `@nats-io/jetstream`. */
export function natsJetStream(): JetStream {
  jetStream ??= require("@nats-io/jetstream") as JetStream;
  return jetStream;
}

/** `@nats-io/kv`. */
export function natsKv(): Kv {
  kv ??= require("@nats-io/kv") as Kv;
  return kv;
}

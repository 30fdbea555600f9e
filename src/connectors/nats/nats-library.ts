/**
 * The NATS client packages, loaded by the first NATS connection, source, publisher or
 * KV store that needs each (see `lazy-library.ts`).
 */
import { lazyRequire } from "../lazy-library.js";

export const natsTransport =
  lazyRequire<typeof import("@nats-io/transport-node")>("@nats-io/transport-node");
export const natsJetStream = lazyRequire<typeof import("@nats-io/jetstream")>("@nats-io/jetstream");
export const natsKv = lazyRequire<typeof import("@nats-io/kv")>("@nats-io/kv");

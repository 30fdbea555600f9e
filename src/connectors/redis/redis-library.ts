/**
 * ioredis, loaded by the first Redis client made (see `lazy-library.ts`). It is a
 * CommonJS package, so it loads at once, on the spot: constructors can use it.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

type IoRedis = typeof import("ioredis");
let loaded: IoRedis | undefined;

/** The `ioredis` module. */
export function redisLibrary(): IoRedis {
  loaded ??= require("ioredis") as IoRedis;
  return loaded;
}

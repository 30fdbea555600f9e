/** ioredis, loaded by the first Redis client made (see `lazy-library.ts`). */
import { lazyRequire } from "../lazy-library.js";

export const redisLibrary = lazyRequire<typeof import("ioredis")>("ioredis");

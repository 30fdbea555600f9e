/**
 * The Redis connector: an exactly-once sink keeping the latest record per key as a
 * hash with a TTL and a capped stream of every record, for live dashboards.
 */
export { APPLY_EPOCH_SCRIPT } from "./apply-epoch-script.js";
export { isTransientRedisError, RedisSinkError } from "./errors.js";
export { RedisSink, type RedisSinkOptions, type RedisSinkProgress } from "./redis-sink.js";
export { redisLibrary } from "./redis-library.js";

/**
 * The Redis connector's named error, and which Redis failures are worth a retry.
 */
import { isSocketError } from "../retry.js";

/**
 * A Redis sink could not do its work. The message names the sink's state key or the
 * key at fault; `cause` is the `ioredis` error. After it the writer is unusable: the
 * job fails and resumes from its last checkpoint when restarted.
 */
export class RedisSinkError extends Error {
  override readonly name = "RedisSinkError";
}

/** Error replies that mean "not now" rather than "never". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN|READONLY)\b/;

/**
 * `true` when an `ioredis` error is transient: the connection was lost, refused or
 * closed while the command waited, the client gave up reconnecting for this command
 * (`MaxRetriesPerRequestError`), or the server answered LOADING, BUSY, TRYAGAIN,
 * MASTERDOWN, CLUSTERDOWN or READONLY. Other error replies (WRONGTYPE, OOM, a script
 * error) are not.
 */
export function isTransientRedisError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "ReplyError") return TRANSIENT_REPLY.test(error.message);
  return (
    error.name === "MaxRetriesPerRequestError" ||
    isSocketError(error) ||
    /Connection is closed|Stream isn't writeable|connect ETIMEDOUT/i.test(error.message)
  );
}

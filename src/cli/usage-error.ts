/**
 * The error a command throws when it was called with bad arguments.
 */

/**
 * Bad command-line usage: an unknown command or option, a missing or malformed value.
 * `millstream` prints the message on one line with a hint to the help and exits with
 * code 2, without a stack trace.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** True for the errors `node:util` `parseArgs` throws for bad arguments. */
export function isParseArgsError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    "code" in error &&
    typeof error.code === "string" &&
    error.code.startsWith("ERR_PARSE_ARGS_")
  );
}

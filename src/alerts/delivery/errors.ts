/**
 * The errors of the delivery outbox. Each names the outbox file.
 */

/** The outbox file cannot be opened, migrated, read or written. */
export class OutboxError extends Error {
  override readonly name: string = "OutboxError";
  constructor(
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`outbox ${path}: ${message}`, options);
  }
}

/** The outbox was written by a newer millstream (its schema version is higher). */
export class OutboxSchemaError extends OutboxError {
  override readonly name = "OutboxSchemaError";
}

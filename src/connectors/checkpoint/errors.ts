/**
 * The checkpoint stores' named errors. Each sets `name`, carries a message naming the
 * store, the job and the checkpoint id where there is one, and accepts a `cause`.
 */

/** A checkpoint store could not open, read or write its storage. */
export class CheckpointStoreError extends Error {
  override readonly name: string = "CheckpointStoreError";
}

/**
 * A commit's id does not follow the job's latest committed checkpoint (the next id is
 * the latest plus one, or 1 for a job without checkpoints). Two processes writing one
 * job's checkpoints cause this. `expected` is the id the store would have accepted.
 */
export class CheckpointSequenceError extends CheckpointStoreError {
  override readonly name = "CheckpointSequenceError";
  readonly job: string;
  readonly id: number;
  readonly expected: number;

  constructor(
    job: string,
    id: number,
    expected: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.job = job;
    this.id = id;
    this.expected = expected;
  }
}

/**
 * The `CheckpointSequenceError` of a store (`description`) refusing checkpoint `id` of
 * `job` when the job's latest committed checkpoint is `latest` (0: none).
 */
export function outOfSequence(
  description: string,
  job: string,
  id: number,
  latest: number,
): CheckpointSequenceError {
  const why =
    latest === 0
      ? `job ${JSON.stringify(job)} has no checkpoint, so the first id must be 1`
      : `the latest committed checkpoint is ${latest}, so the next id must be ${latest + 1} (is another process writing this job's checkpoints?)`;
  return new CheckpointSequenceError(
    job,
    id,
    latest + 1,
    `${description}: checkpoint ${id} of job ${JSON.stringify(job)} rejected: ${why}`,
  );
}

/** A commit was given data the store cannot keep: a bad id, partition or a duplicated key. */
export class InvalidCheckpointError extends CheckpointStoreError {
  override readonly name = "InvalidCheckpointError";
}

/**
 * The storage was written by a newer millstream (its schema version is higher than the
 * ones this version knows), so it is left untouched.
 */
export class CheckpointSchemaError extends CheckpointStoreError {
  override readonly name = "CheckpointSchemaError";
}

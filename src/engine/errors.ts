/**
 * The engine's named errors. Each sets `name`, carries a message that says what
 * was wrong and where, and accepts a `cause`.
 */

/** A pipeline definition is invalid: duplicate step names, bad window sizes, … */
export class PipelineDefinitionError extends Error {
  override readonly name = "PipelineDefinitionError";
}

/** A job was used in a way its state does not allow (run twice, restored late, …). */
export class JobStateError extends Error {
  override readonly name = "JobStateError";
}

/** A source, sink or operator failed while the job ran; `step` names it. */
export class StepFailedError extends Error {
  override readonly name = "StepFailedError";
  readonly step: string;

  constructor(step: string, message: string, options?: { cause?: unknown }) {
    super(`step "${step}": ${message}`, options);
    this.step = step;
  }
}

/** A snapshot could not be restored: it is for another step or is malformed. */
export class SnapshotError extends Error {
  override readonly name = "SnapshotError";
}

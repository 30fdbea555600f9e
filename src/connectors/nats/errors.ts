/**
 * Named errors of the NATS connectors. Messages name the stream, the consumer or the
 * bucket they are about, never a credential.
 */

/**
 * The JetStream source cannot go on: its stream is missing (and was not to be
 * created), a consumer could not be created or was deleted under it, or the server
 * refused a request.
 */
export class NatsSourceError extends Error {
  override readonly name = "NatsSourceError";
  /** The stream the source reads. */
  readonly stream: string;

  constructor(stream: string, message: string, options?: { cause?: unknown }) {
    super(`NATS stream ${stream}: ${message}`, options);
    this.stream = stream;
  }
}

/**
 * Named errors of the Kafka connector. Messages name the topics and brokers, never a
 * credential.
 */

/** The Kafka source could not start or go on: a topic is missing, a position is invalid, the consumer failed. */
export class KafkaSourceError extends Error {
  override readonly name = "KafkaSourceError";
  /** The topics the source reads, comma-separated. */
  readonly topics: string;

  constructor(topics: string, message: string, options?: { cause?: unknown }) {
    super(`Kafka ${topics}: ${message}`, options);
    this.topics = topics;
  }
}

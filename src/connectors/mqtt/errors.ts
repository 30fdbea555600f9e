/**
 * Named errors of the MQTT connector. Messages name the broker (its URL without a
 * password) and never a credential.
 */

/** The MQTT source could not connect, subscribe or read TLS files. */
export class MqttSourceError extends Error {
  override readonly name = "MqttSourceError";
  /** The broker URL, without a password. */
  readonly broker: string;

  constructor(broker: string, message: string, options?: { cause?: unknown }) {
    super(`MQTT ${broker}: ${message}`, options);
    this.broker = broker;
  }
}

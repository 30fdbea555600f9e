/**
 * MQTT connectors: the MQTT source (see docs/connectors-mqtt.md).
 */
export { MqttSourceError } from "./errors.js";
export {
  checkTopicFilter,
  MqttSource,
  type MqttSourceOptions,
  type MqttTlsOptions,
} from "./mqtt-source.js";

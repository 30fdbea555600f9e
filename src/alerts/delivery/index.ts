/**
 * Notification delivery: the durable outbox, its engine sink, and the dispatcher.
 */
export { type DeliveryConfig, deliveryConfigSchema } from "./delivery-config.js";
export {
  type DispatchEvent,
  Dispatcher,
  type DispatcherOptions,
  type DispatcherStats,
} from "./dispatcher.js";
export { OutboxError, OutboxSchemaError } from "./errors.js";
export {
  type DueEntry,
  OUTBOX_SCHEMA_VERSION,
  Outbox,
  type OutboxOptions,
  type OutboxRecord,
  type OutboxStats,
  type OutboxStatus,
  type StagedRow,
} from "./outbox.js";
export { OutboxSink, type OutboxSinkOptions, type OutboxSinkProgress } from "./outbox-sink.js";
export {
  checkRetryPolicy,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryDelay,
} from "./retry-policy.js";

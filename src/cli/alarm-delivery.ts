/**
 * Notification delivery for `millstream run`: when the configuration names alarm
 * channels, notifications go to the durable outbox (published with each checkpoint)
 * and a dispatcher in this process delivers them, woken by each publication; by
 * default a notification asks for an early checkpoint, so it is sent within about a
 * checkpoint's duration instead of waiting for the interval. Without channels they
 * are written as JSONL like the other outputs, so nothing is sent by accident.
 */
import path from "node:path";
import { type Channel, type ChannelsConfig, createChannels } from "../alerts/channels/index.js";
import { type DeliveryConfig, Dispatcher, Outbox, OutboxSink } from "../alerts/delivery/index.js";
import type { Notification } from "../alerts/notification.js";
import type { Sink } from "../engine/index.js";

/** The part of `pipeline.alarms` that delivery needs. */
interface AlarmDeliverySettings {
  readonly channels?: ChannelsConfig;
  readonly delivery?: DeliveryConfig;
}

/** The outbox's counts when delivery stopped. */
export interface DeliverySummary {
  readonly pending: number;
  readonly delivered: number;
  readonly dead: number;
}

/** A running delivery: the notifications sink to give the pipeline, and how to stop it. */
export interface AlarmDelivery {
  readonly sink: Sink<Notification>;
  readonly description: string;
  start(): void;
  /**
   * Stops delivering. With `drainMs`, first waits up to that long for the pending
   * notifications to be delivered (a finite run that finished); what is left stays
   * in the outbox for the next start.
   */
  stop(drainMs?: number): Promise<DeliverySummary>;
}

/** The channels of the `pipeline.alarms` settings of `file`, or `null` when it names none. */
function deliveryChannels(
  file: string,
  alarms: unknown,
): {
  readonly settings: AlarmDeliverySettings;
  readonly channels: Map<string, Channel>;
  readonly outboxPath: string;
} | null {
  const settings = (alarms ?? {}) as AlarmDeliverySettings;
  if (!settings.channels || Object.keys(settings.channels).length === 0) return null;
  const baseDir = path.dirname(path.resolve(file));
  const channels: Map<string, Channel> = createChannels(settings.channels, {
    file,
    path: "pipeline.alarms.channels",
    baseDir,
  });
  const outboxPath = path.resolve(baseDir, settings.delivery?.outbox ?? "state/outbox.db");
  return { settings, channels, outboxPath };
}

/**
 * Checks the delivery settings as `alarmDelivery` would use them, without opening the
 * outbox: its description, or `null` when they name no channels. Throws
 * `ChannelConfigError` (naming file and field) for a bad secret.
 */
export async function checkAlarmDelivery(file: string, alarms: unknown): Promise<string | null> {
  const found = deliveryChannels(file, alarms);
  if (found === null) return null;
  await Promise.all([...found.channels.values()].map((c) => c.close()));
  return describeDelivery(found.outboxPath, found.channels);
}

function describeDelivery(outbox: string, channels: Map<string, Channel>): string {
  return `outbox ${outbox}, channels ${[...channels.keys()].join(", ")}`;
}

/**
 * Delivery from the `pipeline.alarms` settings of `file`, or `null` when it names no
 * channels. Throws `ChannelConfigError` (naming file and field) for a bad secret.
 */
export function alarmDelivery(file: string, alarms: unknown): AlarmDelivery | null {
  const found = deliveryChannels(file, alarms);
  if (found === null) return null;
  const { settings, channels } = found;
  const delivery = settings.delivery;
  const outbox = new Outbox({ path: found.outboxPath });
  const dispatcher = new Dispatcher({
    outbox,
    channels,
    ...(delivery
      ? {
          concurrency: delivery.concurrency,
          attemptTimeoutMs: delivery.attemptTimeoutMs,
          pollIntervalMs: delivery.pollIntervalMs,
          stopTimeoutMs: delivery.stopTimeoutMs,
          retainDeliveredMs: delivery.retainDeliveredMs,
          retry: delivery.retry,
        }
      : {}),
  });
  const early = delivery?.earlyCheckpoint ?? { enabled: true, minPriority: 0 };
  return {
    sink: new OutboxSink({
      outbox,
      ...(early.enabled ? { earlyCheckpoint: { minPriority: early.minPriority } } : {}),
    }),
    description: describeDelivery(outbox.path, channels),
    start: () => dispatcher.start(),
    async stop(drainMs = 0) {
      const until = Date.now() + drainMs;
      while (Date.now() < until && outbox.stats().pending > 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await dispatcher.stop();
      const { pending, delivered, dead } = outbox.stats();
      await Promise.all([...channels.values()].map((c) => c.close()));
      outbox.close();
      return { pending, delivered, dead };
    },
  };
}

/**
 * The `alarms:` section of the configuration (under `pipeline:`): lifecycle,
 * priority rules, channels, routes, grouping, rate limits, dashboard links and
 * delivery. Every field is optional and takes its default from alarm management
 * (docs/alarms.md). Unknown fields are errors; so are a route naming a channel that
 * is not configured and a rate limit for one.
 */
import { z } from "zod";
import { SEVERITIES } from "../../alerts/alarm-signal.js";
import { channelsConfigSchema } from "../../alerts/channels/channel-config.js";
import { deliveryConfigSchema } from "../../alerts/delivery/delivery-config.js";
import { matcherSchema } from "../../alerts/matcher-schema.js";
import type { AlarmSeverity, NotificationEvent } from "../../alerts/notification.js";
import {
  CHANNEL_TYPES,
  defaultChannels,
  NOTIFICATION_EVENTS,
} from "../../alerts/routing/route-config.js";

const positive = z.number().positive().finite();
const nonNegative = z.number().min(0).finite();
const name = z.string().min(1);
const event = z.enum(NOTIFICATION_EVENTS as [NotificationEvent, ...NotificationEvent[]]);
const channelType = z.enum(CHANNEL_TYPES);

const lifecycle = z.strictObject({
  clearAfterMs: positive.optional(),
  clearAfterMsByType: z.record(name, positive).optional(),
  deescalateAfterMs: positive.nullable().optional(),
  reAlarmOnEscalation: z.boolean().optional(),
  clearAtEndOfInput: z.boolean().optional(),
  flapping: z
    .strictObject({
      enabled: z.boolean().optional(),
      transitions: z.number().int().min(2).optional(),
      windowMs: positive.optional(),
    })
    .optional(),
});

const severityPoints = z.strictObject(
  Object.fromEntries(SEVERITIES.map((s) => [s, z.number().finite().optional()])) as Record<
    AlarmSeverity,
    z.ZodOptional<z.ZodNumber>
  >,
);

const priority = z.strictObject({
  scoreFactor: z.number().finite().optional(),
  severityPoints: severityPoints.optional(),
  rules: z
    .array(
      z
        .strictObject({
          match: matcherSchema.default({}),
          set: z.number().finite().optional(),
          multiply: z.number().finite().optional(),
          add: z.number().finite().optional(),
        })
        .refine((r) => r.set !== undefined || r.multiply !== undefined || r.add !== undefined, {
          message: "expected at least one of set, multiply, add",
        }),
    )
    .optional(),
  max: z.number().min(0).max(100).optional(),
});

const grouping = {
  groupBy: z.array(name).optional(),
  groupWaitMs: nonNegative.optional(),
  groupIntervalMs: positive.optional(),
  repeatIntervalMs: positive.optional(),
};

const route = z.strictObject({
  name,
  match: matcherSchema.optional(),
  channels: z.array(name).optional(),
  channelTypes: z.array(channelType).optional(),
  allChannels: z.boolean().optional(),
  continue: z.boolean().optional(),
  notifyOn: z.array(event).min(1).optional(),
  ...grouping,
});

const rateLimit = z.strictObject({
  max: z.number().int().min(1),
  perMs: positive,
  maxQueued: z.number().int().min(0).optional(),
});

/**
 * `pipeline.alarms.monitor`: alarms on the pipeline itself (`JobMonitorSource`), raised
 * in the alarm job from samples of the plant job; `false` turns them off.
 */
const monitor = z.union([
  z.literal(false),
  z.strictObject({
    intervalMs: positive.optional(),
    maxBusyShare: z.number().gt(0).max(1).optional(),
    maxWatermarkLagMs: positive.optional(),
    maxCheckpointAgeMs: positive.optional(),
    maxHeapShare: z.number().gt(0).max(1).optional(),
    maxRssBytes: positive.nullable().optional(),
  }),
]);

/** The `pipeline.alarms` section. */
export const alertsConfigSchema = z
  .strictObject({
    lifecycle: lifecycle.optional(),
    priority: priority.optional(),
    channels: channelsConfigSchema.optional(),
    routes: z.array(route).min(1).optional(),
    grouping: z.strictObject(grouping).optional(),
    rateLimits: z.record(name, rateLimit).optional(),
    dashboardUrl: z
      .string()
      .regex(
        /^https?:\/\/\S+$/,
        "expected an http(s) URL template such as https://host/equipment/{equipment}",
      )
      .nullable()
      .optional(),
    excludeDetectors: z.array(name).optional(),
    delivery: deliveryConfigSchema.optional(),
    monitor: monitor.optional(),
  })
  .superRefine((c, ctx) => {
    const channels = Object.keys(c.channels ?? defaultChannels);
    const known = `one of the configured channels (${channels.join(", ") || "none"})`;
    const seen = new Set<string>();
    (c.routes ?? []).forEach((r, i) => {
      if (seen.has(r.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["routes", i, "name"],
          message: `duplicate route name "${r.name}"`,
        });
      }
      seen.add(r.name);
      (r.channels ?? []).forEach((ch, j) => {
        if (!channels.includes(ch)) {
          ctx.addIssue({
            code: "custom",
            path: ["routes", i, "channels", j],
            message: `expected ${known}`,
          });
        }
      });
    });
    for (const ch of Object.keys(c.rateLimits ?? {})) {
      if (!channels.includes(ch)) {
        ctx.addIssue({ code: "custom", path: ["rateLimits", ch], message: `expected ${known}` });
      }
    }
  });

/** A validated `pipeline.alarms` section (a `PlantAlarmsConfig` plus `delivery`). */
export type AlertsConfig = z.output<typeof alertsConfigSchema>;

/**
 * The configuration of notification delivery (`delivery:` next to `channels:`): the
 * outbox file, the dispatcher's concurrency, timeouts and retry policy, and whether
 * notifications ask for an early checkpoint.
 */
import { z } from "zod";
import { DEFAULT_RETRY_POLICY } from "./retry-policy.js";

const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(1000).default(DEFAULT_RETRY_POLICY.maxAttempts),
    initialDelayMs: z.number().int().min(0).default(DEFAULT_RETRY_POLICY.initialDelayMs),
    maxDelayMs: z.number().int().min(0).default(DEFAULT_RETRY_POLICY.maxDelayMs),
    multiplier: z.number().min(1).max(10).default(DEFAULT_RETRY_POLICY.multiplier),
    jitter: z.number().min(0).max(1).default(DEFAULT_RETRY_POLICY.jitter),
    maxRetryAfterMs: z.number().int().min(0).default(DEFAULT_RETRY_POLICY.maxRetryAfterMs),
  })
  .strict()
  .refine((r) => r.maxDelayMs >= r.initialDelayMs, {
    message: "maxDelayMs must be at least initialDelayMs",
    path: ["maxDelayMs"],
  });

/**
 * `delivery.earlyCheckpoint`: the pipeline asks for a checkpoint as soon as it writes a
 * notification of at least `minPriority`, so the dispatcher gets it without waiting
 * for the checkpoint interval (see `OutboxSink`).
 */
const earlyCheckpointSchema = z
  .object({
    enabled: z.boolean().default(true),
    minPriority: z.number().min(0).max(100).default(0),
  })
  .strict();

/** `delivery:`. `outbox` is a file path, relative to the configuration file's folder. */
export const deliveryConfigSchema = z
  .object({
    outbox: z.string().min(1).default("state/outbox.db"),
    concurrency: z.number().int().min(1).max(256).default(4),
    attemptTimeoutMs: z.number().int().positive().max(600_000).default(30_000),
    pollIntervalMs: z.number().int().positive().max(60_000).default(500),
    stopTimeoutMs: z.number().int().min(0).max(600_000).default(10_000),
    retainDeliveredMs: z
      .number()
      .int()
      .positive()
      .default(7 * 24 * 3_600_000),
    retry: retrySchema.default({ ...DEFAULT_RETRY_POLICY }),
    earlyCheckpoint: earlyCheckpointSchema.default({ enabled: true, minPriority: 0 }),
  })
  .strict();

/** A validated `delivery:` section (defaults applied). */
export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;

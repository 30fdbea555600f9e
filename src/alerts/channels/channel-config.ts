/**
 * The configuration of notification channels: a zod schema per channel type, and
 * {@link channelsConfigSchema}, the `channels:` map (name → channel) that the alerts
 * configuration embeds. Secrets (webhook URLs, tokens, passwords, signing secrets)
 * are references, `env:NAME` or `file:path`, resolved when the channels are built,
 * never values in the file.
 */
import { z } from "zod";
import { isValidAllowEntry } from "./http/address-policy.js";
import { SECRET_REFERENCE } from "./secret.js";

const secretRef = z
  .string()
  .regex(
    SECRET_REFERENCE,
    "expected a secret reference, env:NAME or file:/path (secret values are never written in the configuration)",
  );

const httpUrl = z.string().refine((s) => {
  try {
    const u = new URL(s);
    return (
      (u.protocol === "http:" || u.protocol === "https:") && u.username === "" && u.password === ""
    );
  } catch {
    return false;
  }
}, "expected an http(s) URL without credentials");

/** The SSRF policy of an HTTP channel. */
export const networkSchema = z
  .object({
    allowPrivateNetworks: z.boolean().default(false),
    allow: z
      .array(
        z
          .string()
          .refine(isValidAllowEntry, "expected a host name, *.domain, an IP address or a CIDR"),
      )
      .default([]),
  })
  .strict();

/** Options every HTTP channel (Slack, SMS, PagerDuty, webhook) takes. */
const httpOptions = {
  /** Whole exchange, redirects included. */
  timeoutMs: z.number().int().positive().max(300_000).default(10_000),
  maxResponseBytes: z
    .number()
    .int()
    .positive()
    .max(16 * 1024 * 1024)
    .default(65_536),
  maxRedirects: z.number().int().min(0).max(10).default(3),
  network: networkSchema.default({ allowPrivateNetworks: false, allow: [] }),
};

/** `type: slack`: an incoming webhook. */
export const slackChannelSchema = z
  .object({
    type: z.literal("slack"),
    /** The webhook URL is a secret: a reference. */
    url: secretRef,
    maxAlarms: z.number().int().min(1).max(20).default(10),
    ...httpOptions,
  })
  .strict();

const emailAddress = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, "expected an e-mail address");

/** `type: email`: SMTP. */
export const emailChannelSchema = z
  .object({
    type: z.literal("email"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).optional(),
    secure: z.boolean().default(false),
    requireTLS: z.boolean().default(false),
    user: z.string().min(1).optional(),
    password: secretRef.optional(),
    from: z
      .string()
      .regex(
        /^([^<>]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
        "expected an e-mail address, optionally `Name <address>`",
      ),
    to: z.array(emailAddress).min(1),
    cc: z.array(emailAddress).optional(),
    subjectPrefix: z.string().default(""),
    timeoutMs: z.number().int().positive().max(300_000).default(10_000),
  })
  .strict()
  .refine((c) => c.password === undefined || c.user !== undefined, {
    message: "password given without user",
    path: ["user"],
  });

const e164 = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, "expected a phone number in E.164 form, e.g. +14155550100");

/** `type: sms`: a Twilio-compatible gateway. */
export const smsChannelSchema = z
  .object({
    type: z.literal("sms"),
    baseUrl: httpUrl.default("https://api.twilio.com"),
    accountSid: z
      .string()
      .regex(/^[A-Za-z0-9]{2,64}$/, "expected an account SID (letters and digits)"),
    authToken: secretRef,
    from: e164.optional(),
    messagingServiceSid: z.string().min(1).optional(),
    to: z.array(e164).min(1),
    maxLength: z.number().int().min(70).max(1600).default(1600),
    ...httpOptions,
  })
  .strict()
  .refine((c) => (c.from === undefined) !== (c.messagingServiceSid === undefined), {
    message: "give either from or messagingServiceSid",
    path: ["from"],
  });

/** `type: pagerduty`: Events API v2. */
export const pagerDutyChannelSchema = z
  .object({
    type: z.literal("pagerduty"),
    routingKey: secretRef,
    url: httpUrl.default("https://events.pagerduty.com/v2/enqueue"),
    dedupKey: z.enum(["group", "alarm"]).default("group"),
    client: z.string().min(1).default("millstream"),
    ...httpOptions,
  })
  .strict();

/** `type: webhook`: Standard Webhooks. */
export const webhookChannelSchema = z
  .object({
    type: z.literal("webhook"),
    url: httpUrl,
    /** `whsec_…`, as a reference. */
    secret: secretRef,
    /** Extra headers; values are literal or secret references (`env:`/`file:`). */
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]+$/, "expected a header name"), z.string())
      .default({}),
    ...httpOptions,
  })
  .strict();

/** One channel, by `type`. */
export const channelConfigSchema = z.discriminatedUnion("type", [
  slackChannelSchema,
  emailChannelSchema,
  smsChannelSchema,
  pagerDutyChannelSchema,
  webhookChannelSchema,
]);

/** The `channels:` map: channel name (what routes and `Notification.channel` use) → channel. */
export const channelsConfigSchema = z.record(
  z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "expected a channel name: letters, digits, _ . -"),
  channelConfigSchema,
);

export type SlackChannelConfig = z.infer<typeof slackChannelSchema>;
export type EmailChannelConfig = z.infer<typeof emailChannelSchema>;
export type SmsChannelConfig = z.infer<typeof smsChannelSchema>;
export type PagerDutyChannelConfig = z.infer<typeof pagerDutyChannelSchema>;
export type WebhookChannelConfig = z.infer<typeof webhookChannelSchema>;
/** A validated channel configuration (defaults applied). */
export type ChannelConfig = z.infer<typeof channelConfigSchema>;
/** A validated `channels:` map. */
export type ChannelsConfig = z.infer<typeof channelsConfigSchema>;

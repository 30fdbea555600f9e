/**
 * Notification channels: the `Channel` interface, its implementations (Slack,
 * e-mail, SMS, PagerDuty, Standard Webhooks), their configuration, and the guarded
 * HTTP client they share.
 */
export {
  type Channel,
  type ChannelKind,
  delivered,
  rejected,
  retry,
  type SendOptions,
  type SendResult,
} from "./channel.js";
export {
  type ChannelConfig,
  type ChannelsConfig,
  channelConfigSchema,
  channelsConfigSchema,
  type EmailChannelConfig,
  emailChannelSchema,
  networkSchema,
  type PagerDutyChannelConfig,
  pagerDutyChannelSchema,
  type SlackChannelConfig,
  type SmsChannelConfig,
  slackChannelSchema,
  smsChannelSchema,
  type WebhookChannelConfig,
  webhookChannelSchema,
} from "./channel-config.js";
export {
  ChannelConfigError,
  type CreateChannelsOptions,
  createChannel,
  createChannels,
} from "./create-channels.js";
export { EmailChannel, type EmailChannelOptions } from "./email/email-channel.js";
export {
  type AddressCategory,
  AddressPolicy,
  classifyAddress,
  type NetworkPolicy,
} from "./http/address-policy.js";
export * from "./http/errors.js";
export {
  GuardedHttpClient,
  type GuardedHttpOptions,
  type HttpRequest,
  type HttpResponse,
  type ResolvedAddress,
  type Resolver,
} from "./http/guarded-http-client.js";
export { parseRetryAfter } from "./http/http-outcome.js";
export {
  type NotificationSummary,
  summarize,
  summaryText,
} from "./message/notification-summary.js";
export { PagerDutyChannel, type PagerDutyChannelOptions } from "./pagerduty/pagerduty-channel.js";
export type { DedupKeyMode, PagerDutyAction } from "./pagerduty/pagerduty-event.js";
export { resolveSecret, Secret, SecretError, type SecretSource } from "./secret.js";
export { SlackChannel, type SlackChannelOptions } from "./slack/slack-channel.js";
export { SmsChannel, type SmsChannelOptions } from "./sms/sms-channel.js";
export {
  signWebhook,
  verifyWebhook,
  webhookKey,
  type WebhookVerification,
} from "./webhook/standard-webhooks.js";
export {
  WebhookChannel,
  type WebhookChannelOptions,
  type WebhookPayload,
} from "./webhook/webhook-channel.js";

/**
 * Builds running channels from a validated `channels:` configuration, reading
 * their secrets. Errors name the configuration file, the field and what was
 * expected, never a secret's value.
 */
import type { Channel } from "./channel.js";
import type { ChannelConfig, ChannelsConfig } from "./channel-config.js";
import { EmailChannel } from "./email/email-channel.js";
import type { GuardedHttpOptions, Resolver } from "./http/guarded-http-client.js";
import { PagerDutyChannel } from "./pagerduty/pagerduty-channel.js";
import { resolveSecret, type Secret, SecretError, type SecretSource } from "./secret.js";
import { SlackChannel } from "./slack/slack-channel.js";
import { SmsChannel } from "./sms/sms-channel.js";
import { WebhookChannel } from "./webhook/webhook-channel.js";

/** A channel configuration that cannot be used. */
export class ChannelConfigError extends Error {
  override readonly name = "ChannelConfigError";
}

/** Options of {@link createChannels}. */
export interface CreateChannelsOptions extends SecretSource {
  /** The configuration file, for messages. */
  readonly file?: string;
  /** Where the `channels` map sits in the file, for messages. Default `channels`. */
  readonly path?: string;
  /** Host name resolution of HTTP channels (tests). */
  readonly resolve?: Resolver;
}

/**
 * One running {@link Channel} per configured name. Throws a {@link ChannelConfigError}
 * (`<file>: <path>.<name>.<field>: <problem>`) when a secret cannot be read or is
 * malformed (a Slack URL that is not https, a webhook secret without `whsec_`).
 */
export function createChannels(
  config: ChannelsConfig,
  options: CreateChannelsOptions = {},
): Map<string, Channel> {
  const channels = new Map<string, Channel>();
  for (const [name, channel] of Object.entries(config)) {
    channels.set(name, createChannel(name, channel, options));
  }
  return channels;
}

/** Builds one channel; see {@link createChannels}. */
export function createChannel(
  name: string,
  config: ChannelConfig,
  options: CreateChannelsOptions = {},
): Channel {
  const where = (field: string) =>
    `${options.file ? `${options.file}: ` : ""}${options.path ?? "channels"}.${name}.${field}`;
  const secret = (field: string, reference: string): Secret => {
    try {
      return resolveSecret(reference, options);
    } catch (error) {
      if (error instanceof SecretError) {
        throw new ChannelConfigError(`${where(field)}: ${error.message}`);
      }
      throw error;
    }
  };
  const http = (c: {
    timeoutMs: number;
    maxResponseBytes: number;
    maxRedirects: number;
    network: { allowPrivateNetworks: boolean; allow: string[] };
  }): GuardedHttpOptions => ({
    timeoutMs: c.timeoutMs,
    maxResponseBytes: c.maxResponseBytes,
    maxRedirects: c.maxRedirects,
    network: c.network,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  switch (config.type) {
    case "slack": {
      const url = secret("url", config.url);
      if (!isHttpUrl(url.reveal())) {
        throw new ChannelConfigError(
          `${where("url")}: ${url.reference} does not hold an http(s) URL (expected https://hooks.slack.com/services/…)`,
        );
      }
      return new SlackChannel({ name, url, maxAlarms: config.maxAlarms, http: http(config) });
    }
    case "email":
      return new EmailChannel({
        name,
        host: config.host,
        ...(config.port !== undefined ? { port: config.port } : {}),
        secure: config.secure,
        requireTLS: config.requireTLS,
        ...(config.user !== undefined ? { user: config.user } : {}),
        ...(config.password !== undefined ? { password: secret("password", config.password) } : {}),
        from: config.from,
        to: config.to,
        ...(config.cc !== undefined ? { cc: config.cc } : {}),
        subjectPrefix: config.subjectPrefix,
        timeoutMs: config.timeoutMs,
      });
    case "sms":
      return new SmsChannel({
        name,
        baseUrl: config.baseUrl,
        accountSid: config.accountSid,
        authToken: secret("authToken", config.authToken),
        ...(config.from !== undefined ? { from: config.from } : {}),
        ...(config.messagingServiceSid !== undefined
          ? { messagingServiceSid: config.messagingServiceSid }
          : {}),
        to: config.to,
        maxLength: config.maxLength,
        http: http(config),
      });
    case "pagerduty":
      return new PagerDutyChannel({
        name,
        routingKey: secret("routingKey", config.routingKey),
        url: config.url,
        dedupKey: config.dedupKey,
        client: config.client,
        http: http(config),
      });
    case "webhook": {
      const signing = secret("secret", config.secret);
      const headers: Record<string, Secret | string> = {};
      for (const [header, value] of Object.entries(config.headers)) {
        headers[header] = /^(env|file):/.test(value) ? secret(`headers.${header}`, value) : value;
      }
      try {
        return new WebhookChannel({
          name,
          url: config.url,
          secret: signing,
          headers,
          http: http(config),
        });
      } catch (error) {
        throw new ChannelConfigError(
          `${where("secret")}: ${signing.reference}: ${(error as Error).message}`,
        );
      }
    }
  }
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/**
 * The Slack message of a notification: a Block Kit layout (header, event line, one
 * section per alarm with what, where, how bad, since when and value against
 * baseline, a dashboard button) and a plain `text` fallback for notifications.
 * Text from alarms is escaped, so a message cannot mention `@channel` or forge links.
 */
import type { Notification } from "../../notification.js";
import { type NotificationSummary, summarize } from "../message/notification-summary.js";

/** A Slack incoming-webhook payload. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly Record<string, unknown>[];
}

const EMOJI: Readonly<Record<string, string>> = {
  FIRING: ":rotating_light:",
  ESCALATED: ":arrow_double_up:",
  ACKNOWLEDGED: ":eyes:",
  RESOLVED: ":white_check_mark:",
};

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Builds the message; shows at most `maxAlarms` alarms (the rest are counted). */
export function buildSlackMessage(notification: Notification, maxAlarms = 10): SlackMessage {
  return render(summarize(notification), maxAlarms);
}

function render(summary: NotificationSummary, maxAlarms: number): SlackMessage {
  const emoji = EMOJI[summary.event] ?? ":bell:";
  const blocks: Record<string, unknown>[] = [
    {
      type: "header",
      text: { type: "plain_text", text: cut(`${summary.title}`, 150), emoji: true },
    },
    {
      type: "section",
      text: { type: "mrkdwn", text: cut(`${emoji} *${escapeMrkdwn(summary.eventLine)}*`, 3000) },
    },
  ];
  for (const alarm of summary.alarms.slice(0, maxAlarms)) {
    const field = (label: string, value: string) => ({
      type: "mrkdwn",
      text: cut(`*${label}*\n${escapeMrkdwn(value)}`, 2000),
    });
    const section: Record<string, unknown> = {
      type: "section",
      text: {
        type: "mrkdwn",
        text: cut(`*${escapeMrkdwn(alarm.headline)}*\n${escapeMrkdwn(alarm.what)}`, 3000),
      },
      fields: [
        field("Where", alarm.where),
        field("How bad", alarm.howBad),
        field("Since", alarm.since),
        field("Value", alarm.value),
        field("State", alarm.state),
      ],
    };
    if (alarm.link !== null && alarm.link.length <= 3000) {
      section.accessory = {
        type: "button",
        text: { type: "plain_text", text: cut(`Dashboard: ${alarm.subject}`, 75) },
        url: alarm.link,
      };
    }
    blocks.push(section, { type: "divider" });
  }
  const more = summary.alarms.length - maxAlarms;
  const context = [{ type: "mrkdwn", text: cut(escapeMrkdwn(summary.footer), 3000) }];
  if (more > 0) context.unshift({ type: "mrkdwn", text: `… and ${more} more alarm(s)` });
  if (summary.link !== null && summary.link.length <= 3000) {
    blocks.push({
      type: "actions",
      elements: [
        {
          type: "button",
          text: { type: "plain_text", text: "Open dashboard" },
          url: summary.link,
          ...(summary.event === "FIRING" || summary.event === "ESCALATED"
            ? { style: "danger" }
            : {}),
        },
      ],
    });
  }
  blocks.push({ type: "context", elements: context });
  const first = summary.alarms[0];
  const text = cut(
    escapeMrkdwn(
      first
        ? `${summary.title}: ${first.what} (${first.where}; ${first.howBad}; ${first.since}; value ${first.value})`
        : summary.title,
    ),
    3000,
  );
  return { text, blocks };
}

/**
 * The text of an SMS: short, but still what, where, how bad, since when, the value
 * against its baseline and the dashboard link, for the first alarm; a grouped
 * notification then names the other alarms' equipment and severity.
 */
import type { Notification } from "../../notification.js";
import { summarize } from "../message/notification-summary.js";

/** Twilio's limit for a message body, in characters. */
export const MAX_SMS_LENGTH = 1600;

/** The SMS body of `notification`, at most `maxLength` characters (the link is kept whole). */
export function smsText(notification: Notification, maxLength = MAX_SMS_LENGTH): string {
  const summary = summarize(notification);
  const first = summary.alarms[0];
  const link = first?.link ?? summary.link;
  const lines = [`${summary.event} ${summary.title}`];
  if (first) {
    lines.push(
      first.what,
      `${first.where}. ${first.howBad}.`,
      `${first.since}.`,
      `Value ${first.value}.`,
    );
  }
  const rest = summary.alarms.slice(1);
  if (rest.length > 0) {
    const named = rest.map((a) => `${a.subject} (${a.howBad.split(",")[0]})`).join(", ");
    lines.push(`+${rest.length} more: ${named}.`);
  }
  const tail = link ? `\n${link}` : "";
  const text = lines.join("\n");
  const room = maxLength - tail.length;
  if (room <= 1) return text.slice(0, maxLength);
  return `${text.length > room ? `${text.slice(0, room - 1)}…` : text}${tail}`;
}

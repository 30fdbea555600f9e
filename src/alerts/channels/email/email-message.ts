/**
 * The e-mail of a notification: subject, a plain-text part and an HTML part (a
 * table per alarm: what, where, how bad, since when, value against baseline, a
 * dashboard link), every alarm-supplied string HTML-escaped.
 */
import { createHash } from "node:crypto";
import type { Notification } from "../../notification.js";
import {
  type NotificationSummary,
  summarize,
  summaryText,
} from "../message/notification-summary.js";

/** What {@link buildEmail} produces. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const COLOURS: Readonly<Record<string, string>> = {
  CRITICAL: "#b91c1c",
  HIGH: "#c2410c",
  MEDIUM: "#a16207",
  LOW: "#1d4ed8",
};

/** Builds the subject, text and HTML; `subjectPrefix` goes before the title. */
export function buildEmail(
  notification: Notification,
  subjectPrefix = "",
  maxAlarms = 50,
): EmailContent {
  const summary = summarize(notification);
  return {
    subject: `${subjectPrefix}${summary.title}`.slice(0, 250),
    text: summaryText(summary, maxAlarms),
    html: html(summary, maxAlarms),
  };
}

function html(summary: NotificationSummary, maxAlarms: number): string {
  const colour = COLOURS[summary.severity] ?? "#374151";
  const row = (label: string, value: string) =>
    `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${label}</th><td style="padding:2px 0">${escapeHtml(value)}</td></tr>`;
  const parts = [
    '<!doctype html><html><body style="font-family:sans-serif;color:#111827">',
    `<h2 style="color:${colour};margin:0 0 4px">${escapeHtml(summary.title)}</h2>`,
    `<p style="margin:0 0 12px"><strong>${escapeHtml(summary.eventLine)}</strong></p>`,
  ];
  for (const a of summary.alarms.slice(0, maxAlarms)) {
    parts.push(
      `<h3 style="margin:12px 0 4px">${escapeHtml(a.headline)}</h3>`,
      '<table style="border-collapse:collapse">',
      row("What", a.what),
      row("Where", a.where),
      row("How bad", a.howBad),
      row("Since", a.since),
      row("Value", a.value),
      row("State", a.state),
      "</table>",
    );
    if (a.link) {
      parts.push(
        `<p style="margin:4px 0"><a href="${escapeHtml(a.link)}">Dashboard: ${escapeHtml(a.subject)}</a></p>`,
      );
    }
  }
  const more = summary.alarms.length - maxAlarms;
  if (more > 0) parts.push(`<p>… and ${more} more alarm(s)</p>`);
  if (summary.link && !summary.alarms.some((a) => a.link === summary.link)) {
    parts.push(`<p><a href="${escapeHtml(summary.link)}">Open dashboard</a></p>`);
  }
  parts.push(
    `<p style="color:#6b7280;font-size:12px;margin-top:16px">${escapeHtml(summary.footer)}</p>`,
    "</body></html>",
  );
  return parts.join("\n");
}

/**
 * A `Message-ID` derived from the notification id, so a message sent again after a
 * retry or restart carries the same id and mail systems can drop the duplicate.
 */
export function messageId(notificationId: string, domain: string): string {
  const local =
    /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(\.[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/.test(
      notificationId,
    ) && notificationId.length <= 64
      ? notificationId
      : createHash("sha256").update(notificationId).digest("hex").slice(0, 40);
  return `<${local}@${domain}>`;
}

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ChannelFixture,
  describeChannel,
  type ReceiverPlan,
} from "../channel-contract.case.js";
import { Secret } from "../secret.js";
import { closedPort } from "../testing/test-http-receiver.js";
import { sampleAlarm, sampleNotification } from "../testing/test-notifications.js";
import {
  type SmtpPlan,
  type SmtpReceiver,
  startSmtpReceiver,
} from "../testing/test-smtp-receiver.js";
import { EmailChannel, type EmailChannelOptions } from "./email-channel.js";
import { messageId } from "./email-message.js";

const port = await closedPort();
const signal = () => new AbortController().signal;

function channel(
  smtp: { host: string; port: number },
  overrides: Partial<EmailChannelOptions> = {},
) {
  return new EmailChannel({
    name: "email-oncall",
    host: smtp.host,
    port: smtp.port,
    from: "millstream <alarms@plant.example>",
    to: ["oncall@plant.example", "reliability@plant.example"],
    subjectPrefix: "[plant-a] ",
    timeoutMs: 3000,
    ...overrides,
  });
}

const PLANS: Record<ReceiverPlan, SmtpPlan> = {
  ok: "ok",
  transient: "transient",
  permanent: "permanent",
  "rate-limited": "transient",
  hang: "hang",
};

describeChannel("EmailChannel", async (): Promise<ChannelFixture> => {
  const smtp = await startSmtpReceiver();
  return {
    channel: channel(smtp),
    received: () =>
      smtp.messages.map((m) => ({
        key: m.headers["x-millstream-notification-id"],
        text: `${m.subject}\n${m.text}\n${m.html}`,
        accepted: m.accepted,
      })),
    queue: (...plans) => smtp.queue(...plans.map((p) => PLANS[p])),
    retryAfterSeconds: null,
    secrets: [],
    unreachable: () => channel({ host: "127.0.0.1", port }),
    cleanup: () => smtp.close(),
  };
});

async function withSmtp(body: (smtp: SmtpReceiver) => Promise<void>): Promise<void> {
  const smtp = await startSmtpReceiver();
  try {
    await body(smtp);
  } finally {
    await smtp.close();
  }
}

describe("EmailChannel (SMTP)", () => {
  it("sends subject, text and HTML parts, with a Message-ID derived from the notification id", async () => {
    await withSmtp(async (smtp) => {
      const email = channel(smtp, { cc: ["shift-lead@plant.example"] });
      try {
        const result = await email.send(sampleNotification(), {
          idempotencyKey: "ntf-0001",
          signal: signal(),
        });
        assert.equal(result.outcome, "delivered", JSON.stringify(result));
        const [mail] = smtp.messages;
        assert.ok(mail);
        assert.equal(mail.from, "alarms@plant.example");
        assert.deepEqual(mail.to, [
          "oncall@plant.example",
          "reliability@plant.example",
          "shift-lead@plant.example",
        ]);
        assert.equal(mail.subject, "[plant-a] [CRITICAL] z-score on TEMP-001 (OVEN-1, plant-a)");
        assert.equal(mail.headers["message-id"], "<ntf-0001@plant.example>");
        assert.equal(mail.headers["x-millstream-notification-id"], "ntf-0001");
        assert.equal(mail.headers["x-millstream-event"], "firing");
        assert.equal(mail.headers["x-priority"], "1 (Highest)");
        assert.match(mail.text, /Where: +sensor TEMP-001, equipment OVEN-1, facility plant-a/);
        assert.match(mail.text, /Value: +181\.2 against mean 72\.4, stddev 1\.25/);
        assert.match(mail.text, /Dashboard: https:\/\/dash\.plant\.example\/equipment\/OVEN-1/);
        assert.match(
          mail.html,
          /<th [^>]*>Since<\/th><td [^>]*>since 2026-11-01 08:14:03 UTC \(12 min\), last seen 2026-11-01 08:26:01 UTC<\/td>/,
        );
        assert.match(
          mail.html,
          /<a href="https:\/\/dash\.plant\.example\/equipment\/OVEN-1">Dashboard: OVEN-1<\/a>/,
        );
      } finally {
        await email.close();
      }
    });
  });

  it("escapes alarm text in the HTML part", async () => {
    await withSmtp(async (smtp) => {
      const email = channel(smtp);
      try {
        await email.send(
          sampleNotification({
            alarms: [sampleAlarm({ message: '<script>alert("x")</script> & <b>' })],
          }),
          { idempotencyKey: "n", signal: signal() },
        );
        const html = smtp.messages[0]?.html ?? "";
        assert.ok(!html.includes("<script>"), html);
        assert.ok(
          html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;"),
        );
      } finally {
        await email.close();
      }
    });
  });

  it("classifies SMTP replies: 451 retry, 550 rejected with the reply code", async () => {
    await withSmtp(async (smtp) => {
      const email = channel(smtp);
      try {
        smtp.queue("transient", "permanent");
        const transient = await email.send(sampleNotification(), {
          idempotencyKey: "a",
          signal: signal(),
        });
        assert.equal(transient.outcome, "retry");
        assert.equal(transient.outcome === "retry" ? transient.status : 0, 451);
        const permanent = await email.send(sampleNotification(), {
          idempotencyKey: "b",
          signal: signal(),
        });
        assert.equal(permanent.outcome, "rejected");
        assert.equal(permanent.outcome === "rejected" ? permanent.status : 0, 550);
        assert.match(
          permanent.outcome === "rejected" ? permanent.reason : "",
          /^SMTP: .*Mailbox unavailable/,
        );
      } finally {
        await email.close();
      }
    });
  });

  it("keeps a Message-ID valid for any notification id", () => {
    assert.equal(messageId("ntf-1", "plant.example"), "<ntf-1@plant.example>");
    assert.match(messageId("route/a b@c", "plant.example"), /^<[0-9a-f]{40}@plant\.example>$/);
  });

  it("does not log the password", () => {
    const email = channel(
      { host: "127.0.0.1", port },
      { user: "u", password: new Secret("hunter2", "env:SMTP_PASSWORD") },
    );
    assert.ok(!JSON.stringify(email).includes("hunter2"));
  });
});

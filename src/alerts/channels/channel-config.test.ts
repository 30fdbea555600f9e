import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { after, describe, it } from "node:test";
import { channelsConfigSchema } from "./channel-config.js";
import { ChannelConfigError, createChannels } from "./create-channels.js";
import { resolveSecret, SecretError } from "./secret.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "millstream-channel-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 3).toString("base64")}`;
const env = {
  SLACK_URL: "https://hooks.slack.com/services/T1/B2/abc",
  PD_KEY: "R0123456789ABCDEF0123456789ABCDE",
  TWILIO_TOKEN: "tok",
  SMTP_PASSWORD: "pw",
  HOOK_SECRET: WEBHOOK_SECRET,
};

const example = {
  "slack-ops": { type: "slack", url: "env:SLACK_URL" },
  "email-oncall": {
    type: "email",
    host: "smtp.plant.example",
    user: "millstream",
    password: "env:SMTP_PASSWORD",
    from: "millstream <alarms@plant.example>",
    to: ["oncall@plant.example"],
  },
  "sms-oncall": {
    type: "sms",
    accountSid: "AC123",
    authToken: "env:TWILIO_TOKEN",
    from: "+14155550100",
    to: ["+14155550111"],
  },
  pagerduty: { type: "pagerduty", routingKey: "env:PD_KEY", dedupKey: "alarm" },
  mes: {
    type: "webhook",
    url: "https://mes.plant.example/hooks/alarms",
    secret: "file:hook-secret.txt",
    headers: { "X-Plant": "plant-a" },
    network: { allow: ["mes.plant.example", "10.20.0.0/16"] },
  },
};

function issues(config: unknown): string[] {
  const result = channelsConfigSchema.safeParse(config);
  assert.equal(result.success, false);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("channel configuration", () => {
  it("accepts every channel type and fills the defaults", () => {
    const config = channelsConfigSchema.parse(example);
    assert.deepEqual(config["slack-ops"], {
      type: "slack",
      url: "env:SLACK_URL",
      maxAlarms: 10,
      timeoutMs: 10_000,
      maxResponseBytes: 65_536,
      maxRedirects: 3,
      network: { allowPrivateNetworks: false, allow: [] },
    });
    const sms = config["sms-oncall"];
    assert.equal(sms?.type === "sms" ? sms.baseUrl : "", "https://api.twilio.com");
    const pd = config.pagerduty;
    assert.equal(pd?.type === "pagerduty" ? pd.url : "", "https://events.pagerduty.com/v2/enqueue");
  });

  it("names the field and the expectation of a bad value", () => {
    assert.deepEqual(issues({ s: { type: "slack", url: "https://hooks.slack.com/services/x" } }), [
      "s.url: expected a secret reference, env:NAME or file:/path (secret values are never written in the configuration)",
    ]);
    assert.deepEqual(
      issues({ s: { type: "sms", accountSid: "AC1", authToken: "env:T", to: ["0044 1234"] } }),
      [
        "s.to.0: expected a phone number in E.164 form, e.g. +14155550100",
        "s.from: give either from or messagingServiceSid",
      ],
    );
    assert.deepEqual(
      issues({
        w: {
          type: "webhook",
          url: "ftp://x",
          secret: "env:S",
          network: { allow: ["10.0.0.0/40"] },
        },
      }),
      [
        "w.url: expected an http(s) URL without credentials",
        "w.network.allow.0: expected a host name, *.domain, an IP address or a CIDR",
      ],
    );
    assert.match(issues({ x: { type: "teams" } })[0] ?? "", /^x\.type: /);
    assert.match(issues({ s: { type: "slack", url: "env:U", colour: "red" } })[0] ?? "", /colour/);
  });

  it("builds running channels, reading env: and file: secrets", async () => {
    writeFileSync(path.join(dir, "hook-secret.txt"), `${WEBHOOK_SECRET}\n`);
    const channels = createChannels(channelsConfigSchema.parse(example), { env, baseDir: dir });
    assert.deepEqual(
      [...channels].map(([name, c]) => [name, c.kind]),
      [
        ["slack-ops", "slack"],
        ["email-oncall", "email"],
        ["sms-oncall", "sms"],
        ["pagerduty", "pagerduty"],
        ["mes", "webhook"],
      ],
    );
    for (const channel of channels.values()) await channel.close();
  });

  it("names file, field and reference when a secret is missing, never a value", () => {
    const config = channelsConfigSchema.parse({
      pagerduty: { type: "pagerduty", routingKey: "env:PD_MISSING" },
    });
    assert.throws(
      () => createChannels(config, { env, file: "plant.yaml", path: "alerts.channels" }),
      (error: unknown) => {
        assert.ok(error instanceof ChannelConfigError);
        assert.equal(
          error.message,
          "plant.yaml: alerts.channels.pagerduty.routingKey: environment variable PD_MISSING is not set",
        );
        return true;
      },
    );
    const badSlack = channelsConfigSchema.parse({ s: { type: "slack", url: "env:PD_KEY" } });
    assert.throws(
      () => createChannels(badSlack, { env }),
      (error: unknown) => {
        assert.match(
          (error as Error).message,
          /^channels\.s\.url: env:PD_KEY does not hold an http\(s\) URL/,
        );
        assert.ok(!(error as Error).message.includes(env.PD_KEY));
        return true;
      },
    );
    const badHook = channelsConfigSchema.parse({
      w: { type: "webhook", url: "https://x.example", secret: "env:PD_KEY" },
    });
    assert.throws(
      () => createChannels(badHook, { env }),
      /channels\.w\.secret: env:PD_KEY: a webhook secret must start with whsec_/,
    );
  });

  it("resolves secrets that print as their reference only", () => {
    writeFileSync(path.join(dir, "token"), "s3cr3t\n");
    const secret = resolveSecret("file:token", { baseDir: dir });
    assert.equal(secret.reveal(), "s3cr3t");
    assert.equal(String(secret), "[secret file:token]");
    assert.equal(JSON.stringify({ secret }), '{"secret":"[secret file:token]"}');
    assert.equal(inspect({ secret }), "{ secret: [secret file:token] }");
    assert.throws(
      () => resolveSecret("file:missing", { baseDir: dir }),
      /cannot read secret file missing \(ENOENT\)/,
    );
    writeFileSync(path.join(dir, "empty"), "\n");
    assert.throws(
      () => resolveSecret("file:empty", { baseDir: dir }),
      /secret file empty is empty/,
    );
    assert.throws(() => resolveSecret("plain-value"), SecretError);
  });
});

/**
 * The delivery proof: notifications are committed into a durable outbox (through
 * the `OutboxSink`, checkpoint by checkpoint, as a pipeline would) while a separate
 * dispatcher process delivers them to receivers on loopback that answer 30% 5xx,
 * some 429 with Retry-After and some not at all (timeouts). The dispatcher process
 * is killed with SIGKILL at random moments and restarted, then finally stopped with
 * SIGTERM. Checked: every notification delivered at least once; the set of distinct
 * idempotency keys received equals the expected set (nothing of an uncommitted
 * checkpoint sent); Retry-After honoured; a clean exit on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import {
  type HttpReceiver,
  type Plan,
  startHttpReceiver,
} from "../../src/alerts/channels/testing/test-http-receiver.js";
import { sampleNotification } from "../../src/alerts/channels/testing/test-notifications.js";
import {
  type SmtpPlan,
  type SmtpReceiver,
  startSmtpReceiver,
} from "../../src/alerts/channels/testing/test-smtp-receiver.js";
import { Outbox } from "../../src/alerts/delivery/outbox.js";
import { OutboxSink } from "../../src/alerts/delivery/outbox-sink.js";
import type { Notification } from "../../src/alerts/notification.js";
import type { SinkWriter } from "../../src/engine/index.js";
import { seededRandom as random } from "../../src/engine/testing/index.js";

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), "proof-dispatcher.ts");

/** Options of {@link deliveryProof}. */
export interface DeliveryProofOptions {
  readonly workDir: string;
  /** Notifications per channel (five channels). */
  readonly perChannel: number;
  /** Committed checkpoints the notifications are spread over. */
  readonly checkpoints: number;
  /** SIGKILLs of the dispatcher process. */
  readonly kills: number;
  /** Random run time before each kill, after the process is ready, in ms. */
  readonly minRunMs?: number;
  readonly maxRunMs?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

/** What the proof measured. */
export interface DeliveryProofReport {
  readonly expected: number;
  /** Expected keys never received with a success answer. */
  readonly missing: string[];
  /** Keys received that were never committed (or are unknown). */
  readonly unexpected: string[];
  /** Distinct keys received, all answers included. */
  readonly distinctKeys: number;
  readonly requests: number;
  /** Keys delivered (2xx/250) more than once: at-least-once duplicates. */
  readonly duplicateDeliveries: number;
  readonly answers: {
    ok: number;
    error5xx: number;
    rateLimited: number;
    hung: number;
    smtpRefused: number;
  };
  readonly kills: number;
  /** 429 answers followed by another attempt of the same key in the same process life. */
  readonly retryAfterChecked: number;
  readonly retryAfterViolations: string[];
  readonly outbox: { pending: number; delivered: number; dead: number; staged: number };
  readonly finalExitCode: number | null;
  readonly seconds: number;
}

const SECRET = `whsec_${Buffer.alloc(32, 5).toString("base64")}`;
const TWILIO = { accountSid: "AC0000proof", authToken: "proof-token" };
const RECIPIENTS = ["+14155550101", "+14155550102"];
const CHANNELS = ["slack", "pagerduty", "sms", "webhook", "email"] as const;

/** Runs the proof; resolves with the report (it does not assert). */
export async function deliveryProof(options: DeliveryProofOptions): Promise<DeliveryProofReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const next = random(options.seed ?? 11);
  mkdirSync(options.workDir, { recursive: true });
  const file = path.join(options.workDir, "outbox.db");

  // 30% 5xx, 8% 429 with Retry-After (seconds or an HTTP date), 7% no answer.
  const retryAfterUntil = new Map<ReceivedKey, number>();
  const httpPlan = (key: string | undefined, at: number): Plan => {
    const r = next();
    if (r < 0.3) return { status: r < 0.15 ? 503 : 500, body: "unavailable" };
    if (r < 0.38) {
      if (key !== undefined) {
        if (r < 0.34) {
          retryAfterUntil.set(`${key}@${at}`, at + 1000);
          return { status: 429, headers: { "retry-after": "1" }, body: "slow down" };
        }
        const date = new Date(Math.ceil((at + 1500) / 1000) * 1000);
        retryAfterUntil.set(`${key}@${at}`, date.getTime());
        return { status: 429, headers: { "retry-after": date.toUTCString() }, body: "slow down" };
      }
      return { status: 503 };
    }
    if (r < 0.45) return "hang";
    return "ok";
  };
  const receivers: Record<"slack" | "pagerduty" | "sms" | "webhook", HttpReceiver> = {
    slack: await startHttpReceiver({ shape: "slack", plan: (r) => httpPlan(r.key, r.at) }),
    pagerduty: await startHttpReceiver({ shape: "pagerduty", plan: (r) => httpPlan(r.key, r.at) }),
    sms: await startHttpReceiver({
      shape: "twilio",
      twilio: TWILIO,
      plan: (r) => httpPlan(r.key, r.at),
    }),
    webhook: await startHttpReceiver({
      shape: "webhook",
      webhookSecret: SECRET,
      plan: (r) => httpPlan(r.key, r.at),
    }),
  };
  const smtp: SmtpReceiver = await startSmtpReceiver({
    plan: (): SmtpPlan => {
      const r = next();
      return r < 0.3 ? "transient" : r < 0.37 ? "hang" : "ok";
    },
  });

  const channelsConfig = {
    slack: { type: "slack", url: "env:PROOF_SLACK_URL", ...http() },
    pagerduty: {
      type: "pagerduty",
      routingKey: "env:PROOF_PD_KEY",
      url: receivers.pagerduty.url,
      ...http(),
    },
    sms: {
      type: "sms",
      baseUrl: receivers.sms.url,
      accountSid: TWILIO.accountSid,
      authToken: "env:PROOF_TWILIO_TOKEN",
      from: "+14155550100",
      to: RECIPIENTS,
      ...http(),
    },
    webhook: {
      type: "webhook",
      url: receivers.webhook.url,
      secret: "env:PROOF_WEBHOOK_SECRET",
      ...http(),
    },
    email: {
      type: "email",
      host: smtp.host,
      port: smtp.port,
      from: "millstream <alarms@plant.example>",
      to: ["oncall@plant.example"],
      timeoutMs: 1000,
    },
  };
  const env = {
    ...process.env,
    PROOF_SLACK_URL: receivers.slack.url,
    PROOF_PD_KEY: "R0123456789ABCDEF0123456789ABCDE",
    PROOF_TWILIO_TOKEN: TWILIO.authToken,
    PROOF_WEBHOOK_SECRET: SECRET,
  };

  // The pipeline side: commits notifications checkpoint by checkpoint.
  const outbox = new Outbox({ path: file });
  const expectedIds: string[] = [];
  let writer: SinkWriter<Notification> = await new OutboxSink({ outbox }).open({ step: "alarms" });
  let checkpoint = 0;
  const perCheckpoint = Math.ceil((options.perChannel * CHANNELS.length) / options.checkpoints);
  let made = 0;
  const produce = async (commit: boolean) => {
    const batch: Notification[] = [];
    for (
      let i = 0;
      i < perCheckpoint && (!commit || made < options.perChannel * CHANNELS.length);
      i++
    ) {
      const channel = CHANNELS[made % CHANNELS.length] as string;
      const id = commit
        ? `ntf-${String(made).padStart(5, "0")}`
        : `uncommitted-${checkpoint + 1}-${i}`;
      if (commit) made++;
      batch.push(sampleNotification({ id, channel, groupKey: `group-${id}` }));
    }
    writer.write({ values: batch, times: batch.map(() => 0), channel: 0 });
    checkpoint++;
    const progress = await writer.prepareCommit!(checkpoint);
    if (commit) {
      await writer.commit!(checkpoint, progress);
      expectedIds.push(...batch.map((n) => n.id));
    } else {
      // The pipeline crashes before the checkpoint commits; it restarts from the last one.
      await writer.close();
      writer = await new OutboxSink({ outbox }).open({
        step: "alarms",
        restored: {
          checkpointId: checkpoint - 1,
          progress: { origin: "alarms", checkpointId: checkpoint - 1 },
        },
      });
      checkpoint--;
    }
  };

  let child: ChildProcess | null = null;
  const killTimes: number[] = [];
  const start = async (): Promise<ChildProcess> => {
    const proc = spawn(
      process.execPath,
      ["--import", "tsx", CHILD, file, JSON.stringify(channelsConfig)],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env,
      },
    );
    let stderr = "";
    proc.stderr!.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    await new Promise<void>((resolve, reject) => {
      proc.stdout!.on("data", (c: Buffer) => {
        if (c.toString().includes("ready")) resolve();
      });
      proc.once("exit", (code) =>
        reject(new Error(`dispatcher exited (${code}) before ready: ${stderr}`)),
      );
    });
    return proc;
  };
  const exited = (proc: ChildProcess) =>
    new Promise<number | null>((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) resolve(proc.exitCode);
      else proc.once("exit", (code) => resolve(code));
    });

  let finalExitCode: number | null = null;
  try {
    // Interleave: commit a checkpoint, run the dispatcher a while, kill it.
    let produced = 0;
    for (let k = 0; k < options.kills; k++) {
      if (produced < options.checkpoints) {
        await produce(true);
        produced++;
        if (k === 1) await produce(false); // an uncommitted checkpoint, rolled back
      }
      child = await start();
      const runMs =
        (options.minRunMs ?? 300) +
        next() * ((options.maxRunMs ?? 1200) - (options.minRunMs ?? 300));
      await sleep(runMs);
      child.kill("SIGKILL");
      killTimes.push(Date.now());
      await exited(child);
      log(
        `kill ${k + 1}/${options.kills} after ${Math.round(runMs)} ms: ${JSON.stringify(stats(outbox))}`,
      );
    }
    while (produced < options.checkpoints) {
      await produce(true);
      produced++;
    }
    // The last life: run until nothing is left, then a graceful stop.
    child = await start();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const s = outbox.stats();
      if (s.pending === 0 && s.staged === 0) break;
      await sleep(50);
    }
    child.kill("SIGTERM");
    finalExitCode = await exited(child);
    child = null;
    log(`final: ${JSON.stringify(stats(outbox))}, exit ${finalExitCode}`);
  } finally {
    if (child !== null && child.exitCode === null) {
      child.kill("SIGKILL");
      await exited(child);
    }
    await writer.close();
  }

  // What the receivers saw.
  const expectedKeys = new Set<string>();
  for (const id of expectedIds) {
    const n = Number(id.slice(4));
    const channel = CHANNELS[n % CHANNELS.length];
    if (channel === "sms") for (const to of RECIPIENTS) expectedKeys.add(`sms|${id}:${to}`);
    else expectedKeys.add(`${channel}|${id}`);
  }
  const seen: { key: string; status: number; at: number }[] = [];
  for (const [name, receiver] of Object.entries(receivers)) {
    for (const r of receiver.requests)
      seen.push({ key: `${name}|${r.key}`, status: r.status, at: r.at });
  }
  const mailAnswers = { refused: 0 };
  for (const m of smtp.messages) {
    seen.push({
      key: `email|${m.headers["x-millstream-notification-id"]}`,
      status: m.reply,
      at: 0,
    });
    if (!m.accepted) mailAnswers.refused++;
  }
  const ok = (s: number) => (s >= 200 && s < 300) || s === 250;
  const deliveredCount = new Map<string, number>();
  for (const s of seen)
    if (ok(s.status)) deliveredCount.set(s.key, (deliveredCount.get(s.key) ?? 0) + 1);
  const distinct = new Set(seen.map((s) => s.key));
  const missing = [...expectedKeys].filter((k) => !deliveredCount.has(k));
  const unexpected = [...distinct].filter((k) => !expectedKeys.has(k));

  // Retry-After: the next attempt of the same key comes no earlier than asked, also
  // after a restart (the schedule is in the outbox), unless the process was killed
  // in the few ms between reading the 429 and recording it.
  let retryAfterChecked = 0;
  const retryAfterViolations: string[] = [];
  const byKey = new Map<string, { at: number; key: string }[]>();
  for (const receiver of Object.values(receivers)) {
    for (const r of receiver.requests) {
      if (r.key === undefined) continue;
      const list = byKey.get(r.key) ?? [];
      list.push({ at: r.at, key: r.key });
      byKey.set(r.key, list);
    }
  }
  for (const [marker, until] of retryAfterUntil) {
    const at = Number(marker.slice(marker.lastIndexOf("@") + 1));
    const key = marker.slice(0, marker.lastIndexOf("@"));
    const later = (byKey.get(key) ?? []).filter((r) => r.at > at).sort((a, b) => a.at - b.at)[0];
    if (later === undefined) continue;
    if (killTimes.some((t) => t >= at && t <= at + 250)) continue;
    retryAfterChecked++;
    if (later.at < until - 25)
      retryAfterViolations.push(`${key}: retried ${until - later.at} ms early`);
  }

  const answers = { ok: 0, error5xx: 0, rateLimited: 0, hung: 0, smtpRefused: mailAnswers.refused };
  for (const receiver of Object.values(receivers)) {
    for (const r of receiver.requests) {
      if (r.status === 0) answers.hung++;
      else if (r.status === 429) answers.rateLimited++;
      else if (r.status >= 500) answers.error5xx++;
      else if (ok(r.status)) answers.ok++;
    }
  }
  const report: DeliveryProofReport = {
    expected: expectedKeys.size,
    missing,
    unexpected,
    distinctKeys: distinct.size,
    requests: seen.length,
    duplicateDeliveries: [...deliveredCount.values()].filter((c) => c > 1).length,
    answers,
    kills: killTimes.length,
    retryAfterChecked,
    retryAfterViolations,
    outbox: stats(outbox),
    finalExitCode,
    seconds: (Date.now() - started) / 1000,
  };
  outbox.close();
  for (const receiver of Object.values(receivers)) await receiver.close();
  await smtp.close();
  return report;
}

type ReceivedKey = string;

function http() {
  return { timeoutMs: 300, network: { allowPrivateNetworks: true, allow: [] } };
}

function stats(outbox: Outbox) {
  const s = outbox.stats();
  return { pending: s.pending, delivered: s.delivered, dead: s.dead, staged: s.staged };
}

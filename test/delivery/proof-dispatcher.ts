/**
 * The process the delivery proof kills: a dispatcher over a durable outbox file,
 * with Slack, PagerDuty, SMS, webhook and e-mail channels built from a channels
 * configuration (secrets from the environment) and pointed at loopback receivers.
 * Prints `ready` once delivering; on SIGTERM stops cleanly and exits 0.
 *
 * Usage: `node --import tsx test/delivery/proof-dispatcher.ts <outbox file> <channels JSON>`
 */
import { channelsConfigSchema } from "../../src/alerts/channels/channel-config.js";
import { createChannels } from "../../src/alerts/channels/create-channels.js";
import { Dispatcher } from "../../src/alerts/delivery/dispatcher.js";
import { Outbox } from "../../src/alerts/delivery/outbox.js";

const [file, channelsJson] = process.argv.slice(2);
if (!file || !channelsJson) {
  console.error("usage: proof-dispatcher.ts <outbox file> <channels JSON>");
  process.exit(2);
}

const channels = createChannels(channelsConfigSchema.parse(JSON.parse(channelsJson)));
const outbox = new Outbox({ path: file });
const dispatcher = new Dispatcher({
  outbox,
  channels,
  concurrency: 8,
  attemptTimeoutMs: 3000,
  pollIntervalMs: 50,
  stopTimeoutMs: 2000,
  retry: { maxAttempts: 1000, initialDelayMs: 50, maxDelayMs: 400, multiplier: 2, jitter: 0.5 },
  onEvent: (event) => {
    if (event.type === "error") console.error(`dispatcher: ${event.error.message}`);
  },
});
dispatcher.start();
process.stdout.write("ready\n");

process.once("SIGTERM", () => {
  void (async () => {
    await dispatcher.stop();
    for (const channel of channels.values()) await channel.close();
    outbox.close();
    process.exit(0);
  })();
});

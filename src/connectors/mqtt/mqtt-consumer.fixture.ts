/**
 * A consumer the MQTT redelivery test kills: it opens an MqttSource with a persistent
 * session, reads `count` messages, acknowledges the first `acked` of them as a
 * committed checkpoint would, prints `ready <n>` and waits to be killed.
 *
 * Usage: node --import tsx mqtt-consumer.fixture.ts <url> <client-id> <topic-filter> <count> <acked>
 */
import { MqttSource } from "./mqtt-source.js";

const [url, clientId, topic, count, acked] = process.argv.slice(2);
const reader = await new MqttSource({
  url: url!,
  topics: [topic!],
  clientId: clientId!,
  clean: false,
  qos: 1,
  batchSize: 1,
}).open({ step: "in" });
let read = 0;
while (read < Number(count)) {
  const poll = await reader.poll();
  if (poll.kind !== "batch") continue;
  read += poll.values.length;
  if (read === Number(acked)) {
    await reader.acknowledge!(reader.positions!());
    // A kill right after could drop PUBACKs the broker has not read yet (more
    // duplicates, never a loss); the test is about messages never acknowledged.
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
process.stdout.write(`ready ${read}\n`);
setInterval(() => {}, 1000);

/**
 * The broker targets of `millstream simulate --to <url>`: the URL names the broker
 * and the topic (or subject) template, filled from each simulated reading's fields.
 *
 * - `mqtt://[user:password@]host:port/<topic template>[?qos=0|1|2]`,
 *   default template `millstream/readings/{facility_id}/{sensor_id}`;
 * - `nats://host:port/<subject template>[?core=true][&stream=NAME]`, default
 *   `millstream.readings.{facility_id}`; JetStream unless `core=true`; with
 *   `stream=NAME`, a stream capturing the subjects is created when none does;
 * - `kafka://host:port[,host:port…]/<topic template>`, default `millstream-readings`,
 *   messages keyed by `sensor_id`.
 */
import { kafkaLineTarget } from "../../connectors/kafka/kafka-publisher.js";
import { mqttLineTarget } from "../../connectors/mqtt/mqtt-publisher.js";
import { natsLineTarget } from "../../connectors/nats/nats-publisher.js";
import type { OutputTarget } from "../simulator/index.js";
import { lineTopicTemplate } from "./topic-template.js";

/** A `--to` URL that cannot be used; the message says what is expected. */
export class BrokerUrlError extends Error {
  override readonly name = "BrokerUrlError";
}

function parse(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new BrokerUrlError(
      `--to: "${url}" is not a URL such as mqtt://localhost:1883/plant/{facility_id}`,
    );
  }
}

/** The template in the URL's path (without the leading `/`), or `fallback`. */
function pathTemplate(u: URL, fallback: string): string {
  const text = decodeURIComponent(u.pathname.replace(/^\//, ""));
  return text === "" ? fallback : text;
}

/** `--to mqtt://…`: QoS 1 publishes, one message per reading. */
export async function mqttTarget(url: string): Promise<OutputTarget> {
  const u = parse(url);
  const qosText = u.searchParams.get("qos") ?? "1";
  if (!["0", "1", "2"].includes(qosText))
    throw new BrokerUrlError(`--to: qos must be 0, 1 or 2, got "${qosText}"`);
  const template = pathTemplate(u, "millstream/readings/{facility_id}/{sensor_id}");
  return mqttLineTarget({
    url: `${u.protocol}//${u.host}`,
    qos: Number(qosText) as 0 | 1 | 2,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    topic: lineTopicTemplate(template, "mqtt"),
  });
}

/** `--to nats://…`: JetStream publishes (each waits for the stream's acknowledgement) or core NATS. */
export async function natsTarget(url: string): Promise<OutputTarget> {
  const u = parse(url);
  const core = u.searchParams.get("core") === "true";
  const stream = u.searchParams.get("stream");
  const template = pathTemplate(u, "millstream.readings.{facility_id}");
  const servers = u.host;
  const auth = {
    ...(u.username && u.password
      ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) }
      : u.username
        ? { token: decodeURIComponent(u.username) }
        : {}),
  };
  return natsLineTarget({
    servers,
    ...auth,
    jetstream: !core,
    subject: lineTopicTemplate(template, "nats"),
    ...(stream !== null && !core
      ? {
          createStream: {
            name: stream,
            subjects: [template.replace(/\{[A-Za-z_][A-Za-z0-9_]*\}/g, "*")],
          },
        }
      : {}),
  });
}

/** `--to kafka://…`: an idempotent producer, messages keyed by `sensor_id`. */
export async function kafkaTarget(url: string): Promise<OutputTarget> {
  const u = parse(url);
  const brokers = u.host.split(",").filter((b) => b !== "");
  if (brokers.length === 0) throw new BrokerUrlError(`--to: "${url}" names no Kafka broker`);
  const template = pathTemplate(u, "millstream-readings");
  const sensorOf = lineTopicTemplate("{sensor_id}", "kafka");
  return kafkaLineTarget({
    brokers,
    topic: lineTopicTemplate(template, "kafka"),
    key: (line) => sensorOf(line),
  });
}

/** The broker targets by URL scheme, for the simulator's `--to` registry. */
export const BROKER_TARGETS: ReadonlyMap<string, (url: string) => Promise<OutputTarget>> = new Map([
  ["mqtt", mqttTarget],
  ["mqtts", mqttTarget],
  ["nats", natsTarget],
  ["kafka", kafkaTarget],
]);

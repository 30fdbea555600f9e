/**
 * The `sinks` section of the YAML configuration: which plant outputs also go to
 * PostgreSQL, Redis, MQTT, NATS and Kafka, and how to reach them. Secrets (connection
 * strings, passwords, tokens) may be given as `env:NAME` (an environment variable) or
 * `file:/path` (a file's content, trimmed), and are resolved when the file is loaded;
 * errors name the field, never the secret.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { PARTITION_INTERVALS } from "../../connectors/postgres/index.js";
import { PLANT_OUTPUTS, type PlantOutputName, REDIS_OUTPUTS } from "../../iot/outputs/index.js";

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
    "expected letters, digits and _, not starting with a digit",
  );
const positiveInt = z.number().int().positive();
const nonNegative = z.number().min(0);
/** A value, `env:NAME` or `file:/path`. */
const secret = z.string().min(1);
const tableOutputs = PLANT_OUTPUTS.filter((o) => o !== "readings") as Exclude<
  PlantOutputName,
  "readings"
>[];

/** Output name → topic (or subject) template; at least one. */
const topics = z
  .object(
    Object.fromEntries(PLANT_OUTPUTS.map((o) => [o, z.string().min(1).optional()])) as Record<
      PlantOutputName,
      z.ZodOptional<z.ZodString>
    >,
  )
  .strict()
  .refine((t) => Object.values(t).some((v) => v !== undefined), {
    message: `name at least one output (${PLANT_OUTPUTS.join(", ")}) with its topic`,
  });

const publishCommon = {
  /** Publish buffered messages after this many ms instead of at each checkpoint. */
  maxDelayMs: nonNegative.optional(),
  outputs: topics,
};

/** The zod schema of the `sinks` section. */
export const sinksSchema = z
  .object({
    postgres: z
      .object({
        connection: secret,
        schema: identifier.default("millstream"),
        outputs: z
          .array(z.enum(tableOutputs as [string, ...string[]]))
          .min(1)
          .default([...tableOutputs]),
        readings: z.boolean().default(false),
        partitionInterval: z.enum(PARTITION_INTERVALS as [string, ...string[]]).default("day"),
        batchRows: positiveInt.optional(),
        maxDelayMs: nonNegative.optional(),
        maxConnections: positiveInt.default(4),
      })
      .strict()
      .optional(),
    redis: z
      .object({
        url: secret,
        keyPrefix: z.string().default("millstream:"),
        ttlSeconds: z.number().positive().default(3600),
        streamMaxLen: positiveInt.default(100_000),
        channel: z.string().min(1).optional(),
        outputs: z
          .array(z.enum(REDIS_OUTPUTS))
          .min(1)
          .default([...REDIS_OUTPUTS]),
      })
      .strict()
      .optional(),
    mqtt: z
      .object({
        url: z
          .string()
          .regex(/^(mqtts?|wss?):\/\//, "expected mqtt://host:port (or mqtts://, ws://, wss://)"),
        username: z.string().optional(),
        password: secret.optional(),
        clientId: z.string().min(1).optional(),
        qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(1),
        retain: z.boolean().default(false),
        ...publishCommon,
      })
      .strict()
      .optional(),
    nats: z
      .object({
        servers: z
          .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
          .default("127.0.0.1:4222"),
        user: z.string().optional(),
        pass: secret.optional(),
        token: secret.optional(),
        credsFile: z.string().min(1).optional(),
        jetstream: z.boolean().default(true),
        ...publishCommon,
      })
      .strict()
      .optional(),
    kafka: z
      .object({
        brokers: z.array(z.string().min(1)).min(1),
        clientId: z.string().min(1).default("millstream"),
        sasl: z
          .object({
            mechanism: z.enum(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
            username: z.string().min(1),
            password: secret,
          })
          .strict()
          .optional(),
        tls: z.boolean().default(false),
        ...publishCommon,
      })
      .strict()
      .optional(),
  })
  .strict();

/** The `sinks` section as parsed, before secrets and paths are resolved. */
export type SinksSection = z.output<typeof sinksSchema>;

/** The `sinks` section with secrets resolved and paths made absolute. */
export type SinksConfig = SinksSection;

/** A secret or path of the `sinks` section that cannot be resolved. */
export class SinksConfigError extends Error {
  override readonly name = "SinksConfigError";
}

/**
 * `value`, or for `env:NAME` the variable's value, or for `file:/path` the file's
 * content (trimmed; a relative path is resolved against `base`). Throws `fail(message)`
 * (default a {@link SinksConfigError}) naming `file` and `field`, never the value.
 */
export function resolveSecret(
  file: string,
  field: string,
  value: string,
  base: string,
  fail: (message: string) => Error = (m) => new SinksConfigError(m),
): string {
  if (value.startsWith("env:")) {
    const name = value.slice(4);
    const found = process.env[name];
    if (found === undefined || found === "") {
      throw fail(`${file}: ${field}: environment variable ${name} is not set`);
    }
    return found;
  }
  if (value.startsWith("file:")) {
    const where = path.resolve(base, value.slice(5));
    try {
      const text = readFileSync(where, "utf8").trim();
      if (text === "") throw new Error("the file is empty");
      return text;
    } catch (error) {
      throw fail(
        `${file}: ${field}: cannot read the secret file ${where}: ${(error as Error).message}`,
      );
    }
  }
  return value;
}

/**
 * Resolves the secrets of a parsed `sinks` section (see {@link resolveSecret}) and the
 * NATS credentials file against `base` (the configuration file's folder); a secret
 * that cannot be resolved throws `fail(message)`.
 */
export function resolveSinksConfig(
  file: string,
  base: string,
  section: SinksSection,
  fail?: (message: string) => Error,
): SinksConfig {
  const secret = (field: string, value: string) =>
    resolveSecret(file, `sinks.${field}`, value, base, fail);
  const { postgres, redis, mqtt, nats, kafka } = section;
  return {
    ...(postgres
      ? {
          postgres: { ...postgres, connection: secret("postgres.connection", postgres.connection) },
        }
      : {}),
    ...(redis ? { redis: { ...redis, url: secret("redis.url", redis.url) } } : {}),
    ...(mqtt
      ? {
          mqtt: {
            ...mqtt,
            ...(mqtt.password !== undefined
              ? { password: secret("mqtt.password", mqtt.password) }
              : {}),
          },
        }
      : {}),
    ...(nats
      ? {
          nats: {
            ...nats,
            ...(nats.pass !== undefined ? { pass: secret("nats.pass", nats.pass) } : {}),
            ...(nats.token !== undefined ? { token: secret("nats.token", nats.token) } : {}),
            ...(nats.credsFile !== undefined
              ? { credsFile: path.resolve(base, nats.credsFile) }
              : {}),
          },
        }
      : {}),
    ...(kafka
      ? {
          kafka: {
            ...kafka,
            ...(kafka.sasl
              ? {
                  sasl: {
                    ...kafka.sasl,
                    password: secret("kafka.sasl.password", kafka.sasl.password),
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}

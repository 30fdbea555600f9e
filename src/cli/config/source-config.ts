/**
 * The `input` section of the YAML configuration: where readings come from. One of
 * `files` (JSON Lines or CSV, globs, follow mode), `mqtt`, `nats` (JetStream),
 * `kafka` or `http` (an ingest endpoint), chosen by `type`. The older form
 * `input: { files: [...], batchSize }` without `type` still means `type: files`.
 * Secrets (passwords, tokens) may be `env:NAME` or `file:/path`; they are resolved
 * when the file is loaded and never appear in messages.
 */
import path from "node:path";
import { z } from "zod";
import { resolveSecret } from "./sinks-config.js";

const positiveInt = z.number().int().positive();
const positive = z.number().positive();
/** A value, `env:NAME` or `file:/path`. */
const secret = z.string().min(1);
const tlsFiles = z
  .object({
    caFile: z.string().min(1).optional(),
    certFile: z.string().min(1).optional(),
    keyFile: z.string().min(1).optional(),
    rejectUnauthorized: z.boolean().optional(),
  })
  .strict();

const filesInput = z
  .object({
    type: z.literal("files"),
    /** Files or glob patterns (`*`, `?`, `**`), relative to the configuration file. */
    files: z.array(z.string().min(1)).min(1),
    format: z.enum(["jsonl", "csv"]).default("jsonl"),
    delimiter: z.string().min(1).optional(),
    follow: z.boolean().default(false),
    pollIntervalMs: positiveInt.optional(),
    batchSize: positiveInt.optional(),
  })
  .strict();

const mqttInput = z
  .object({
    type: z.literal("mqtt"),
    url: z
      .string()
      .regex(/^(mqtts?|wss?):\/\//, "expected mqtt://host:port (or mqtts://, ws://, wss://)"),
    topics: z.array(z.string().min(1)).min(1),
    qos: z.union([z.literal(0), z.literal(1)]).default(1),
    clientId: z.string().min(1).optional(),
    clean: z.boolean().default(true),
    sessionExpirySeconds: positiveInt.optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(5),
    username: z.string().optional(),
    password: secret.optional(),
    tls: tlsFiles.optional(),
    ack: z.enum(["checkpoint", "receive"]).optional(),
    bufferSize: positiveInt.optional(),
    batchSize: positiveInt.optional(),
    maxMessageBytes: positiveInt.optional(),
    reconnectMinMs: positive.optional(),
    reconnectMaxMs: positive.optional(),
  })
  .strict()
  .refine((m) => m.clean || m.clientId !== undefined, {
    message: "a persistent session (clean: false) needs a fixed clientId",
    path: ["clientId"],
  });

const natsInput = z
  .object({
    type: z.literal("nats"),
    servers: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .default("127.0.0.1:4222"),
    user: z.string().optional(),
    pass: secret.optional(),
    token: secret.optional(),
    credsFile: z.string().min(1).optional(),
    tls: z
      .union([
        z.boolean(),
        z
          .object({
            caFile: z.string().min(1).optional(),
            certFile: z.string().min(1).optional(),
            keyFile: z.string().min(1).optional(),
            handshakeFirst: z.boolean().optional(),
          })
          .strict(),
      ])
      .optional(),
    stream: z
      .string()
      .regex(/^[^.*>\s/\\]+$/, "expected a stream name (no dots, wildcards or spaces)"),
    partitions: positiveInt,
    subjectTemplate: z.string().includes("{partition}").optional(),
    durablePrefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/, "expected letters, digits, _ and -")
      .optional(),
    create: z
      .union([
        z.boolean(),
        z
          .object({
            ingestSubject: z.string().min(1).optional(),
            partitionKeys: z.array(positiveInt).min(1).optional(),
            storage: z.enum(["file", "memory"]).optional(),
            maxAgeMs: positive.optional(),
            replicas: positiveInt.optional(),
          })
          .strict(),
      ])
      .default(false),
    startAt: z.enum(["first", "new"]).default("first"),
    batchSize: positiveInt.optional(),
    maxAckPending: positiveInt.optional(),
    ackWaitMs: positive.optional(),
    maxMessageBytes: positiveInt.optional(),
  })
  .strict()
  .refine((n) => (n.user === undefined) === (n.pass === undefined), {
    message: "give both user and pass, or neither",
    path: ["pass"],
  });

const kafkaInput = z
  .object({
    type: z.literal("kafka"),
    brokers: z.array(z.string().min(1)).min(1),
    groupId: z.string().min(1),
    topics: z.array(z.string().min(1)).min(1),
    clientId: z.string().min(1).default("millstream"),
    startAt: z.enum(["earliest", "latest"]).default("earliest"),
    sasl: z
      .object({
        mechanism: z.enum(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
        username: z.string().min(1),
        password: secret,
      })
      .strict()
      .optional(),
    tls: z.union([z.boolean(), tlsFiles]).optional(),
    sessionTimeoutMs: positiveInt.optional(),
    heartbeatIntervalMs: positiveInt.optional(),
    batchSize: positiveInt.optional(),
    bufferSize: positiveInt.optional(),
    maxMessageBytes: positiveInt.optional(),
  })
  .strict();

const httpInput = z
  .object({
    type: z.literal("http"),
    port: z.number().int().min(0).max(65_535),
    host: z.string().min(1).default("127.0.0.1"),
    path: z.string().startsWith("/").default("/ingest"),
    token: secret.optional(),
    maxBodyBytes: positiveInt.optional(),
    queueSize: positiveInt.optional(),
    batchSize: positiveInt.optional(),
    retryAfterSeconds: positiveInt.optional(),
    waitForCheckpoint: z.boolean().default(false),
    forwardInvalid: z.boolean().default(true),
  })
  .strict();

/**
 * The zod schema of the `input` section. Without `type`, an object with `files` is
 * the older form and means `type: files`.
 */
export const inputSchema = z.preprocess(
  (raw) =>
    raw !== null && typeof raw === "object" && !Array.isArray(raw) && !("type" in raw)
      ? { type: "files", ...raw }
      : raw,
  z.discriminatedUnion("type", [filesInput, mqttInput, natsInput, kafkaInput, httpInput]),
);

/** The `input` section as parsed, before secrets and paths are resolved. */
export type InputSection = z.output<typeof inputSchema>;

/** The `input` section with secrets resolved and paths made absolute. */
export type InputConfig = InputSection;

/**
 * Resolves the secrets of a parsed `input` section (`env:NAME`, `file:/path`) and makes
 * its paths (files and patterns, TLS and credentials files) absolute against `base`,
 * the configuration file's folder. Errors name `file` and the field, never a secret.
 */
export function resolveInputConfig(file: string, base: string, input: InputSection): InputConfig {
  const secret = (field: string, value: string) =>
    resolveSecret(file, `input.${field}`, value, base);
  const abs = (p: string) => path.resolve(base, p);
  const tlsPaths = <T extends { caFile?: string; certFile?: string; keyFile?: string }>(
    tls: T,
  ): T => ({
    ...tls,
    ...(tls.caFile ? { caFile: abs(tls.caFile) } : {}),
    ...(tls.certFile ? { certFile: abs(tls.certFile) } : {}),
    ...(tls.keyFile ? { keyFile: abs(tls.keyFile) } : {}),
  });
  switch (input.type) {
    case "files":
      return { ...input, files: input.files.map(abs) };
    case "mqtt":
      return {
        ...input,
        ...(input.password !== undefined ? { password: secret("password", input.password) } : {}),
        ...(input.tls ? { tls: tlsPaths(input.tls) } : {}),
      };
    case "nats":
      return {
        ...input,
        ...(input.pass !== undefined ? { pass: secret("pass", input.pass) } : {}),
        ...(input.token !== undefined ? { token: secret("token", input.token) } : {}),
        ...(input.credsFile !== undefined ? { credsFile: abs(input.credsFile) } : {}),
        ...(typeof input.tls === "object" ? { tls: tlsPaths(input.tls) } : {}),
      };
    case "kafka":
      return {
        ...input,
        ...(input.sasl
          ? { sasl: { ...input.sasl, password: secret("sasl.password", input.sasl.password) } }
          : {}),
        ...(typeof input.tls === "object" ? { tls: tlsPaths(input.tls) } : {}),
      };
    case "http":
      return {
        ...input,
        ...(input.token !== undefined ? { token: secret("token", input.token) } : {}),
      };
  }
}

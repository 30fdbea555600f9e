/**
 * The `millstream` command line loads a broker or database client only when the
 * configuration uses it: loading the program (and with it every command) must not load
 * Kafka, NATS, MQTT, PostgreSQL, Redis, SMTP or DuckDB clients, which together cost tens
 * of megabytes of memory in a process that talks to none of them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Module hooks that print each package resolved from `node_modules`. */
const HOOKS = `
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(resolved.url);
  if (match) process.stderr.write("package " + match[1] + "\\n");
  return resolved;
}`;

/** The packages loaded by importing `module` (a path from the repository root). */
function packagesLoadedBy(module: string): Set<string> {
  const register = `import { register } from "node:module"; register(${JSON.stringify(
    `data:text/javascript,${encodeURIComponent(HOOKS)}`,
  )});`;
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--import",
      `data:text/javascript,${encodeURIComponent(register)}`,
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(path.join(ROOT, module))});`,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  assert.equal(child.status, 0, child.stderr);
  const loaded = new Set<string>();
  for (const line of child.stderr.split("\n")) {
    if (line.startsWith("package ")) loaded.add(line.slice("package ".length));
  }
  return loaded;
}

const CLIENTS = [
  "@platformatic/kafka",
  "@nats-io/transport-node",
  "@nats-io/jetstream",
  "@nats-io/kv",
  "mqtt",
  "pg",
  "ioredis",
  "nodemailer",
  "@duckdb/node-api",
  "@duckdb/node-bindings",
];

describe("client libraries", () => {
  it("loading the command line loads none of the broker, database and SMTP clients", () => {
    const loaded = packagesLoadedBy("src/cli/program.ts");
    // What every command needs is loaded: the check sees packages.
    assert.ok(loaded.has("zod"), `zod not among ${[...loaded].join(", ")}`);
    assert.ok(loaded.has("better-sqlite3"), "the default checkpoint store's SQLite");
    assert.deepEqual(
      CLIENTS.filter((name) => loaded.has(name)),
      [],
    );
  });

  it("loading every connector loads none of their clients until one is used", () => {
    const loaded = packagesLoadedBy("src/connectors/index.ts");
    assert.deepEqual(
      CLIENTS.filter((name) => loaded.has(name)),
      [],
    );
  });
});

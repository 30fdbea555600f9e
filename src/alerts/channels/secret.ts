/**
 * Secrets of channel configurations (webhook URLs, tokens, passwords), given as
 * references, never as values: `env:NAME` reads an environment variable,
 * `file:path` a file (trailing newline removed; relative to the configuration's
 * folder). A resolved {@link Secret} prints as its reference, never as its value.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { inspect } from "node:util";

/** The pattern a secret reference matches. */
export const SECRET_REFERENCE = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/;

/** A secret that cannot be read; the message names the reference, never a value. */
export class SecretError extends Error {
  override readonly name = "SecretError";
}

/** Where secrets are read from. */
export interface SecretSource {
  /** Folder that relative `file:` paths are resolved against. Default: the working directory. */
  readonly baseDir?: string;
  /** Environment to read `env:` references from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A resolved secret. `reveal()` gives the value; `toString`, `toJSON` and
 * `util.inspect` give `[secret env:NAME]`, so logging a config by mistake leaks nothing.
 */
export class Secret {
  readonly #value: string;
  /** The reference it was read from, e.g. `env:SLACK_WEBHOOK_URL`. */
  readonly reference: string;

  constructor(value: string, reference: string) {
    this.#value = value;
    this.reference = reference;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return `[secret ${this.reference}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Reads the secret `reference` (`env:NAME` or `file:path`). Throws a {@link SecretError}
 * when the reference is malformed, the variable is unset or empty, or the file cannot
 * be read or is empty.
 */
export function resolveSecret(reference: string, source: SecretSource = {}): Secret {
  if (!SECRET_REFERENCE.test(reference)) {
    throw new SecretError(
      "expected a secret reference, env:NAME or file:/path (secret values are never written in the configuration)",
    );
  }
  if (reference.startsWith("env:")) {
    const name = reference.slice(4);
    const value = (source.env ?? process.env)[name];
    if (value === undefined || value === "") {
      throw new SecretError(`environment variable ${name} is not set`);
    }
    return new Secret(value, reference);
  }
  const file = path.resolve(source.baseDir ?? process.cwd(), reference.slice(5));
  let value: string;
  try {
    value = readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new SecretError(
      `cannot read secret file ${reference.slice(5)}${typeof code === "string" ? ` (${code})` : ""}`,
    );
  }
  if (value === "") throw new SecretError(`secret file ${reference.slice(5)} is empty`);
  return new Secret(value, reference);
}

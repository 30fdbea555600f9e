/**
 * SQL identifiers of the PostgreSQL connector: the names it accepts for schemas,
 * tables and columns, and how it quotes them.
 */

const PLAIN_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Checks that `name` is a plain identifier (letters, digits and `_`, not starting with
 * a digit, at most 63 characters) and returns it; throws a `TypeError` naming `what`
 * otherwise. Plain names are the same quoted or not, so users can query them unquoted.
 */
export function plainIdentifier(name: string, what: string): string {
  if (typeof name !== "string" || !PLAIN_IDENTIFIER.test(name)) {
    throw new TypeError(
      `${what} ${JSON.stringify(name)} must hold only letters, digits and _, not start with a digit, and have at most 63 characters`,
    );
  }
  return name;
}

/** `name` as a double-quoted SQL identifier. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

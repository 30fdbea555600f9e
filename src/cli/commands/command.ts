/**
 * The contract every `millstream` subcommand implements.
 */

/**
 * A `millstream` subcommand, registered in `commands/index.ts`.
 *
 * - `name` is what the user types (`millstream <name>`); lowercase, no spaces.
 * - `summary` is one line for the command list of `millstream --help`.
 * - `usage` is the full help text printed by `millstream help <name>` and
 *   `millstream <name> --help`, printed as written.
 * - `run(argv)` receives the arguments after the command name (`--help`/`-h` never
 *   reach it) and resolves to the process exit code: 0 on success, 1 on failure,
 *   2 on bad usage. To report bad usage it may instead throw a `UsageError` or let an
 *   error from `node:util` `parseArgs` propagate; `millstream` then prints the message
 *   with a hint and exits with 2.
 */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: string[]): Promise<number>;
}

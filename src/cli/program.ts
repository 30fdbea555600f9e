/**
 * The `millstream` command line: global options, help, version and dispatch to the
 * subcommands of `commands/index.ts`.
 */
import { parseArgs } from "node:util";
import { type Command, commands, findCommand } from "./commands/index.js";
import { isParseArgsError, UsageError } from "./usage-error.js";
import { readVersion } from "./version.js";

/** Where the command line writes; each call prints one chunk of text and a newline. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Exit code of a command-line usage error (unknown command or option, bad value). */
export const EXIT_USAGE = 2;

const consoleOutput: CliOutput = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

const GLOBAL_OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

const HELP_HINT = 'Run "millstream --help" for usage.';

function generalHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    `millstream ${readVersion()}: real-time stream processing for industrial IoT sensor data`,
    "",
    "Usage:",
    "  millstream <command> [options]",
    "  millstream help <command>",
    "",
    "Commands:",
    ...list,
    "",
    "Options:",
    "  -h, --help     Show this help; after a command, show that command's help",
    "  -v, --version  Print the version",
  ].join("\n");
}

/** Edit distance between two short strings, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function unknownCommand(name: string): UsageError {
  const close = commands.find(
    (command) => command.name.startsWith(name) || distance(command.name, name) <= 2,
  );
  const suggestion = close ? ` (did you mean "${close.name}"?)` : "";
  return new UsageError(`unknown command "${name}"${suggestion}`);
}

/** Splits argv into global options, the command name and the command's own arguments. */
function splitArgs(argv: string[]): {
  help: boolean;
  version: boolean;
  command: string | undefined;
  rest: string[];
} {
  const { tokens } = parseArgs({
    args: argv,
    options: GLOBAL_OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  let help = false;
  let version = false;
  for (const token of tokens) {
    if (token.kind === "positional") {
      return { help, version, command: token.value, rest: argv.slice(token.index + 1) };
    }
    if (token.kind === "option-terminator") continue;
    if (token.name === "help") help = true;
    else if (token.name === "version") version = true;
    else throw new UsageError(`unknown option "${token.rawName}"`);
    if (token.value !== undefined) {
      throw new UsageError(`option "${token.rawName}" takes no value`);
    }
  }
  return { help, version, command: undefined, rest: [] };
}

/** True if the command's arguments ask for its help (before any `--`). */
function asksForHelp(rest: string[]): boolean {
  const end = rest.indexOf("--");
  return (end === -1 ? rest : rest.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

/** The first sentence of an error message, starting lowercase. */
function oneLine(message: string): string {
  const first = message.split(/\.\s/)[0] ?? message;
  return first.charAt(0).toLowerCase() + first.slice(1);
}

async function runCommand(command: Command, rest: string[], io: CliOutput): Promise<number> {
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError || isParseArgsError(error)) {
      io.err(`millstream ${command.name}: ${oneLine(error.message)}`);
      io.err(`Run "millstream help ${command.name}" for usage.`);
      return EXIT_USAGE;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`millstream ${command.name}: ${message}`);
    if (process.env.MILLSTREAM_DEBUG && error instanceof Error && error.stack) io.err(error.stack);
    return 1;
  }
}

/**
 * Runs the command line `millstream <argv…>` and resolves to the exit code: 0 on
 * success, `EXIT_USAGE` (2) on a usage error, otherwise what the command returned (1
 * if it threw). Usage errors print one line and a hint on `io.err`, never a stack
 * trace; other errors a command throws print their message (and their stack when the
 * environment variable `MILLSTREAM_DEBUG` is set).
 */
export async function runCli(argv: string[], io: CliOutput = consoleOutput): Promise<number> {
  let args: ReturnType<typeof splitArgs>;
  try {
    args = splitArgs(argv);
    if (args.command === "help") {
      const target = args.rest[0];
      if (target === undefined) {
        io.out(generalHelp());
        return 0;
      }
      const command = findCommand(target);
      if (!command) throw unknownCommand(target);
      io.out(command.usage.trimEnd());
      return 0;
    }
    if (args.command === undefined) {
      if (args.help) io.out(generalHelp());
      else if (args.version) io.out(readVersion());
      else {
        io.err(generalHelp());
        return EXIT_USAGE;
      }
      return 0;
    }
    const command = findCommand(args.command);
    if (!command) throw unknownCommand(args.command);
    if (args.help || asksForHelp(args.rest)) {
      io.out(command.usage.trimEnd());
      return 0;
    }
    if (args.version) {
      io.out(readVersion());
      return 0;
    }
    return await runCommand(command, args.rest, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`millstream: ${error.message}`);
    io.err(HELP_HINT);
    return EXIT_USAGE;
  }
}

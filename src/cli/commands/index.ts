/**
 * The registry of `millstream` subcommands, in the order `millstream --help` lists them.
 */
import type { Command } from "./command.js";
import { compactCommand } from "./compact.js";
import { demoCommand } from "./demo.js";
import { evaluateCommand } from "./evaluate.js";
import { exampleCommand } from "./example.js";
import { replayCommand } from "./replay.js";
import { runCommand } from "./run.js";
import { simulateCommand } from "./simulate.js";

export type { Command } from "./command.js";

/** Every subcommand, in help order. Names are unique. */
export const commands: readonly Command[] = [
  demoCommand,
  runCommand,
  replayCommand,
  compactCommand,
  simulateCommand,
  evaluateCommand,
  exampleCommand,
];

/** The command called `name`, or `undefined`. */
export function findCommand(name: string): Command | undefined {
  return commands.find((command) => command.name === name);
}

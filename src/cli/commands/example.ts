/**
 * Placeholder for the `example` command until the engine example is written.
 */
import type { Command } from "./command.js";

/** `millstream example`: runs a small engine example that prints windowed results. */
export const exampleCommand: Command = {
  name: "example",
  summary: "Run a small engine example that prints windowed results",
  usage: "Usage: millstream example\n\nRun a small engine example that prints windowed results.",
  async run() {
    console.log("millstream example: not written yet");
    return 0;
  },
};

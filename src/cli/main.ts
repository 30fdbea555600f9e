#!/usr/bin/env node
/**
 * Entry point of the `millstream` executable (package.json `bin`): runs the command
 * line and sets the process exit code.
 */
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2));

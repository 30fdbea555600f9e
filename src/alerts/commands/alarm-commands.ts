/**
 * Operator commands as a stream: JSON lines (from a commands file, a broker, later the
 * HTTP API) parsed into commands stamped with their own event time, and the lines that
 * are not commands as rejections.
 */
import type { Stream } from "../../engine/index.js";
import type { AlarmRejection } from "../alarm-rejection.js";
import type { AlarmCommand } from "./alarm-command.js";
import { type ParsedAlarmCommand, parseAlarmCommand } from "./parse-alarm-command.js";

/** Options of {@link alarmCommands}. */
export interface AlarmCommandsOptions {
  /** Prefix of the step names. Default `"alarm-commands"`. */
  readonly name?: string;
  /** Disorder allowed between commands' `at`, ms. Default 0 (a file written in order). */
  readonly maxOutOfOrderness?: number;
  /** A silent commands input stops holding event time back after this long, ms. Default 1,000. */
  readonly idleTimeout?: number;
  /** Move the commands' event time on with the clock while none arrive. Default true. */
  readonly advanceWhenQuiet?: boolean;
}

interface Parsed {
  readonly line: string;
  readonly parsed: ParsedAlarmCommand;
}

/**
 * Parses `lines` into commands with event time `at`. Lines that are not valid
 * commands come out on `rejected` (reason `invalid-json` or `invalid-command`, the
 * line cut at 4 KiB, and the field at fault in the message).
 */
export function alarmCommands(
  lines: Stream<string>,
  options: AlarmCommandsOptions = {},
): { commands: Stream<AlarmCommand>; rejected: Stream<AlarmRejection> } {
  const n = options.name ?? "alarm-commands";
  const parsed = lines.map(
    `${n}.parse`,
    (line): Parsed => ({ line, parsed: parseAlarmCommand(line) }),
  );
  const rejected = parsed
    .filter(`${n}.invalid`, (p) => !p.parsed.ok)
    .map(`${n}.rejection`, (p): AlarmRejection => {
      const failure = p.parsed as Extract<ParsedAlarmCommand, { ok: false }>;
      return {
        reason: failure.reason,
        message: failure.message,
        input: p.line.length > 4096 ? p.line.slice(0, 4096) : p.line,
        at: null,
        step: `${n}.parse`,
      };
    });
  const commands = parsed
    .filter(`${n}.valid`, (p) => p.parsed.ok)
    .map(`${n}.command`, (p) => (p.parsed as Extract<ParsedAlarmCommand, { ok: true }>).command)
    .withEventTime(`${n}.event-time`, {
      timestamp: (c) => c.at,
      maxOutOfOrderness: options.maxOutOfOrderness ?? 0,
      idleTimeout: options.idleTimeout ?? 1_000,
      advanceWhenQuiet: options.advanceWhenQuiet ?? true,
    });
  return { commands, rejected };
}

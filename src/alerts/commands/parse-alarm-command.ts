/**
 * Parses one operator command from a JSON line (a commands file today, the HTTP API
 * later). Errors are data: a line that is not a command comes back with a reason and
 * the field at fault, for the rejected output.
 */
import { z } from "zod";
import { matcherSchema } from "../matcher-schema.js";
import type { AcknowledgeCommand, AlarmCommand, UnsuppressCommand } from "./alarm-command.js";

/** The result of {@link parseAlarmCommand}. */
export type ParsedAlarmCommand =
  | { readonly ok: true; readonly command: AlarmCommand }
  | {
      readonly ok: false;
      readonly reason: "invalid-json" | "invalid-command";
      readonly message: string;
    };

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Epoch ms, or an ISO-8601 date-time with a zone (`2026-01-01T08:00:00Z`). */
const time = z.union([
  z.number().finite(),
  z
    .string()
    .regex(ISO_WITH_ZONE, "expected an ISO-8601 date-time with a zone, or epoch ms")
    .transform((s) => Date.parse(s))
    .refine((n) => Number.isFinite(n), "expected a valid date-time"),
]);
const name = z.string().trim().min(1);
const duration = z.number().positive();

const acknowledge = z.strictObject({
  kind: z.literal("acknowledge"),
  alarmId: name,
  user: name,
  comment: z.string().default(""),
  at: time,
});

const suppress = z
  .strictObject({
    kind: z.enum(["shelve", "silence"]),
    id: name,
    match: matcherSchema.optional(),
    alarmId: name.optional(),
    user: name,
    comment: name,
    at: time,
    startsAt: time.optional(),
    endsAt: time.optional(),
    durationMs: duration.optional(),
  })
  .refine((c) => (c.match === undefined) !== (c.alarmId === undefined), {
    message: "give either match or alarmId",
    path: ["match"],
  })
  .refine((c) => (c.endsAt === undefined) !== (c.durationMs === undefined), {
    message: "give either endsAt or durationMs",
    path: ["endsAt"],
  });

const unsuppress = z.strictObject({
  kind: z.enum(["unshelve", "unsilence"]),
  id: name,
  user: name,
  comment: z.string().default(""),
  at: time,
});

const command = z.discriminatedUnion("kind", [acknowledge, suppress, unsuppress]);

/**
 * Parses `line` as one command:
 *
 * - `{"kind":"acknowledge","alarmId":…,"user":…,"comment":…,"at":…}`
 * - `{"kind":"shelve"|"silence","id":…,"match":{…}|"alarmId":…,"user":…,"comment":…,"at":…,
 *   "startsAt"?:…,"endsAt":…|"durationMs":…}` — `startsAt` defaults to `at`
 * - `{"kind":"unshelve"|"unsilence","id":…,"user":…,"comment"?:…,"at":…}`
 *
 * Times are epoch ms or ISO-8601 with a zone. A shelve or silence needs a comment (the
 * why) and must end after it starts.
 */
export function parseAlarmCommand(line: string): ParsedAlarmCommand {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: "invalid-json", message: (error as Error).message };
  }
  const result = command.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join(".") : "(command)";
    return { ok: false, reason: "invalid-command", message: `${where}: ${issue.message}` };
  }
  const c = result.data;
  if (c.kind === "acknowledge" || c.kind === "unshelve" || c.kind === "unsilence") {
    return { ok: true, command: c as AcknowledgeCommand | UnsuppressCommand };
  }
  const sc = c as z.output<typeof suppress>;
  const startsAt = sc.startsAt ?? sc.at;
  const endsAt = sc.endsAt ?? startsAt + sc.durationMs!;
  if (!(endsAt > startsAt)) {
    return {
      ok: false,
      reason: "invalid-command",
      message: `endsAt: expected a time after startsAt ${new Date(startsAt).toISOString()}`,
    };
  }
  return {
    ok: true,
    command: {
      kind: sc.kind,
      id: sc.id,
      matcher: sc.match ?? { alarmId: sc.alarmId! },
      user: sc.user,
      comment: sc.comment,
      at: sc.at,
      startsAt,
      endsAt,
    },
  };
}

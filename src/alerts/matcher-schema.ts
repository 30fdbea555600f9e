/**
 * The zod schema of an {@link AlarmMatcher}, shared by operator commands and the
 * alarms configuration, so both accept exactly the same matchers and reject a bad
 * regular expression with the field's path.
 */
import { z } from "zod";
import { SEVERITIES } from "./alarm-signal.js";
import type { AlarmMatcher, LabelMatch } from "./matcher.js";
import type { AlarmSeverity } from "./notification.js";

const nonEmpty = z.string().min(1);
const oneOrMany = z.union([nonEmpty, z.array(nonEmpty).min(1)]);

/** A severity name. */
export const severitySchema = z.enum(SEVERITIES as [AlarmSeverity, ...AlarmSeverity[]]);

/** A {@link LabelMatch}. */
export const labelMatchSchema: z.ZodType<LabelMatch> = z.union([
  z.string(),
  z.array(z.string()).min(1),
  z.strictObject({
    regex: z.string().refine(
      (source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      },
      { message: "expected a valid JavaScript regular expression" },
    ),
  }),
  z.strictObject({ not: z.union([z.string(), z.array(z.string()).min(1)]) }),
]);

/** An {@link AlarmMatcher}; unknown fields are errors. */
export const matcherSchema: z.ZodType<AlarmMatcher> = z.strictObject({
  alarmId: oneOrMany.optional(),
  type: oneOrMany.optional(),
  sourceKind: z
    .union([
      z.enum(["sensor", "equipment", "pipeline"]),
      z.array(z.enum(["sensor", "equipment", "pipeline"])).min(1),
    ])
    .optional(),
  source: labelMatchSchema.optional(),
  facility: labelMatchSchema.optional(),
  equipment: labelMatchSchema.optional(),
  sensor: labelMatchSchema.optional(),
  severity: z.union([severitySchema, z.array(severitySchema).min(1)]).optional(),
  minSeverity: severitySchema.optional(),
  minPriority: z.number().min(0).max(100).optional(),
  maxPriority: z.number().min(0).max(100).optional(),
  minScore: z.number().optional(),
  labels: z.record(z.string(), labelMatchSchema).optional(),
});

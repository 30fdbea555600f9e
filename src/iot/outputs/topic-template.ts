/**
 * Topic and subject templates: `plant/{facility_id}/{sensor_id}` filled from the
 * fields of a record (or of a JSON line), each value made safe for the broker.
 */

/** Brokers whose topic syntax a template must respect. */
export type TopicSyntax = "mqtt" | "nats" | "kafka";

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * A value as one topic level: MQTT levels may not hold `/`, `+`, `#`; NATS tokens may
 * not hold `.`, `*`, `>` or whitespace; Kafka topic names hold only letters, digits,
 * `.`, `_` and `-`. Anything else becomes `_`; a missing value is `unknown`.
 */
function level(value: unknown, syntax: TopicSyntax): string {
  if (value === null || value === undefined || value === "") return "unknown";
  const text = typeof value === "string" ? value : String(value);
  if (syntax === "mqtt") return text.replace(/[/+#]/g, "_").replaceAll("\u0000", "_");
  if (syntax === "nats") return text.replace(/[.*>\s]/g, "_");
  return text.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** The field names a template uses. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] as string);
}

/**
 * A function filling `template` from a record's fields. A template without
 * placeholders gives itself for every record.
 */
export function topicTemplate<T extends object>(
  template: string,
  syntax: TopicSyntax,
): (value: T) => string {
  if (templateFields(template).length === 0) return () => template;
  return (value) =>
    template.replace(PLACEHOLDER, (_, field: string) =>
      level((value as Record<string, unknown>)[field], syntax),
    );
}

/**
 * A function filling `template` from the fields of a JSON line (a simulated reading).
 * A line that is not a JSON object fills every placeholder with `unknown` (the
 * malformed messages the simulator injects still get published).
 */
export function lineTopicTemplate(template: string, syntax: TopicSyntax): (line: string) => string {
  if (templateFields(template).length === 0) return () => template;
  const fill = topicTemplate<Record<string, unknown>>(template, syntax);
  return (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = null;
    }
    return fill(
      typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {},
    );
  };
}

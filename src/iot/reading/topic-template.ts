/**
 * Topic templates: reading fields carried in a broker topic instead of (or as well
 * as) the payload, e.g. MQTT topics `plants/f1/temperature/TEMP-001` matched by
 * `plants/{facility_id}/{sensor_type}/{sensor_id}`.
 */

/** Fields a template may name. */
export const TOPIC_FIELDS = ["facility_id", "sensor_id", "sensor_type"] as const;
export type TopicField = (typeof TOPIC_FIELDS)[number];

/** A compiled template: the fields of a topic, or `null` when the topic does not match. */
export type TopicMatcher = (topic: string) => Partial<Record<TopicField, string>> | null;

/** A template that cannot be used, with what is wrong. */
export class TopicTemplateError extends Error {
  override readonly name = "TopicTemplateError";
}

/**
 * Compiles a template of `/`-separated levels. A level is literal text, `{field}`
 * (one whole level captured as that reading field), `+` (any one level, ignored) or,
 * last only, `#` (any remaining levels). Separators are `/` for MQTT topics; NATS
 * subjects use `.`, given as `separator`. Throws `TopicTemplateError` for an unknown
 * field, a field named twice, or `#` before the last level.
 */
export function compileTopicTemplate(template: string, separator = "/"): TopicMatcher {
  const levels = template.split(separator);
  const fields: (TopicField | null)[] = [];
  const literals: (string | null)[] = [];
  const seen = new Set<string>();
  let rest = false;
  levels.forEach((level, i) => {
    if (level === "#") {
      if (i !== levels.length - 1) {
        throw new TopicTemplateError(`"#" must be the last level of "${template}"`);
      }
      rest = true;
      return;
    }
    const field = /^\{(.+)\}$/.exec(level)?.[1];
    if (field !== undefined) {
      if (!(TOPIC_FIELDS as readonly string[]).includes(field)) {
        throw new TopicTemplateError(
          `unknown field {${field}} in "${template}"; expected one of ${TOPIC_FIELDS.join(", ")}`,
        );
      }
      if (seen.has(field))
        throw new TopicTemplateError(`{${field}} appears twice in "${template}"`);
      seen.add(field);
      fields.push(field as TopicField);
      literals.push(null);
    } else {
      fields.push(null);
      literals.push(level === "+" ? null : level);
    }
  });
  const fixed = fields.length;
  return (topic) => {
    const parts = topic.split(separator);
    if (rest ? parts.length < fixed : parts.length !== fixed) return null;
    const found: Partial<Record<TopicField, string>> = {};
    for (let i = 0; i < fixed; i++) {
      const part = parts[i] as string;
      const literal = literals[i];
      if (literal !== null && literal !== undefined && literal !== part) return null;
      const field = fields[i];
      if (field) {
        if (part.length === 0) return null;
        found[field] = part;
      }
    }
    return found;
  };
}

/**
 * Partitioned subjects of a JetStream stream: partition `i` of the source is the
 * subjects matching the template with `{partition}` replaced by `i` (for example
 * `readings.{partition}.>` gives `readings.3.>`). Messages get there either through
 * a subject transform of the stream (`partition(n, wildcards…)`, nats-server 2.10+)
 * or by publishers computing the partition themselves with {@link natsPartitionOf},
 * which hashes exactly as the server's `partition()` function does.
 */

/** The placeholder of the partition number in a subject template. */
export const PARTITION_PLACEHOLDER = "{partition}";

/**
 * Checks a subject template: dot-separated tokens, exactly one of which is
 * `{partition}`. Returns an error message, or `null` when the template is usable.
 */
export function checkSubjectTemplate(template: string): string | null {
  const tokens = template.split(".");
  if (tokens.some((t) => t === "")) return `subject template ${template} has an empty token`;
  if (tokens.filter((t) => t === PARTITION_PLACEHOLDER).length !== 1) {
    return `subject template ${template} must have one token ${PARTITION_PLACEHOLDER}`;
  }
  const bad = tokens.find((t) => t !== PARTITION_PLACEHOLDER && /[\s{}]/.test(t));
  if (bad !== undefined) return `subject template ${template} has an invalid token ${bad}`;
  const gt = tokens.indexOf(">");
  if (gt !== -1 && gt !== tokens.length - 1) {
    return `subject template ${template}: ">" may only be the last token`;
  }
  return null;
}

/** The filter subject of partition `partition`: the template with the number in place. */
export function partitionFilter(template: string, partition: number): string {
  return template.replace(PARTITION_PLACEHOLDER, String(partition));
}

/** The subject the stream stores: the template with `*` for the partition. */
export function partitionedStreamSubject(template: string): string {
  return template.replace(PARTITION_PLACEHOLDER, "*");
}

/**
 * The partition of a message whose hashed tokens are `tokens` (the subject tokens the
 * `partition(n, …)` mapping names, in that order), as nats-server computes it: FNV-1a
 * (32 bit) of the tokens' UTF-8 bytes concatenated without separator, modulo `partitions`.
 */
export function natsPartitionOf(tokens: readonly string[], partitions: number): number {
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(tokens.join(""), "utf8");
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/**
 * The stream subject transform that partitions messages published on `ingest` (a
 * subject with `*` wildcards, optionally ending in `>`) into the template's subjects:
 * the partition token is `{{partition(n, keys…)}}` over the wildcard positions `keys`
 * (1-based, all `*` wildcards by default), and the ingest subject's tokens follow it
 * in place of the template's `>`. Example: ingest `plant.*.*`, template
 * `readings.{partition}.>`, 4 partitions →
 * `readings.{{partition(4,1,2)}}.{{wildcard(1)}}.{{wildcard(2)}}`.
 */
export function partitionTransform(
  ingest: string,
  template: string,
  partitions: number,
  keys?: readonly number[],
): { src: string; dest: string } {
  const tokens = ingest.split(".");
  const wildcards = tokens.filter((t) => t === "*").length;
  if (wildcards === 0) throw new RangeError(`ingest subject ${ingest} has no * wildcard to hash`);
  const keyList = keys ?? Array.from({ length: wildcards }, (_, i) => i + 1);
  for (const k of keyList) {
    if (!Number.isInteger(k) || k < 1 || k > wildcards) {
      throw new RangeError(`partition key ${k}: ${ingest} has wildcards 1 to ${wildcards}`);
    }
  }
  if (!template.endsWith(".>")) {
    throw new RangeError(
      `subject template ${template} must end with ".>" to take the ingest tokens`,
    );
  }
  let w = 0;
  const tail = tokens.map((t) => (t === "*" ? `{{wildcard(${++w})}}` : t)).join(".");
  const dest = template
    .slice(0, -1)
    .concat(tail)
    .replace(PARTITION_PLACEHOLDER, `{{partition(${partitions},${keyList.join(",")})}}`);
  return { src: ingest, dest };
}

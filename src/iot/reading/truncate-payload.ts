/**
 * Cutting a raw payload down to a size a dead-letter record can carry.
 */

/** The payload size dead letters keep: 4 KiB. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;

/**
 * The payload as text, cut to at most `maxBytes` UTF-8 bytes (default 4,096) at a
 * character boundary, so the result is always valid text. Byte arrays are decoded as
 * UTF-8 (invalid bytes become U+FFFD); other values are written with `JSON.stringify`
 * (or `String` when that fails). A payload within the limit comes back unchanged;
 * compare lengths to tell whether it was cut.
 */
export function truncatePayload(
  raw: string | Uint8Array | unknown,
  maxBytes: number = DEAD_LETTER_PAYLOAD_BYTES,
): string {
  if (typeof raw === "string") {
    if (raw.length * 3 <= maxBytes) return raw;
    const bytes = Buffer.from(raw, "utf8");
    return bytes.byteLength <= maxBytes ? raw : cut(bytes, maxBytes);
  }
  if (raw instanceof Uint8Array) {
    const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    return bytes.byteLength <= maxBytes ? bytes.toString("utf8") : cut(bytes, maxBytes);
  }
  let text: string;
  try {
    text = JSON.stringify(raw) ?? String(raw);
  } catch {
    text = String(raw);
  }
  return truncatePayload(text, maxBytes);
}

function cut(bytes: Buffer, maxBytes: number): string {
  let end = Math.max(0, maxBytes);
  // Step back over continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.toString("utf8", 0, end);
}

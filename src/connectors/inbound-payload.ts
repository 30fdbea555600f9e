/**
 * Turning a connector's raw bytes into the text of an `InboundMessage` without ever
 * throwing: invalid UTF-8 and oversize messages become payloads that say what was
 * wrong, which the pipeline's parser then dead-letters with the message's origin.
 */

const strict = new TextDecoder("utf-8", { fatal: true });
const lenient = new TextDecoder("utf-8");

/** How much of an oversize or undecodable message is kept in its payload, bytes. */
const EXCERPT_BYTES = 256;

/** Default largest message a source decodes, bytes (1 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * The payload text of `bytes`. Valid UTF-8 up to `maxBytes` is decoded as is. Larger
 * messages become `oversize message: <n> bytes (limit <max>); starts with: …`, and
 * invalid UTF-8 becomes `undecodable message: not valid UTF-8 (<n> bytes): …` (the
 * excerpt decoded with U+FFFD for bad bytes). Neither is valid JSON, so the reading
 * parser rejects them into the dead-letter output, where the text tells why.
 */
export function decodePayload(bytes: Uint8Array, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): string {
  if (bytes.length > maxBytes) {
    const start = lenient.decode(bytes.subarray(0, EXCERPT_BYTES));
    return `oversize message: ${bytes.length} bytes (limit ${maxBytes}); starts with: ${start}`;
  }
  try {
    return strict.decode(bytes);
  } catch {
    const start = lenient.decode(bytes.subarray(0, EXCERPT_BYTES));
    return `undecodable message: not valid UTF-8 (${bytes.length} bytes): ${start}`;
  }
}

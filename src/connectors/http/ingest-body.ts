/**
 * Splitting an ingest request body into readings: a JSON array (or one JSON value)
 * or NDJSON (one JSON document per line). Only JSON syntax is checked here; whether
 * an item is a valid reading is decided by the pipeline.
 */

/** One item of a body: its JSON text, or why it is not JSON. */
export type IngestItem =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly text: string; readonly error: string };

/** The items of a body, or why the body as a whole cannot be read. */
export type IngestBody =
  | { readonly ok: true; readonly items: readonly IngestItem[] }
  | { readonly ok: false; readonly error: string };

/**
 * Reads `body` (UTF-8 text). If its first non-blank character is `[`, it is one
 * JSON array whose elements are the items (each re-serialised as compact JSON); a
 * body that is not valid JSON then fails as a whole, since its items cannot be told
 * apart. Otherwise every non-blank line is an item (NDJSON), checked on its own: a
 * line that is not JSON is an item with an error, and the other lines still count.
 */
export function parseIngestBody(body: string): IngestBody {
  const start = body.search(/\S/);
  if (start === -1) return { ok: false, error: "the body is empty" };
  if (body[start] === "[") {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (error) {
      return {
        ok: false,
        error: `the body is not a valid JSON array: ${(error as Error).message}`,
      };
    }
    const items = (value as unknown[]).map(
      (item): IngestItem => ({ ok: true, text: JSON.stringify(item) }),
    );
    if (items.length === 0) return { ok: false, error: "the array is empty" };
    return { ok: true, items };
  }
  const items: IngestItem[] = [];
  for (const raw of body.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") continue;
    try {
      JSON.parse(line);
      items.push({ ok: true, text: line });
    } catch (error) {
      items.push({ ok: false, text: line, error: (error as Error).message });
    }
  }
  return { ok: true, items };
}

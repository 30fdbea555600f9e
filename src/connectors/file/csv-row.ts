/**
 * CSV rows for the file source: one line split into fields (RFC 4180 quoting within
 * a line), and a header row turning each later row into the JSON text of an object,
 * with unquoted numbers typed as numbers. Errors are values, not exceptions: a row
 * that does not fit becomes a dead letter downstream, never a stopped source.
 */

/** One field of a row; `quoted` fields are never typed as numbers. */
interface Field {
  readonly text: string;
  readonly quoted: boolean;
}

/** The fields of a CSV line, or why it cannot be split. */
export type CsvSplit =
  | { readonly ok: true; readonly fields: readonly Field[] }
  | { readonly ok: false; readonly error: string };

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Splits one line on `delimiter`. A field that starts with `"` is quoted: it ends at
 * the next lone `"`, and `""` inside it stands for one `"`. Unquoted fields are
 * returned verbatim, spaces included ({@link CsvHeader.toJson} trims them). A
 * newline inside quotes cannot occur: lines are split before parsing, so such a row
 * reports an unterminated quote.
 */
export function splitCsvLine(line: string, delimiter = ","): CsvSplit {
  const fields: Field[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let text = "";
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1)
          return { ok: false, error: `unterminated quote in field ${fields.length + 1}` };
        text += line.slice(j, q);
        if (line[q + 1] === '"') {
          text += '"';
          j = q + 2;
          continue;
        }
        j = q + 1;
        break;
      }
      if (j < n && !line.startsWith(delimiter, j)) {
        return { ok: false, error: `text after the closing quote of field ${fields.length + 1}` };
      }
      fields.push({ text, quoted: true });
      if (j >= n) return { ok: true, fields };
      i = j + delimiter.length;
    } else {
      const d = line.indexOf(delimiter, i);
      const end = d === -1 ? n : d;
      fields.push({ text: line.slice(i, end), quoted: false });
      if (d === -1) return { ok: true, fields };
      i = d + delimiter.length;
    }
  }
}

/** A header row: column names in order. */
export class CsvHeader {
  readonly columns: readonly string[];

  private constructor(columns: readonly string[]) {
    this.columns = columns;
  }

  /** Parses a header line; the error names the problem (empty or repeated column). */
  static parse(
    line: string,
    delimiter = ",",
  ): { ok: true; header: CsvHeader } | { ok: false; error: string } {
    const split = splitCsvLine(line, delimiter);
    if (!split.ok) return { ok: false, error: `bad CSV header: ${split.error}` };
    const columns = split.fields.map((f) => f.text.trim());
    const seen = new Set<string>();
    for (const [i, name] of columns.entries()) {
      if (name === "") return { ok: false, error: `CSV header column ${i + 1} has no name` };
      if (seen.has(name)) return { ok: false, error: `CSV header names column "${name}" twice` };
      seen.add(name);
    }
    return { ok: true, header: new CsvHeader(columns) };
  }

  /**
   * The JSON text of the object a data row stands for: column name → field. An
   * unquoted field that reads as a JSON number becomes a number; an empty unquoted
   * field is left out (so the reading validation reports a missing field, not a
   * wrong type). A row with another number of fields than the header, or that cannot
   * be split, returns `null`: the caller passes the raw line on, to be dead-lettered.
   */
  toJson(line: string, delimiter = ","): string | null {
    const split = splitCsvLine(line, delimiter);
    if (!split.ok || split.fields.length !== this.columns.length) return null;
    const out: Record<string, string | number> = Object.create(null);
    for (const [i, field] of split.fields.entries()) {
      const name = this.columns[i]!;
      if (field.quoted) {
        out[name] = field.text;
        continue;
      }
      const trimmed = field.text.trim();
      if (trimmed === "") continue;
      out[name] = NUMBER.test(trimmed) ? Number(trimmed) : trimmed;
    }
    return JSON.stringify(out);
  }
}

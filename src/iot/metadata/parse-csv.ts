/**
 * A small RFC 4180 CSV reader for metadata files.
 */

/** One data row of a CSV file: cells by header name, and the row's 1-based line. */
export interface CsvRow {
  readonly line: number;
  readonly cells: Record<string, string>;
}

/** A CSV file that cannot be read as a table; `line` is 1-based. */
export class CsvSyntaxError extends Error {
  override readonly name = "CsvSyntaxError";
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/**
 * Reads CSV text with a header row: fields separated by commas, optionally quoted with
 * `"` (a quote inside is doubled; quoted fields may hold commas and line breaks), lines
 * ended by LF or CRLF, a UTF-8 BOM ignored, blank lines skipped. Header names are
 * trimmed; cells are kept as written. A row with more or fewer cells than the header,
 * or an unclosed quote, throws a `CsvSyntaxError`.
 */
export function parseCsv(text: string): CsvRow[] {
  const records = tokenize(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  const header = records.shift();
  if (header === undefined) return [];
  const names = header.cells.map((name) => name.trim());
  return records.map(({ line, cells }) => {
    if (cells.length !== names.length) {
      throw new CsvSyntaxError(
        line,
        `expected ${names.length} cells like the header, got ${cells.length}`,
      );
    }
    const row: Record<string, string> = {};
    for (const [i, name] of names.entries()) row[name] = cells[i] ?? "";
    return { line, cells: row };
  });
}

function tokenize(text: string): { line: number; cells: string[] }[] {
  const out: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = "";
  let line = 1;
  let rowLine = 1;
  let i = 0;
  let quoted = false;
  let any = false;
  const endRow = () => {
    cells.push(cell);
    if (any || cells.length > 1 || cell !== "") out.push({ line: rowLine, cells });
    cells = [];
    cell = "";
    any = false;
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        if (c === "\n") line++;
        cell += c;
      }
      i++;
      continue;
    }
    if (c === '"') {
      quoted = true;
      any = true;
    } else if (c === ",") {
      cells.push(cell);
      cell = "";
      any = true;
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      cell += c;
    }
    i++;
  }
  if (quoted) throw new CsvSyntaxError(rowLine, "a quoted cell is not closed");
  if (cell !== "" || cells.length > 0 || any) endRow();
  return out;
}

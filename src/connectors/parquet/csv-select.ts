/**
 * The SQL that reads CSV files of encoded rows (written by `csv-text.ts`) back as the
 * archive's columns: DuckDB parses them in its own thread. The dialect is fixed,
 * nothing is sniffed: `,` between cells, `\n` after each row, `"` quotes and escapes
 * itself, the empty unquoted cell is NULL and the quoted one (`""`) the empty string.
 */
import { type ColumnSpec, csvTypeOf, loadExpression } from "./columns.js";

/** DuckDB's default `max_line_size`, in bytes. */
const DEFAULT_MAX_LINE_BYTES = 2_097_152;
/** The CSV column after a table's only column (always empty), so that no row is an empty line. */
const PAD_COLUMN = "_pad";

/**
 * `SELECT` of the rows of CSV `files` (absolute paths) as `columns`, with their names
 * and types; `longestLine` bounds their lines' length in UTF-16 code units.
 */
export function csvSelect(
  columns: readonly ColumnSpec[],
  files: readonly string[],
  longestLine: number,
): string {
  const read = columns.map((c) => `${literal(c.name)}: ${literal(csvTypeOf(c.type))}`);
  if (columns.length === 1) read.push(`${literal(PAD_COLUMN)}: 'VARCHAR'`);
  const select = columns.map((c) => `${loadExpression(c.type, quote(c.name))} AS ${quote(c.name)}`);
  // A code unit takes at most 3 bytes of UTF-8; the newline one more.
  const maxLineBytes = Math.max(DEFAULT_MAX_LINE_BYTES, longestLine * 3 + 1);
  return (
    `SELECT ${select.join(", ")} FROM read_csv([${files.map(literal).join(", ")}], ` +
    `columns = {${read.join(", ")}}, header = false, auto_detect = false, delim = ',', ` +
    `quote = '"', escape = '"', new_line = '\\n', allow_quoted_nulls = false, ` +
    // The default buffer (16 lines of the longest size) is slower to set up than to fill.
    `max_line_size = ${maxLineBytes}, buffer_size = ${2 * maxLineBytes})`
  );
}

/** An SQL identifier in double quotes. */
export function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** An SQL string literal. */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

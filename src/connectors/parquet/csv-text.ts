/**
 * CSV text of blocks of rows ({@link RowBlockData}), in the dialect
 * `csv-select.ts` reads: `,` between cells, `\n` after each row, numbers as
 * their shortest exact text, strings quoted (`"` doubled) when they hold `"`, `,`, CR
 * or LF, `""` for the empty string, and nothing for NULL.
 */
import { CELL_NUMBER, CELL_STRING, type RowBlockData } from "./row-block.js";

/** Characters that make a CSV cell need quotes. */
const NEEDS_QUOTES = /[",\r\n]/;
/** U+FEFF: DuckDB's CSV reader drops one at the start of a cell, so one is added. */
const BOM = 0xfeff;

/**
 * A string as a CSV cell that DuckDB's `read_csv` (quote and escape `"`,
 * `allow_quoted_nulls = false`) reads back exactly: `""` for the empty string (the empty
 * unquoted cell is NULL), quoted with `"` doubled when it holds `"`, `,`, CR or LF, and
 * with a U+FEFF put in front of a leading U+FEFF, which the reader removes.
 */
export function stringCell(value: string): string {
  if (value === "") return '""';
  const text = value.charCodeAt(0) === BOM ? `\uFEFF${value}` : value;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A number as a cell: `-0` keeps its sign (`String(-0)` is `"0"`); NaN and ±Infinity read back. */
export function numberCell(value: number): number | string {
  return value === 0 && 1 / value < 0 ? "-0" : value;
}

/**
 * Turns blocks into CSV text. Keeps the string dictionaries the blocks' codes refer
 * to, so it must see every block of a writer, in order.
 */
export class CsvFormatter {
  /** Per column, the cell text of each string code. */
  readonly #strings: string[][] = [];

  /** The CSV text of `block`, and the length of its longest line (UTF-16 code units). */
  format(block: RowBlockData): { text: string; longest: number } {
    const { rows, width, numbers, kinds } = block;
    const strings = this.#strings;
    while (strings.length < width) strings.push([]);
    for (const column of block.resets) strings[column] = [];
    block.added.forEach((value, k) => {
      (strings[block.addedColumns[k] as number] as string[]).push(stringCell(value));
    });
    // A lone column gets an empty cell after it, so that a NULL is not an empty line.
    const cells = new Array<number | string | null>(Math.max(width, 2)).fill(null);
    const lines = new Array<string>(rows);
    let longest = 0;
    for (let r = 0, i = 0; r < rows; r++) {
      for (let c = 0; c < width; c++, i++) {
        const kind = kinds[i];
        cells[c] =
          kind === CELL_NUMBER
            ? numberCell(numbers[i] as number)
            : kind === CELL_STRING
              ? ((strings[c] as string[])[numbers[i] as number] as string)
              : null;
      }
      const line = cells.join(",");
      if (line.length > longest) longest = line.length;
      lines[r] = line;
    }
    return { text: rows === 0 ? "" : `${lines.join("\n")}\n`, longest };
  }
}

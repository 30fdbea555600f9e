/**
 * Rows of checked cells (see `columns.ts`) in flat typed arrays, built by `write` on the
 * event loop and handed whole to the writer's DuckDB thread. A number cell holds its value,
 * a string cell the string's code in its column's dictionary ({@link StringCodes}), and
 * a kind per cell says which (or NULL). The typed arrays are transferred, not copied;
 * only strings new to a dictionary are copied, once.
 */

/** The kind of a cell in {@link RowBlockData.kinds}. */
export const CELL_NULL = 0;
export const CELL_NUMBER = 1;
export const CELL_STRING = 2;

/** What a {@link RowBlock} sends: `rows` × `width` cells, row by row. */
export interface RowBlockData {
  readonly rows: number;
  readonly width: number;
  /** A number cell's value, a string cell's code (other cells: unspecified). */
  readonly numbers: Float64Array<ArrayBuffer>;
  /** {@link CELL_NULL}, {@link CELL_NUMBER} or {@link CELL_STRING} per cell. */
  readonly kinds: Uint8Array<ArrayBuffer>;
  /** Columns whose dictionary starts over before this block. */
  readonly resets: readonly number[];
  /** Strings added to dictionaries by this block, in code order, and their columns. */
  readonly added: readonly string[];
  readonly addedColumns: readonly number[];
}

/** A growing block of rows. Per row: `reserve`, store every cell at `base + column`, `endRow`. */
export class RowBlock {
  readonly width: number;
  rows = 0;
  numbers: Float64Array<ArrayBuffer>;
  kinds: Uint8Array<ArrayBuffer>;
  readonly resets: readonly number[];
  readonly added: string[] = [];
  readonly addedColumns: number[] = [];

  /** `arrays`, when given, have `width × capacity` cells: used instead of new ones. */
  constructor(
    width: number,
    capacity: number,
    resets: readonly number[],
    arrays?: { numbers: Float64Array<ArrayBuffer>; kinds: Uint8Array<ArrayBuffer> },
  ) {
    this.width = width;
    this.numbers = arrays?.numbers ?? new Float64Array(width * capacity);
    this.kinds = arrays?.kinds ?? new Uint8Array(width * capacity);
    this.resets = resets;
  }

  /** Makes room for one more row; returns the index of its first cell. */
  reserve(): number {
    const base = this.rows * this.width;
    if (base + this.width > this.kinds.length) this.#grow();
    return base;
  }

  /** Keeps the row being built (a row never ended is overwritten by the next). */
  endRow(): void {
    this.rows++;
  }

  /** The rows, for sending with their typed arrays transferred; the block is not used after. */
  data(): RowBlockData {
    const { rows, width, numbers, kinds, resets, added, addedColumns } = this;
    return { rows, width, numbers, kinds, resets, added, addedColumns };
  }

  #grow(): void {
    const numbers = new Float64Array(Math.max(this.kinds.length * 2, this.width));
    numbers.set(this.numbers);
    const kinds = new Uint8Array(numbers.length);
    kinds.set(this.kinds);
    this.numbers = numbers;
    this.kinds = kinds;
  }
}

/** Most strings a column's dictionary keeps; past it, it starts over with the next block. */
const MAX_CODES = 65_536;

/**
 * The codes of string cells, per column: each distinct string is sent to the DuckDB
 * thread once, then by code (the thread keeps the same dictionaries, in block order).
 */
export class StringCodes {
  readonly #codes: Map<string, number>[];
  /** Per column, the string looked up or added last and its code: values often repeat. */
  readonly #lastString: (string | undefined)[];
  readonly #lastCode: number[];

  constructor(width: number) {
    this.#codes = Array.from({ length: width }, () => new Map());
    this.#lastString = new Array<string | undefined>(width).fill(undefined);
    this.#lastCode = new Array<number>(width).fill(0);
  }

  /** The code of `value` in `column`, or `undefined` when it has none yet. */
  lookup(column: number, value: string): number | undefined {
    if (this.#lastString[column] === value) return this.#lastCode[column];
    const code = this.#codes[column]?.get(value);
    if (code !== undefined) {
      this.#lastString[column] = value;
      this.#lastCode[column] = code;
    }
    return code;
  }

  /** Gives `value`, which has no code in `column` yet, the next one, and adds it to `block`. */
  add(block: RowBlock, column: number, value: string): number {
    const codes = this.#codes[column] as Map<string, number>;
    const code = codes.size;
    codes.set(value, code);
    block.added.push(value);
    block.addedColumns.push(column);
    this.#lastString[column] = value;
    this.#lastCode[column] = code;
    return code;
  }

  /** Starts over the dictionaries grown past their bound; returns their columns (for the next block). */
  trim(): number[] {
    const resets: number[] = [];
    this.#codes.forEach((codes, column) => {
      if (codes.size > MAX_CODES) {
        codes.clear();
        this.#lastString[column] = undefined;
        resets.push(column);
      }
    });
    return resets;
  }
}

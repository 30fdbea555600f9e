/**
 * Column specifications of the Parquet archive sink: the DuckDB types it supports, how
 * a JavaScript value of each is checked and turned into a cell (a number or a string)
 * that DuckDB stages (see `segment-store.ts` and `staged-select.ts`), and which
 * partition values can name a folder.
 */

/**
 * The DuckDB column types the archive accepts, and the JavaScript values each takes
 * (`null` and `undefined` are NULL in every column):
 *
 * - `VARCHAR`: a string;
 * - `BOOLEAN`: a boolean;
 * - `TINYINT`, `SMALLINT`, `INTEGER`: an integer number in the type's range;
 * - `BIGINT`: a safe integer number or a bigint in the 64-bit range;
 * - `FLOAT`, `DOUBLE`: a number;
 * - `DATE`: a `"YYYY-MM-DD"` string or a `Date` (its UTC day);
 * - `TIMESTAMP_MS`, `TIMESTAMP`, `TIMESTAMPTZ`: milliseconds since the Unix epoch
 *   (a number) or a `Date`, within the range of a `Date` (±8.64e15 ms). `TIMESTAMP_MS`
 *   keeps milliseconds, the others microseconds.
 */
export type ParquetColumnType =
  | "VARCHAR"
  | "BOOLEAN"
  | "TINYINT"
  | "SMALLINT"
  | "INTEGER"
  | "BIGINT"
  | "FLOAT"
  | "DOUBLE"
  | "DATE"
  | "TIMESTAMP_MS"
  | "TIMESTAMP"
  | "TIMESTAMPTZ";

/** One column of the archive: a name (letters, digits and `_`, starting with a letter) and a type. */
export interface ColumnSpec {
  readonly name: string;
  readonly type: ParquetColumnType;
}

/** Returned by an encoder for a value that does not fit the column. */
export const INVALID: unique symbol = Symbol("invalid");

/**
 * A checked value as DuckDB stages it: a number (kept as a DOUBLE), a string (kept in a
 * dictionary, by code) or `null` (NULL); `castOf` and `loadExpression` say how it
 * becomes the column's value.
 */
export type Cell = number | string | null;

/** Checks a JavaScript value against the column's type and turns it into its cell. */
export type Encoder = (value: unknown) => Cell | typeof INVALID;

const MS_PER_DAY = 86_400_000;
/** The range of a JavaScript `Date`, in epoch milliseconds. */
const MAX_MS = 8.64e15;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function integer(min: number, max: number): Encoder {
  return (v) =>
    v == null
      ? null
      : Number.isInteger(v) && (v as number) >= min && (v as number) <= max
        ? (v as number)
        : INVALID;
}

/** Epoch milliseconds of a finite number or a valid Date within the Date range. */
function millis(v: unknown): number | undefined {
  const ms = typeof v === "number" ? v : v instanceof Date ? v.getTime() : Number.NaN;
  return ms >= -MAX_MS && ms <= MAX_MS ? ms : undefined;
}

/** Days since the epoch of checked `"YYYY-MM-DD"` strings. */
const dayCache = new Map<string, number>();

function date(v: unknown): Cell | typeof INVALID {
  if (v == null) return null;
  if (typeof v === "string") {
    const cached = dayCache.get(v);
    if (cached !== undefined) return cached;
    const m = DAY.exec(v);
    if (m === null) return INVALID;
    // Not `Date.UTC`, which reads years 0–99 as 1900–1999.
    const back = new Date(0);
    back.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    if (back.getUTCDate() !== Number(m[3]) || back.getUTCMonth() !== Number(m[2]) - 1) {
      return INVALID;
    }
    const days = back.getTime() / MS_PER_DAY;
    if (dayCache.size >= 10_000) dayCache.clear();
    dayCache.set(v, days);
    return days;
  }
  const ms = v instanceof Date ? millis(v) : undefined;
  return ms === undefined ? INVALID : Math.floor(ms / MS_PER_DAY);
}

/** Which cells a column's encoder gives: numbers, strings or both. */
export type CellKinds = "number" | "string" | "both";

interface TypeInfo {
  readonly encode: Encoder;
  readonly cells: CellKinds;
  /** The type the staged cell is cast to. */
  readonly cast: string;
  /** SQL making the column's value of the cell cast to `cast` (`cell`, an SQL expression). */
  readonly load?: (cell: string) => string;
  readonly expected: string;
}

const number: Encoder = (v) => (v == null ? null : typeof v === "number" ? v : INVALID);

const TYPES: Record<ParquetColumnType, TypeInfo> = {
  VARCHAR: {
    encode: (v) => (v == null ? null : typeof v === "string" ? v : INVALID),
    cells: "string",
    cast: "VARCHAR",
    expected: "a string",
  },
  BOOLEAN: {
    encode: (v) => (v == null ? null : typeof v === "boolean" ? Number(v) : INVALID),
    cells: "number",
    cast: "BOOLEAN",
    expected: "a boolean",
  },
  TINYINT: {
    encode: integer(-128, 127),
    cells: "number",
    cast: "TINYINT",
    expected: "an integer in [-128, 127]",
  },
  SMALLINT: {
    encode: integer(-32_768, 32_767),
    cells: "number",
    cast: "SMALLINT",
    expected: "an integer in [-32768, 32767]",
  },
  INTEGER: {
    encode: integer(-2_147_483_648, 2_147_483_647),
    cells: "number",
    cast: "INTEGER",
    expected: "a 32-bit integer",
  },
  BIGINT: {
    encode: (v) => {
      if (v == null) return null;
      if (typeof v === "bigint") return v >= INT64_MIN && v <= INT64_MAX ? String(v) : INVALID;
      return Number.isSafeInteger(v) ? (v as number) : INVALID;
    },
    cells: "both",
    cast: "BIGINT",
    expected: "a safe integer or a 64-bit bigint",
  },
  FLOAT: {
    // Rounded to single precision here, as storing into a FLOAT does: staged as that
    // double, it casts to the same float exactly.
    encode: (v) => (v == null ? null : typeof v === "number" ? Math.fround(v) : INVALID),
    cells: "number",
    cast: "FLOAT",
    expected: "a number",
  },
  DOUBLE: { encode: number, cells: "number", cast: "DOUBLE", expected: "a number" },
  DATE: {
    encode: date,
    cells: "number",
    cast: "INTEGER",
    load: (cell) => `(DATE '1970-01-01' + ${cell})`,
    expected: 'a "YYYY-MM-DD" string or a Date',
  },
  TIMESTAMP_MS: {
    encode: (v) => {
      if (v == null) return null;
      const ms = millis(v);
      return ms === undefined ? INVALID : Math.round(ms);
    },
    cells: "number",
    cast: "BIGINT",
    load: (cell) => `CAST(make_timestamp_ms(${cell}) AS TIMESTAMP_MS)`,
    expected: "epoch milliseconds or a Date (within the range of a Date)",
  },
  TIMESTAMP: {
    encode: micros,
    cells: "number",
    cast: "BIGINT",
    load: (cell) => `make_timestamp(${cell})`,
    expected: "epoch milliseconds or a Date (within the range of a Date)",
  },
  TIMESTAMPTZ: {
    encode: micros,
    cells: "number",
    cast: "BIGINT",
    load: (cell) => `make_timestamptz(${cell})`,
    expected: "epoch milliseconds or a Date (within the range of a Date)",
  },
};

/** Epoch microseconds, an integer below 2^63 in magnitude. */
function micros(v: unknown): Cell | typeof INVALID {
  if (v == null) return null;
  const ms = millis(v);
  return ms === undefined ? INVALID : Math.round(ms * 1000);
}

/** The encoder of a column type. */
export function encoderOf(type: ParquetColumnType): Encoder {
  return TYPES[type].encode;
}

/** Which cells a column's encoder gives. */
export function cellsOf(type: ParquetColumnType): CellKinds {
  return TYPES[type].cells;
}

/** The type a column's staged cells are cast to before {@link loadExpression}. */
export function castOf(type: ParquetColumnType): string {
  return TYPES[type].cast;
}

/** SQL turning `cell`, a staged cell cast to {@link castOf}, into a value of `type`. */
export function loadExpression(type: ParquetColumnType, cell: string): string {
  return TYPES[type].load?.(cell) ?? cell;
}

/** What a column type takes, for error messages. */
export function expectedOf(type: ParquetColumnType): string {
  return TYPES[type].expected;
}

/** Whether `type` is a supported column type. */
export function isColumnType(type: unknown): type is ParquetColumnType {
  return typeof type === "string" && Object.hasOwn(TYPES, type);
}

/** Column names: an SQL identifier that also makes a plain, visible folder name. */
export const COLUMN_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** The folder name DuckDB writes for NULL partition values; it reads back as NULL. */
export const NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__";

/** Longest folder name most filesystems accept, in bytes. */
const MAX_SEGMENT_BYTES = 255;
const UNESCAPED = /[A-Za-z0-9._~-]/;

/**
 * Why a string cannot be the value of partition column `column`, or `undefined` when it
 * can. DuckDB percent-encodes partition values (`/` becomes `%2F`, `=` `%3D`, …), so
 * any character is safe in a folder name; what remains is the literal
 * `__HIVE_DEFAULT_PARTITION__` (it would read back as NULL) and values whose encoded
 * folder name (`column=value`) exceeds 255 bytes. The length counts every character
 * outside `A-Z a-z 0-9 . _ ~ -` as escaped, which bounds DuckDB's encoding from above.
 */
export function partitionValueProblem(column: string, value: string): string | undefined {
  if (value === NULL_PARTITION) {
    return `"${NULL_PARTITION}" is how NULL partitions are named; it cannot be a value`;
  }
  let bytes = column.length + 1;
  for (const char of value) {
    bytes += UNESCAPED.test(char) ? 1 : 3 * Buffer.byteLength(char);
  }
  if (bytes > MAX_SEGMENT_BYTES) {
    return `the value ${JSON.stringify(value.slice(0, 40))}… makes a folder name of ${bytes} bytes, over ${MAX_SEGMENT_BYTES}`;
  }
  return undefined;
}

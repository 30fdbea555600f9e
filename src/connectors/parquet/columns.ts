/**
 * Column specifications of the Parquet archive sink: the DuckDB types it supports,
 * how a JavaScript value becomes a DuckDB value of each, and which partition values
 * can name a folder.
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBDateValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  type DuckDBValue,
  FLOAT,
  INTEGER,
  SMALLINT,
  TIMESTAMP,
  TIMESTAMP_MS,
  TIMESTAMPTZ,
  TINYINT,
  VARCHAR,
} from "@duckdb/node-api";

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
 *   (a number) or a `Date`. `TIMESTAMP_MS` keeps milliseconds, the others microseconds.
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

/** Returned by a converter for a value that does not fit the column. */
export const INVALID: unique symbol = Symbol("invalid");

/** Turns a JavaScript value into what a DuckDB vector of the column's type takes. */
export type Converter = (value: unknown) => DuckDBValue | null | typeof INVALID;

const MS_PER_DAY = 86_400_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function integer(min: number, max: number): Converter {
  return (v) =>
    v == null
      ? null
      : Number.isInteger(v) && (v as number) >= min && (v as number) <= max
        ? (v as number)
        : INVALID;
}

function millis(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (v instanceof Date) {
    const ms = v.getTime();
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function micros(make: (micros: bigint) => DuckDBValue): Converter {
  return (v) => {
    if (v == null) return null;
    const ms = millis(v);
    return ms === undefined ? INVALID : make(BigInt(Math.round(ms * 1000)));
  };
}

const dayCache = new Map<string, DuckDBDateValue>();

function date(v: unknown): DuckDBValue | null | typeof INVALID {
  if (v == null) return null;
  if (typeof v === "string") {
    const cached = dayCache.get(v);
    if (cached !== undefined) return cached;
    const m = DAY.exec(v);
    if (m === null) return INVALID;
    const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    const back = new Date(ms);
    if (back.getUTCDate() !== Number(m[3]) || back.getUTCMonth() !== Number(m[2]) - 1) {
      return INVALID;
    }
    const value = new DuckDBDateValue(ms / MS_PER_DAY);
    if (dayCache.size >= 10_000) dayCache.clear();
    dayCache.set(v, value);
    return value;
  }
  const ms = millis(v instanceof Date ? v : undefined);
  return ms === undefined ? INVALID : new DuckDBDateValue(Math.floor(ms / MS_PER_DAY));
}

interface TypeInfo {
  readonly type: DuckDBType;
  readonly convert: Converter;
  readonly expected: string;
}

const TYPES: Record<ParquetColumnType, TypeInfo> = {
  VARCHAR: {
    type: VARCHAR,
    convert: (v) => (v == null ? null : typeof v === "string" ? v : INVALID),
    expected: "a string",
  },
  BOOLEAN: {
    type: BOOLEAN,
    convert: (v) => (v == null ? null : typeof v === "boolean" ? v : INVALID),
    expected: "a boolean",
  },
  TINYINT: { type: TINYINT, convert: integer(-128, 127), expected: "an integer in [-128, 127]" },
  SMALLINT: {
    type: SMALLINT,
    convert: integer(-32_768, 32_767),
    expected: "an integer in [-32768, 32767]",
  },
  INTEGER: {
    type: INTEGER,
    convert: integer(-2_147_483_648, 2_147_483_647),
    expected: "a 32-bit integer",
  },
  BIGINT: {
    type: BIGINT,
    convert: (v) => {
      if (v == null) return null;
      if (typeof v === "bigint") return v >= INT64_MIN && v <= INT64_MAX ? v : INVALID;
      return Number.isSafeInteger(v) ? BigInt(v as number) : INVALID;
    },
    expected: "a safe integer or a 64-bit bigint",
  },
  FLOAT: {
    type: FLOAT,
    convert: (v) => (v == null ? null : typeof v === "number" ? v : INVALID),
    expected: "a number",
  },
  DOUBLE: {
    type: DOUBLE,
    convert: (v) => (v == null ? null : typeof v === "number" ? v : INVALID),
    expected: "a number",
  },
  DATE: { type: DATE, convert: date, expected: 'a "YYYY-MM-DD" string or a Date' },
  TIMESTAMP_MS: {
    type: TIMESTAMP_MS,
    convert: (v) => {
      if (v == null) return null;
      const ms = millis(v);
      return ms === undefined
        ? INVALID
        : new DuckDBTimestampMillisecondsValue(BigInt(Math.round(ms)));
    },
    expected: "epoch milliseconds or a Date",
  },
  TIMESTAMP: {
    type: TIMESTAMP,
    convert: micros((us) => new DuckDBTimestampValue(us)),
    expected: "epoch milliseconds or a Date",
  },
  TIMESTAMPTZ: {
    type: TIMESTAMPTZ,
    convert: micros((us) => new DuckDBTimestampTZValue(us)),
    expected: "epoch milliseconds or a Date",
  },
};

/** The DuckDB type object of a column type. */
export function duckdbType(type: ParquetColumnType): DuckDBType {
  return TYPES[type].type;
}

/** The converter of a column type. */
export function converterOf(type: ParquetColumnType): Converter {
  return TYPES[type].convert;
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

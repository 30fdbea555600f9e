/**
 * The SQL of a segment's staging tables (see `segment-store.ts`): the table of rows, in
 * which a column keeps its number cells as a DOUBLE and its string cells as codes, and
 * the dictionary of those codes; and the `SELECT` that reads them back as the archive's
 * columns, with their names and types.
 */
import { type ColumnSpec, castOf, cellsOf, loadExpression } from "./columns.js";

/** A staging column: the archive column it holds, and which of its cells. */
export interface StagedColumn {
  /** Index of the archive column. */
  readonly column: number;
  readonly cells: "number" | "string";
  /** Its name in the staging table. */
  readonly name: string;
}

/** The staging columns of `columns`: one or two per archive column, in order. */
export function stagedColumns(columns: readonly ColumnSpec[]): StagedColumn[] {
  const staged: StagedColumn[] = [];
  columns.forEach((spec, column) => {
    const cells = cellsOf(spec.type);
    if (cells !== "string") staged.push({ column, cells: "number", name: `n${column}` });
    if (cells !== "number") staged.push({ column, cells: "string", name: `s${column}` });
  });
  return staged;
}

/** `CREATE TABLE` of the rows table `table`. */
export function createRowsTable(table: string, staged: readonly StagedColumn[]): string {
  const columns = staged.map((s) => `${s.name} ${s.cells === "number" ? "DOUBLE" : "UINTEGER"}`);
  return `CREATE TABLE ${table} (${columns.join(", ")})`;
}

/** `CREATE TABLE` of the dictionary `table`: string `s` of each code `code`. */
export function createDictionaryTable(table: string): string {
  return `CREATE TABLE ${table} (code UINTEGER, s VARCHAR)`;
}

/** `SELECT` of the rows of `rows` as `columns`, their strings looked up in `dictionary`. */
export function stagedSelect(
  columns: readonly ColumnSpec[],
  rows: string,
  dictionary: string,
): string {
  const select = columns.map((spec, column) => {
    const cast = castOf(spec.type);
    const number = `CAST(r.n${column} AS ${cast})`;
    // Codes count from 0, lists from 1.
    const string = `CAST(d.strings[r.s${column} + 1] AS ${cast})`;
    const cells = cellsOf(spec.type);
    const cell =
      cells === "number" ? number : cells === "string" ? string : `COALESCE(${number}, ${string})`;
    return `${loadExpression(spec.type, cell)} AS ${quote(spec.name)}`;
  });
  return (
    `SELECT ${select.join(", ")} FROM ${rows} AS r, ` +
    `(SELECT list(s ORDER BY code) AS strings FROM ${dictionary}) AS d`
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

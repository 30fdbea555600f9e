/**
 * Loading the plant metadata from a folder of JSON or CSV files.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { MetadataError } from "./errors.js";
import { type MetadataKind, unflattenRecord } from "./flat-record.js";
import { buildMetadataSet, type MetadataSet, type SourceRecords } from "./metadata-set.js";
import { CsvSyntaxError, parseCsv } from "./parse-csv.js";

/** The three files of a metadata folder, without extension. */
export const METADATA_KINDS: readonly MetadataKind[] = ["facilities", "sensors", "equipment"];

/**
 * The file a folder holds for `kind`: `<kind>.json` or `<kind>.csv`. Throws a
 * `MetadataError` when neither or both exist.
 */
export async function findMetadataFile(dir: string, kind: MetadataKind): Promise<string> {
  const candidates = [path.join(dir, `${kind}.json`), path.join(dir, `${kind}.csv`)];
  const present: string[] = [];
  for (const file of candidates) {
    if (
      await stat(file).then(
        (s) => s.isFile(),
        () => false,
      )
    )
      present.push(file);
  }
  if (present.length === 0) {
    throw new MetadataError({
      file: candidates[0]!,
      problem: `missing: expected ${kind}.json or ${kind}.csv in ${dir}`,
    });
  }
  if (present.length > 1) {
    throw new MetadataError({
      file: candidates[0]!,
      problem: `ambiguous: both ${kind}.json and ${kind}.csv exist; keep one`,
    });
  }
  return present[0]!;
}

/**
 * Reads `facilities`, `sensors` and `equipment` (each `.json` — an array of objects — or
 * `.csv` — a header row, thresholds as `warning_min`… columns, production lines
 * separated by `;`, shifts as `name=HH:MM-HH:MM;…`) from `dir`, and validates them.
 * Rejects with a `MetadataError` naming the file, the record and the field.
 */
export async function loadMetadataFolder(dir: string): Promise<MetadataSet> {
  const [facilities, sensors, equipment] = await Promise.all(
    METADATA_KINDS.map(async (kind) => readSource(await findMetadataFile(dir, kind), kind)),
  );
  return buildMetadataSet({ facilities: facilities!, sensors: sensors!, equipment: equipment! });
}

async function readSource(file: string, kind: MetadataKind): Promise<SourceRecords> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new MetadataError(
      { file, problem: `cannot be read (${(error as Error).message})` },
      { cause: error },
    );
  }
  return file.endsWith(".csv") ? csvRecords(file, kind, text) : jsonRecords(file, text);
}

function jsonRecords(file: string, text: string): SourceRecords {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new MetadataError(
      { file, problem: `is not valid JSON (${(error as Error).message})` },
      { cause: error },
    );
  }
  if (!Array.isArray(parsed)) {
    throw new MetadataError({ file, problem: "expected a JSON array of records" });
  }
  return { file, records: parsed.map((value, i) => ({ value, location: `record ${i}` })) };
}

function csvRecords(file: string, kind: MetadataKind, text: string): SourceRecords {
  let rows: ReturnType<typeof parseCsv>;
  try {
    rows = parseCsv(text);
  } catch (error) {
    if (error instanceof CsvSyntaxError) {
      throw new MetadataError({
        file,
        record: `line ${error.line}`,
        problem: error.message.replace(/^line \d+: /, ""),
      });
    }
    throw error;
  }
  return {
    file,
    records: rows.map(({ line, cells }) => {
      const location = `line ${line}`;
      return { value: unflattenRecord(kind, cells, { file, location }), location };
    }),
  };
}

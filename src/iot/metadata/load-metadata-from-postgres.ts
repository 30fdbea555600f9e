/**
 * Loading the plant metadata from PostgreSQL tables instead of files.
 */
import type pg from "pg";
import { pgLibrary } from "../../connectors/postgres/pg-library.js";
import { MetadataError } from "./errors.js";
import { type MetadataKind, unflattenRecord } from "./flat-record.js";
import { METADATA_KINDS } from "./load-metadata-folder.js";
import { buildMetadataSet, type MetadataSet, type SourceRecords } from "./metadata-set.js";

/** Options of {@link loadMetadataFromPostgres}. */
export interface PostgresMetadataOptions {
  /** The schema holding the tables. Letters, digits and `_`. Default `public`. */
  readonly schema?: string;
}

/** Something that runs a query: a `pg.Pool` or a connected `pg.Client`. */
export type PgQueryable = Pick<pg.Pool, "query"> | Pick<pg.Client, "query">;

/**
 * Reads the tables `facilities`, `sensors` and `equipment` of `schema` and validates them
 * exactly like the files. Columns are those of the CSV files: the alert thresholds as
 * `warning_min`, `warning_max`, `critical_min`, `critical_max` (any numeric type),
 * `production_lines` as `text[]` or `;`-separated text, optional `shifts` as `jsonb`
 * (an array of `{name, start, end}`) or `name=HH:MM-HH:MM;…` text, `calibration_date`
 * as `date` or text. Rows are read ordered by their id column,
 * so messages name stable positions. `db` is a pool or client (left open) or a
 * connection string (a client is opened and closed). Rejects with a `MetadataError`
 * naming the table, the row and the field.
 */
export async function loadMetadataFromPostgres(
  db: PgQueryable | string,
  options: PostgresMetadataOptions = {},
): Promise<MetadataSet> {
  const schema = options.schema ?? "public";
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new MetadataError({
      file: "postgres",
      problem: `schema ${JSON.stringify(schema)}: expected letters, digits and _`,
    });
  }
  let client: pg.Client | undefined;
  let queryable: PgQueryable;
  if (typeof db === "string") {
    client = new (pgLibrary().Client)({ connectionString: db });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new MetadataError(
        { file: "postgres", problem: `cannot connect (${(error as Error).message})` },
        { cause: error },
      );
    }
    queryable = client;
  } else {
    queryable = db;
  }
  try {
    const sources: SourceRecords[] = [];
    for (const kind of METADATA_KINDS) sources.push(await readTable(queryable, schema, kind));
    const [facilities, sensors, equipment] = sources;
    return buildMetadataSet({ facilities: facilities!, sensors: sensors!, equipment: equipment! });
  } finally {
    await client?.end().catch(() => undefined);
  }
}

const ID_COLUMN: Record<MetadataKind, string> = {
  facilities: "facility_id",
  sensors: "sensor_id",
  equipment: "equipment_id",
};

async function readTable(
  db: PgQueryable,
  schema: string,
  kind: MetadataKind,
): Promise<SourceRecords> {
  const file = `postgres table ${schema}.${kind}`;
  let rows: Record<string, unknown>[];
  try {
    const result = await db.query(
      `SELECT * FROM "${schema}"."${kind}" ORDER BY "${ID_COLUMN[kind]}"`,
    );
    rows = result.rows as Record<string, unknown>[];
  } catch (error) {
    throw new MetadataError(
      { file, problem: `cannot be read (${(error as Error).message})` },
      { cause: error },
    );
  }
  return {
    file,
    records: rows.map((row, i) => {
      const location = `row ${i + 1}`;
      return { value: unflattenRecord(kind, row, { file, location }), location };
    }),
  };
}

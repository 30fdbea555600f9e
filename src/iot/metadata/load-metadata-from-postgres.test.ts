import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { requirePostgres, TEST_POSTGRES_URL } from "../../connectors/checkpoint/test-postgres.js";
import { MetadataError } from "./errors.js";
import { loadMetadataFromPostgres } from "./load-metadata-from-postgres.js";

const availability = await requirePostgres();
const SCHEMA = `millstream_meta_${process.pid}_${Date.now() % 100_000}`;

describe("loadMetadataFromPostgres", { skip: availability.skip }, () => {
  let pool: pg.Pool;

  before(async () => {
    pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 2 });
    await pool.query(`
      CREATE SCHEMA ${SCHEMA};
      CREATE TABLE ${SCHEMA}.facilities (
        facility_id text PRIMARY KEY, facility_name text, location text, timezone text,
        production_lines text[], shifts jsonb);
      CREATE TABLE ${SCHEMA}.equipment (
        equipment_id text PRIMARY KEY, facility_id text, production_line text,
        equipment_class text, criticality text);
      CREATE TABLE ${SCHEMA}.sensors (
        sensor_id text PRIMARY KEY, facility_id text, equipment_id text, production_line text,
        sensor_type text, maintenance_schedule text, calibration_date date,
        warning_min numeric, warning_max double precision, critical_min numeric, critical_max numeric);
      INSERT INTO ${SCHEMA}.facilities VALUES
        ('FAC-BER', 'Berlin Works', 'Berlin, DE', 'Europe/Berlin', ARRAY['L1','L2'], NULL),
        ('FAC-NYC', 'Brooklyn Plant', 'New York, US', 'America/New_York', ARRAY['A'],
         '[{"name":"day","start":"07:00","end":"19:00"},{"name":"night","start":"19:00","end":"07:00"}]');
      INSERT INTO ${SCHEMA}.equipment VALUES
        ('REACTOR-1', 'FAC-BER', 'L1', 'reactor', 'critical'),
        ('PRESS-2', 'FAC-NYC', 'A', 'press', 'high');
      INSERT INTO ${SCHEMA}.sensors VALUES
        ('TEMP-001', 'FAC-BER', 'REACTOR-1', 'L1', 'temperature', 'weekly', '2025-01-10', 10.5, 80, NULL, 95),
        ('PWR-003', 'FAC-NYC', 'PRESS-2', 'A', 'power', NULL, NULL, NULL, NULL, NULL, NULL);
    `);
  });

  after(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
    await pool?.end();
  });

  it("reads the three tables through a pool", async () => {
    const set = await loadMetadataFromPostgres(pool, { schema: SCHEMA });
    assert.deepEqual([set.facilities.size, set.equipment.size, set.sensors.size], [2, 2, 2]);
    const temp = set.sensors.get("TEMP-001")!;
    assert.deepEqual(temp.alert_thresholds, {
      warning_min: 10.5,
      warning_max: 80,
      critical_max: 95,
    });
    assert.equal(temp.calibration_date, "2025-01-10");
    assert.equal(temp.maintenance_schedule, "weekly");
    assert.deepEqual(set.sensors.get("PWR-003")!.alert_thresholds, {});
    assert.deepEqual(set.facilities.get("FAC-BER")!.production_lines, ["L1", "L2"]);
    assert.deepEqual(
      set.facilities.get("FAC-NYC")!.shifts.map((s) => `${s.name} ${s.start}-${s.end}`),
      ["day 07:00-19:00", "night 19:00-07:00"],
    );
    assert.equal(set.equipment.get("PRESS-2")!.criticality, "high");
  });

  it("reads through a connection string and names the table, row and field of a bad value", async () => {
    await pool.query(
      `UPDATE ${SCHEMA}.equipment SET criticality = 'extreme' WHERE equipment_id = 'PRESS-2'`,
    );
    try {
      await assert.rejects(
        loadMetadataFromPostgres(TEST_POSTGRES_URL, { schema: SCHEMA }),
        (error: unknown) =>
          error instanceof MetadataError &&
          error.file === `postgres table ${SCHEMA}.equipment` &&
          error.record === 'row 1 (equipment_id "PRESS-2")' &&
          error.field === "criticality",
      );
    } finally {
      await pool.query(
        `UPDATE ${SCHEMA}.equipment SET criticality = 'high' WHERE equipment_id = 'PRESS-2'`,
      );
    }
    const set = await loadMetadataFromPostgres(TEST_POSTGRES_URL, { schema: SCHEMA });
    assert.equal(set.equipment.get("PRESS-2")!.criticality, "high");
  });

  it("reports a missing table and refuses a bad schema name", async () => {
    await assert.rejects(
      loadMetadataFromPostgres(pool, { schema: "no_such_schema_here" }),
      /postgres table no_such_schema_here.facilities: cannot be read \(relation .* does not exist\)/,
    );
    await assert.rejects(loadMetadataFromPostgres(pool, { schema: 'x"; DROP' }), MetadataError);
  });
});

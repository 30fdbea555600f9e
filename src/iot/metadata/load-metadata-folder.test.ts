import assert from "node:assert/strict";
import { rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { after, describe, it } from "node:test";
import { MetadataError } from "./errors.js";
import { loadMetadataFolder } from "./load-metadata-folder.js";
import { DEFAULT_SHIFTS } from "./shift-definition.js";
import { EQUIPMENT, FACILITIES, SENSORS, writeMetadataFolder } from "./test-metadata.js";

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function folder(overrides: Parameters<typeof writeMetadataFolder>[0] = {}): Promise<string> {
  const dir = await writeMetadataFolder(overrides);
  dirs.push(dir);
  return dir;
}

async function loadError(dir: string): Promise<MetadataError> {
  try {
    await loadMetadataFolder(dir);
  } catch (error) {
    assert.ok(error instanceof MetadataError, String(error));
    return error;
  }
  return assert.fail("expected a MetadataError");
}

describe("loadMetadataFolder (JSON)", () => {
  it("loads and validates the three files", async () => {
    const set = await loadMetadataFolder(await folder());
    assert.deepEqual([set.facilities.size, set.sensors.size, set.equipment.size], [2, 4, 3]);
    const temp = set.sensors.get("TEMP-001")!;
    assert.deepEqual(temp.alert_thresholds, { warning_min: 10, warning_max: 80, critical_max: 95 });
    assert.equal(temp.calibration_date, "2025-01-10");
    assert.equal(set.sensors.get("VIB-002")!.maintenance_schedule, null);
    assert.deepEqual(set.sensors.get("VIB-002")!.alert_thresholds, {});
    assert.equal(set.facilities.get("FAC-BER")!.shifts, DEFAULT_SHIFTS);
    assert.deepEqual(
      set.facilities.get("FAC-NYC")!.shifts.map((s) => s.name),
      ["day", "night"],
    );
    assert.equal(set.equipment.get("REACTOR-1")!.criticality, "critical");
  });

  it("names file, record, id and field of an invalid value", async () => {
    const sensors = SENSORS.map((s, i) =>
      i === 1 ? { ...s, alert_thresholds: { warning_min: "high" } } : s,
    );
    const dir = await folder({ sensors });
    const error = await loadError(dir);
    assert.equal(error.file, path.join(dir, "sensors.json"));
    assert.equal(error.record, 'record 1 (sensor_id "VIB-002")');
    assert.equal(error.field, "alert_thresholds.warning_min");
    assert.equal(
      error.message,
      `${path.join(dir, "sensors.json")}: record 1 (sensor_id "VIB-002"), field alert_thresholds.warning_min: expected a finite number, got the string "high"`,
    );
  });

  it("rejects a bad time zone, criticality, missing field and duplicate id", async () => {
    const tz = await loadError(
      await folder({ facilities: [{ ...FACILITIES[0], timezone: "Mars/Olympus" }, FACILITIES[1]] }),
    );
    assert.deepEqual([tz.field, tz.record], ["timezone", 'record 0 (facility_id "FAC-BER")']);
    assert.match(tz.message, /expected an IANA time zone/);
    const crit = await loadError(
      await folder({
        equipment: [...EQUIPMENT.slice(0, 2), { ...EQUIPMENT[2], criticality: "urgent" }],
      }),
    );
    assert.equal(crit.field, "criticality");
    assert.match(
      crit.message,
      /expected one of low, medium, high, critical, got the string "urgent"/,
    );
    const { facility_name: _, ...noName } = FACILITIES[1]!;
    const missing = await loadError(await folder({ facilities: [FACILITIES[0], noName] }));
    assert.deepEqual(
      [missing.record, missing.field, missing.problem],
      ['record 1 (facility_id "FAC-NYC")', "facility_name", "required field is missing"],
    );
    const dup = await loadError(await folder({ sensors: [...SENSORS, SENSORS[0]] }));
    assert.equal(dup.record, 'record 4 (sensor_id "TEMP-001")');
    assert.match(dup.problem, /duplicate id "TEMP-001", already used by record 0/);
  });

  it("rejects references that do not resolve", async () => {
    const error = await loadError(
      await folder({ sensors: [{ ...SENSORS[0], equipment_id: "GHOST" }] }),
    );
    assert.deepEqual(
      [error.field, error.record],
      ["equipment_id", 'record 0 (sensor_id "TEMP-001")'],
    );
    const line = await loadError(
      await folder({ sensors: [{ ...SENSORS[0], production_line: "L9" }] }),
    );
    assert.equal(line.field, "production_line");
  });

  it("rejects overlapping shifts and names the shift", async () => {
    const shifts = [
      { name: "early", start: "06:00", end: "15:00" },
      { name: "late", start: "14:00", end: "23:00" },
    ];
    const error = await loadError(
      await folder({ facilities: [{ ...FACILITIES[0], shifts }, FACILITIES[1]] }),
    );
    assert.equal(error.field, "shifts[1]");
    assert.match(error.problem, /"late" overlaps shift "early"/);
  });

  it("reports a file that is not JSON, not an array, or missing", async () => {
    const dir = await folder({ equipment: "[{ oops" });
    const notJson = await loadError(dir);
    assert.equal(notJson.file, path.join(dir, "equipment.json"));
    assert.match(notJson.problem, /is not valid JSON/);
    const notArray = await loadError(await folder({ sensors: { sensor_id: "x" } }));
    assert.equal(notArray.problem, "expected a JSON array of records");
    const gone = await folder();
    await rm(path.join(gone, "sensors.json"));
    assert.match((await loadError(gone)).problem, /missing: expected sensors.json or sensors.csv/);
  });
});

describe("loadMetadataFolder (CSV)", () => {
  it("reads CSV files with threshold columns, lists and shifts", async () => {
    const dir = await folder();
    for (const name of ["facilities", "sensors"]) await rm(path.join(dir, `${name}.json`));
    await writeFile(
      path.join(dir, "facilities.csv"),
      [
        "facility_id,facility_name,location,timezone,production_lines,shifts",
        'FAC-BER,Berlin Works,"Berlin, DE",Europe/Berlin,L1;L2,',
        'FAC-NYC,Brooklyn Plant,"New York, US",America/New_York,A,day=07:00-19:00;night=19:00-07:00',
      ].join("\r\n"),
    );
    await writeFile(
      path.join(dir, "sensors.csv"),
      [
        "sensor_id,facility_id,equipment_id,production_line,sensor_type,maintenance_schedule,calibration_date,warning_min,warning_max,critical_min,critical_max",
        "TEMP-001,FAC-BER,REACTOR-1,L1,temperature,weekly,2025-01-10,10,80,,95",
        "PWR-003,FAC-NYC,PRESS-2,A,power,,,,,,",
      ].join("\n"),
    );
    const set = await loadMetadataFolder(dir);
    assert.deepEqual(set.facilities.get("FAC-BER")!.production_lines, ["L1", "L2"]);
    assert.equal(set.facilities.get("FAC-BER")!.location, "Berlin, DE");
    assert.deepEqual(set.facilities.get("FAC-NYC")!.shifts, [
      { name: "day", start: "07:00", end: "19:00" },
      { name: "night", start: "19:00", end: "07:00" },
    ]);
    assert.deepEqual(set.sensors.get("TEMP-001")!.alert_thresholds, {
      warning_min: 10,
      warning_max: 80,
      critical_max: 95,
    });
    assert.equal(set.sensors.get("PWR-003")!.calibration_date, null);
  });

  it("names the CSV line and column of a bad cell", async () => {
    const dir = await folder();
    await rm(path.join(dir, "sensors.json"));
    await writeFile(
      path.join(dir, "sensors.csv"),
      "sensor_id,facility_id,equipment_id,production_line,sensor_type,warning_max\nTEMP-001,FAC-BER,REACTOR-1,L1,temperature,80\nVIB-002,FAC-BER,PUMP-7,L2,vibration,lots\n",
    );
    const error = await loadError(dir);
    assert.equal(error.file, path.join(dir, "sensors.csv"));
    assert.equal(error.record, 'line 3 (sensor_id "VIB-002")');
    assert.equal(error.field, "alert_thresholds.warning_max");
    await writeFile(path.join(dir, "sensors.json"), "[]");
    assert.match((await loadError(dir)).problem, /ambiguous: both sensors.json and sensors.csv/);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MetadataCatalog } from "../metadata/metadata-catalog.js";
import { buildMetadataSet } from "../metadata/metadata-set.js";
import { EQUIPMENT, FACILITIES, SENSORS } from "../metadata/test-metadata.js";
import type { Reading } from "../reading/reading.js";
import { enrichReading } from "./enrich-reading.js";
import { FacilityCalendars } from "./facility-calendars.js";

const records = (file: string, rows: unknown[]) => ({
  file,
  records: rows.map((value, i) => ({ value, location: `record ${i}` })),
});
const catalog = new MetadataCatalog(
  buildMetadataSet({
    facilities: records("facilities.json", FACILITIES),
    sensors: records("sensors.json", SENSORS),
    equipment: records("equipment.json", EQUIPMENT),
  }),
);

function reading(sensor_id: string, facility_id: string, iso: string): Reading {
  return {
    sensor_id,
    facility_id,
    timestamp: Date.parse(iso),
    sensor_type: "temperature",
    quality_score: 0.9,
    value: 70,
    temperature_celsius: 70,
  };
}

function local(sensor: string, facility: string, iso: string) {
  const e = enrichReading(reading(sensor, facility, iso), catalog, new FacilityCalendars());
  return { hour: e.hour_of_day, day: e.day_of_week, shift: e.shift };
}

describe("enrichReading", () => {
  it("joins sensor, equipment and facility metadata", () => {
    const e = enrichReading(
      reading("TEMP-001", "FAC-BER", "2025-01-15T10:00:00Z"),
      catalog,
      new FacilityCalendars(),
    );
    assert.equal(e.known_sensor, true);
    assert.equal(e.equipment_id, "REACTOR-1");
    assert.equal(e.production_line, "L1");
    assert.equal(e.equipment_class, "reactor");
    assert.equal(e.criticality, "critical");
    assert.equal(e.facility_name, "Berlin Works");
    assert.equal(e.timezone, "Europe/Berlin");
    assert.deepEqual(e.thresholds, { warning_min: 10, warning_max: 80, critical_max: 95 });
    assert.equal(e.value, 70);
    assert.equal(e.temperature_celsius, 70);
    assert.deepEqual([e.hour_of_day, e.day_of_week, e.shift], [11, 3, "morning"]);
  });

  it("keeps a reading of an unknown sensor with nulls", () => {
    const e = enrichReading(
      reading("GHOST-1", "FAC-NYC", "2025-01-15T12:00:00Z"),
      catalog,
      new FacilityCalendars(),
    );
    assert.equal(e.known_sensor, false);
    assert.deepEqual(
      [e.equipment_id, e.production_line, e.equipment_class, e.criticality, e.thresholds],
      [null, null, null, null, null],
    );
    assert.equal(e.facility_name, "Brooklyn Plant");
    assert.equal(e.timezone, "America/New_York");
    assert.equal(e.hour_of_day, 7);
    const nowhere = enrichReading(
      reading("GHOST-1", "FAC-XX", "2025-01-15T12:00:00Z"),
      catalog,
      new FacilityCalendars(),
    );
    assert.deepEqual(
      [nowhere.facility_name, nowhere.timezone, nowhere.hour_of_day, nowhere.shift],
      [null, "UTC", 12, "morning"],
    );
  });

  it("applies the default shifts in local time, the night shift across midnight", () => {
    assert.deepEqual(local("TEMP-001", "FAC-BER", "2025-01-15T04:59:59Z"), {
      hour: 5,
      day: 3,
      shift: "night",
    });
    assert.deepEqual(local("TEMP-001", "FAC-BER", "2025-01-15T05:00:00Z"), {
      hour: 6,
      day: 3,
      shift: "morning",
    });
    assert.deepEqual(local("TEMP-001", "FAC-BER", "2025-01-15T13:00:00Z"), {
      hour: 14,
      day: 3,
      shift: "afternoon",
    });
    assert.deepEqual(local("TEMP-001", "FAC-BER", "2025-01-15T21:00:00Z"), {
      hour: 22,
      day: 3,
      shift: "night",
    });
    assert.deepEqual(local("TEMP-001", "FAC-BER", "2025-01-15T23:30:00Z"), {
      hour: 0,
      day: 4,
      shift: "night",
    });
  });

  it("applies a facility's own calendar", () => {
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-01-15T23:59:00Z"), {
      hour: 18,
      day: 3,
      shift: "day",
    });
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-01-16T00:00:00Z"), {
      hour: 19,
      day: 3,
      shift: "night",
    });
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-01-16T11:59:00Z"), {
      hour: 6,
      day: 4,
      shift: "night",
    });
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-01-16T12:00:00Z"), {
      hour: 7,
      day: 4,
      shift: "day",
    });
  });

  it("gets local hours right across DST switches", () => {
    // Berlin, spring: 01:59:59 CET is followed by 03:00 CEST.
    assert.equal(local("TEMP-001", "FAC-BER", "2025-03-30T00:59:59Z").hour, 1);
    assert.equal(local("TEMP-001", "FAC-BER", "2025-03-30T01:00:00Z").hour, 3);
    // Berlin, autumn: 02:30 happens twice.
    assert.equal(local("TEMP-001", "FAC-BER", "2025-10-26T00:30:00Z").hour, 2);
    assert.equal(local("TEMP-001", "FAC-BER", "2025-10-26T01:30:00Z").hour, 2);
    assert.equal(local("TEMP-001", "FAC-BER", "2025-10-26T02:30:00Z").hour, 3);
    // New York, spring and autumn; the night shift (19–07) holds across both.
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-03-09T06:59:00Z"), {
      hour: 1,
      day: 0,
      shift: "night",
    });
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-03-09T07:00:00Z"), {
      hour: 3,
      day: 0,
      shift: "night",
    });
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-03-09T11:00:00Z"), {
      hour: 7,
      day: 0,
      shift: "day",
    });
    assert.equal(local("PWR-003", "FAC-NYC", "2025-11-02T05:30:00Z").hour, 1);
    assert.equal(local("PWR-003", "FAC-NYC", "2025-11-02T06:30:00Z").hour, 1);
    assert.deepEqual(local("PWR-003", "FAC-NYC", "2025-11-02T12:00:00Z"), {
      hour: 7,
      day: 0,
      shift: "day",
    });
  });
});

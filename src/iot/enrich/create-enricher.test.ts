import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dataflow, source } from "../../engine/index.js";
import { CollectingSink, record, TestingSource } from "../../engine/testing/index.js";
import { MetadataCatalog } from "../metadata/metadata-catalog.js";
import { buildMetadataSet } from "../metadata/metadata-set.js";
import { EQUIPMENT, FACILITIES, SENSORS } from "../metadata/test-metadata.js";
import { isParseFailure, parseOrFail, parsePendingOrFail } from "../reading/parse-reading.js";
import { isPending } from "../reading/pending-reading.js";
import type { EnrichedReading, Reading } from "../reading/reading.js";
import { createEnricher } from "./create-enricher.js";

const records = (file: string, rows: unknown[]) => ({
  file,
  records: rows.map((value, i) => ({ value, location: `record ${i}` })),
});
const setOf = (sensors: unknown[]) =>
  buildMetadataSet({
    facilities: records("facilities.json", FACILITIES),
    sensors: records("sensors.json", sensors),
    equipment: records("equipment.json", EQUIPMENT),
  });

const at = Date.UTC(2025, 0, 15, 13, 30); // 14:30 in Berlin
const r = (sensor_id: string): Reading => ({
  sensor_id,
  facility_id: "FAC-BER",
  timestamp: at,
  sensor_type: "vibration",
  quality_score: 1,
  value: 1,
});

describe("createEnricher", () => {
  it("enriches in a map step and counts unknown sensors", async () => {
    const catalog = new MetadataCatalog(setOf(SENSORS));
    const enricher = createEnricher(catalog);
    const out = new CollectingSink<EnrichedReading>();
    const input = new TestingSource([
      record(r("VIB-002"), at),
      record(r("NEW-1"), at),
      record(r("NEW-1"), at),
    ]);
    await dataflow("enrich-test", [
      source("readings", input).map("enrich", enricher.enrich).to("out", out),
    ]).run({ tickInterval: 0 });
    assert.deepEqual(
      out.values.map((e) => [e.sensor_id, e.known_sensor, e.equipment_id, e.shift]),
      [
        ["VIB-002", true, "PUMP-7", "afternoon"],
        ["NEW-1", false, null, "afternoon"],
        ["NEW-1", false, null, "afternoon"],
      ],
    );
    assert.equal(enricher.unknownReadings, 2);
    assert.equal(enricher.unknownSensors, 1);
  });

  it("sees a reloaded catalog from the next record on", () => {
    const catalog = new MetadataCatalog(setOf(SENSORS));
    const enricher = createEnricher(catalog);
    assert.equal(enricher.enrich(r("NEW-1")).known_sensor, false);
    catalog.replaceAll(setOf([...SENSORS, { ...SENSORS[1], sensor_id: "NEW-1" }]));
    const e = enricher.enrich(r("NEW-1"));
    assert.deepEqual([e.known_sensor, e.equipment_id, e.criticality], [true, "PUMP-7", "medium"]);
    assert.equal(enricher.unknownReadings, 1);
  });

  it("shares one id string per sensor and facility, and follows a sensor that moves facility", () => {
    const catalog = new MetadataCatalog(setOf(SENSORS));
    const enricher = createEnricher(catalog);
    const fresh = (id: string, facility: string): Reading => ({
      ...r(id.split("").join("")),
      facility_id: facility.split("").join(""),
    });
    const a = enricher.enrich(fresh("VIB-002", "FAC-BER"));
    const b = enricher.enrich(fresh("VIB-002", "FAC-BER"));
    assert.equal(a.sensor_id, "VIB-002");
    assert.equal(a.facility_name, b.facility_name);
    assert.equal(a.shift, "afternoon");
    // Same facility: same profile, so the same metadata row objects.
    assert.equal(a.thresholds, b.thresholds);
    // The reading names another facility: its calendar (New York) is used, not the cached one.
    const moved = enricher.enrich(fresh("VIB-002", "FAC-NYC"));
    assert.equal(moved.facility_id, "FAC-NYC");
    assert.equal(moved.timezone, "America/New_York");
    assert.equal(moved.shift, "day"); // New York's own shift calendar, 08:30 local
    assert.equal(moved.equipment_id, "PUMP-7");
  });

  it("fills a pending reading in place, the same as enriching a parsed one", () => {
    const catalog = new MetadataCatalog(setOf(SENSORS));
    const lines = [
      { ...r("VIB-002"), acceleration_x: 0.1, acceleration_y: 0.2, acceleration_z: 0.3 },
      { ...r("VIB-002"), acceleration_x: 1, acceleration_y: 0, acceleration_z: 0, humidity: null },
      { ...r("NEW-1"), sensor_type: "generic", value: 3, unit: "bar" },
      {
        ...r("VIB-002"),
        facility_id: "FAC-X",
        timestamp: at + 9 * 3_600_000,
        acceleration_x: 1,
        acceleration_y: 0,
        acceleration_z: 0,
      },
      { ...r("VIB-002"), sensor_type: "power", voltage: 230, current: 2 },
    ].map((x) =>
      JSON.stringify({ ...x, value: x.sensor_type === "generic" ? x.value : undefined }),
    );
    const options = { now: at + 10 * 3_600_000, maxFutureMs: 300_000 };
    for (const line of lines) {
      const parsed = parseOrFail(line, options);
      const pending = parsePendingOrFail(line, options);
      assert.ok(!isParseFailure(parsed) && !isParseFailure(pending), line);
      assert.ok(isPending(pending) && !isPending(parsed));
      const copied = createEnricher(catalog).enrich(parsed);
      const filled = createEnricher(catalog).enrich(pending);
      assert.equal(filled, pending, "filled in place");
      assert.notEqual(copied, parsed, "copied");
      assert.equal(isPending(filled), false);
      assert.deepEqual(Object.keys(filled), Object.keys(copied));
      assert.equal(JSON.stringify(filled), JSON.stringify(copied));
      // Enriching it again copies it, as any enriched reading.
      assert.equal(JSON.stringify(createEnricher(catalog).enrich(filled)), JSON.stringify(copied));
    }
  });

  it("keeps the ids of unknown sensors and facilities, also long ones cut out of a payload", () => {
    const enricher = createEnricher(new MetadataCatalog(setOf(SENSORS)));
    for (const [sensor, facility] of [
      ["NEW-1", "FAC-BER"],
      ["a-sensor-id-longer-than-twelve", "FAC-BER"],
      ["NEW-2", "a-facility-nobody-knows-of"],
    ] as const) {
      const line = JSON.stringify({
        ...r(sensor),
        facility_id: facility,
        acceleration_x: 1,
        acceleration_y: 0,
        acceleration_z: 0,
      });
      for (let k = 0; k < 2; k++) {
        const parsed = parsePendingOrFail(line);
        assert.ok(!isParseFailure(parsed));
        const e = enricher.enrich(parsed);
        assert.equal(e.sensor_id, sensor);
        assert.equal(e.facility_id, facility);
        assert.equal(e.known_sensor, false);
      }
    }
  });
});

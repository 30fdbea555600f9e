import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { isValidTimeZone, loadMetadataFolder } from "../metadata/index.js";
import { SENSOR_TYPES } from "../reading/reading.js";
import { plantMetadataSet, writePlantMetadata } from "./plant-metadata.js";
import { createPlant } from "./plant-model.js";

describe("createPlant", () => {
  it("builds facilities, machines on their lines and one sensor of each type per machine", () => {
    const plant = createPlant({ facilities: 4, sensors: 103, linesPerFacility: 2, seed: 9 });
    assert.equal(plant.facilities.length, 4);
    assert.equal(plant.sensors.length, 103);
    assert.equal(plant.equipment.length, 21); // ⌈103 / 5⌉; the last machine has 3 sensors
    assert.deepEqual(
      plant.equipment[0]!.sensors.map((i) => plant.sensors[i]!.type),
      [...SENSOR_TYPES],
    );
    assert.equal(plant.equipment[20]!.sensors.length, 3);
    assert.equal(new Set(plant.facilities.map((f) => f.timezone)).size, 4);
    for (const f of plant.facilities) {
      assert.ok(isValidTimeZone(f.timezone), f.timezone);
      assert.deepEqual(f.lines, ["L1", "L2"]);
    }
    for (const e of plant.equipment) {
      const facility = plant.facilities[e.facility]!;
      assert.ok(facility.lines.includes(e.line), "facility.lines.includes(e.line)");
      assert.match(e.id, new RegExp(`^${facility.id}-[A-Z]{3}-\\d{3}$`));
    }
    assert.equal(new Set(plant.sensors.map((s) => s.id)).size, 103);
    assert.equal(plant.sensors[0]!.id, `${plant.equipment[0]!.id}-TEMP`);
  });

  it("is the same plant for the same seed", () => {
    assert.deepEqual(createPlant({ seed: "x" }), createPlant({ seed: "x" }));
    assert.notDeepEqual(
      createPlant({ seed: 1 }).equipment.map((e) => e.kind.name),
      createPlant({ seed: 2 }).equipment.map((e) => e.kind.name),
    );
  });

  it("sets thresholds around each sensor's normal running range", () => {
    for (const s of createPlant({ sensors: 300, seed: 4 }).sensors) {
      const th = s.thresholds;
      assert.ok(s.normalMax > s.normalMin && s.scale === s.normalMax - s.normalMin, s.id);
      assert.ok(th.warning_max! > s.normalMax, `${s.id} warning_max`);
      assert.ok(th.critical_max! > th.warning_max!, `${s.id} critical_max`);
      if (th.warning_min !== undefined) assert.ok(th.warning_min < s.normalMin, s.id);
      if (th.critical_min !== undefined) assert.ok(th.critical_min < th.warning_min!, s.id);
      assert.ok(s.noise > 0 && s.noise < s.scale / 10, `${s.id} noise`);
    }
  });

  it("refuses options out of range", () => {
    assert.throws(() => createPlant({ facilities: 0 }), /facilities must be an integer from 1/);
    assert.throws(() => createPlant({ sensors: 2.5 }), /sensors must be an integer/);
  });
});

describe("plant metadata", () => {
  it("writes a folder that loadMetadataFolder accepts, with every record", async () => {
    const plant = createPlant({ facilities: 3, sensors: 52, seed: 5 });
    const dir = await mkdtemp(path.join(tmpdir(), "millstream-sim-meta-"));
    try {
      const files = await writePlantMetadata(plant, dir);
      assert.deepEqual(
        files.map((f) => path.basename(f)),
        ["facilities.json", "sensors.json", "equipment.json"],
      );
      const set = await loadMetadataFolder(dir);
      assert.equal(set.facilities.size, 3);
      assert.equal(set.equipment.size, 11);
      assert.equal(set.sensors.size, 52);
      const sensor = set.sensors.get(plant.sensors[7]!.id)!;
      assert.deepEqual(sensor.alert_thresholds, plant.sensors[7]!.thresholds);
      assert.equal(sensor.equipment_id, plant.equipment[1]!.id);
      const nyc = set.facilities.get("FAC-02")!;
      assert.deepEqual(
        nyc.shifts.map((s) => s.name),
        ["day", "night"],
      );
      const raw = JSON.parse(await readFile(files[0]!, "utf8"));
      assert.equal(raw[0].timezone, "Europe/Berlin");
      assert.equal(plantMetadataSet(plant).sensors.size, 52);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

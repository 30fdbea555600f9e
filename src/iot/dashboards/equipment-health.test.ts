import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { equipmentHealth } from "./equipment-health.js";
import { classifyEquipmentHealth } from "./equipment-status.js";
import { byId, reading, run, script, T0, unknownReading } from "./test-readings.js";

const s = 1000;
const minute = 60 * s;

describe("equipment health", () => {
  it("aggregates per facility, equipment and sensor type over 5 min windows sliding by 1 min", async () => {
    const { out } = await run(
      script(
        reading({ timestamp: T0 + 10 * s, value: 20, quality_score: 0.9 }),
        reading({ sensor_id: "s2", timestamp: T0 + 20 * s, value: 30, quality_score: 0.7 }),
        reading({ timestamp: T0 + 50 * s, value: 22, quality_score: 0.8 }),
        reading({ sensor_id: "p1", sensor_type: "power", timestamp: T0 + 30 * s, value: 500 }),
        unknownReading({ timestamp: T0 + 40 * s }),
      ),
      (r) => equipmentHealth(r),
    );
    // Every reading lies in [T0, T0 + 1 min): 5 windows per key, starting T0 - 4 min … T0.
    const temperature = byId(out.filter((h) => h.sensor_type === "temperature"));
    assert.deepEqual(
      temperature.map((h) => h.window_start_ms - T0).sort((a, b) => a - b),
      [-4, -3, -2, -1, 0].map((m) => m * minute),
    );
    const h = temperature.find((x) => x.window_start_ms === T0)!;
    assert.equal(h.id, `equipment-health|F1|E1|temperature|${T0}`);
    assert.equal(h.window_start, "2024-01-01T00:00:00.000Z");
    assert.equal(h.window_end, "2024-01-01T00:05:00.000Z");
    assert.deepEqual(
      [h.facility_id, h.equipment_id, h.sensor_type, h.production_line],
      ["F1", "E1", "temperature", "L1"],
    );
    assert.equal(h.count, 3);
    assert.equal(h.avg, 24);
    assert.equal(h.max, 30);
    assert.ok(Math.abs(h.stddev! - Math.sqrt(28)) < 1e-12); // deviations −4, 6, −2: 56 / 2
    assert.ok(Math.abs(h.avg_quality! - 0.8) < 1e-12);
    assert.equal(h.status, "unstable"); // 5.29 > 0.2 × 24
    assert.equal(out.filter((x) => x.sensor_type === "power").length, 5);
    // The unknown sensor's reading has no equipment: no record at all.
    assert.equal(out.length, 10);
  });

  it("classifies windows as degraded, unstable or healthy with the configured rules", async () => {
    const at = (m: number) => T0 + m * s;
    const { out } = await run(
      script(
        reading({ equipment_id: "low-quality", timestamp: at(1), quality_score: 0.6 }),
        reading({ equipment_id: "low-quality", timestamp: at(2), quality_score: 0.7 }),
        reading({ equipment_id: "swinging", timestamp: at(1), value: 10 }),
        reading({ equipment_id: "swinging", timestamp: at(2), value: 30 }),
        reading({ equipment_id: "steady", timestamp: at(1), value: 20 }),
        reading({ equipment_id: "steady", timestamp: at(2), value: 21 }),
        reading({ equipment_id: "single", timestamp: at(1), value: 1000 }),
      ),
      (r) => equipmentHealth(r, { size: minute, slide: minute }),
    );
    const status = Object.fromEntries(out.map((h) => [h.equipment_id, h.status]));
    assert.deepEqual(status, {
      "low-quality": "degraded",
      swinging: "unstable",
      steady: "healthy",
      single: "healthy",
    });
    const { out: lenient } = await run(
      script(
        reading({ equipment_id: "swinging", timestamp: at(1), value: 10 }),
        reading({ equipment_id: "swinging", timestamp: at(2), value: 30 }),
      ),
      (r) => equipmentHealth(r, { size: minute, slide: minute, unstableCv: 1 }),
    );
    assert.equal(lenient[0]!.status, "healthy"); // 14.1 < 1 × 20
  });
});

describe("classifyEquipmentHealth", () => {
  it("checks quality first, then the spread against the mean and the floor", () => {
    assert.equal(classifyEquipmentHealth({ avg: 20, stddev: 100, avgQuality: 0.69 }), "degraded");
    assert.equal(classifyEquipmentHealth({ avg: 20, stddev: 100, avgQuality: 0.7 }), "unstable");
    assert.equal(classifyEquipmentHealth({ avg: 20, stddev: 4, avgQuality: 0.9 }), "healthy");
    assert.equal(classifyEquipmentHealth({ avg: -20, stddev: 4.01, avgQuality: 0.9 }), "unstable");
    assert.equal(classifyEquipmentHealth({ avg: 20, stddev: null, avgQuality: 0.9 }), "healthy");
    assert.equal(classifyEquipmentHealth({ avg: 0, stddev: 0.01, avgQuality: 0.9 }), "unstable");
    assert.equal(
      classifyEquipmentHealth(
        { avg: 0, stddev: 0.01, avgQuality: 0.9 },
        { unstableMinStddev: 0.05 },
      ),
      "healthy",
    );
    assert.equal(
      classifyEquipmentHealth(
        { avg: 20, stddev: 1, avgQuality: 0.75 },
        { degradedQualityBelow: 0.8 },
      ),
      "degraded",
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ParseResult, parseReading } from "./parse-reading.js";
import { REASON_CODES, type ReasonCode } from "./reason-code.js";

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const base = {
  sensor_id: "TEMP-001",
  timestamp: "2025-01-15T11:59:00Z",
  facility_id: "FAC-A",
  sensor_type: "temperature",
  quality_score: 0.95,
  temperature_celsius: 71.5,
};

function failure(result: ParseResult): { code: ReasonCode; path: string; message: string } {
  assert.equal(result.ok, false, "expected the reading to be rejected");
  if (result.ok) throw new Error("unreachable");
  return { code: result.code, path: result.path, message: result.message };
}

function value(raw: object): number {
  const result = parseReading(JSON.stringify(raw), { now: NOW });
  if (!result.ok) assert.fail(`rejected: ${result.code} ${result.message}`);
  return result.reading.value;
}

describe("parseReading", () => {
  it("accepts a temperature reading and keeps its fields", () => {
    const result = parseReading(JSON.stringify({ ...base, humidity: 41, unit: "C", extra: 1 }), {
      now: NOW,
    });
    assert.equal(result.ok, true);
    if (!result.ok) return;
    const r = result.reading;
    assert.equal(r.sensor_id, "TEMP-001");
    assert.equal(r.timestamp, Date.UTC(2025, 0, 15, 11, 59));
    assert.equal(r.facility_id, "FAC-A");
    assert.equal(r.sensor_type, "temperature");
    assert.equal(r.quality_score, 0.95);
    assert.equal(r.value, 71.5);
    assert.equal(r.humidity, 41);
    assert.equal(r.unit, "C");
    assert.equal(r.pressure_psi, undefined);
    assert.equal("extra" in r, false);
  });

  it("accepts bytes and decoded objects", () => {
    const bytes = new TextEncoder().encode(JSON.stringify(base));
    const fromBytes = parseReading(bytes, { now: NOW });
    const fromObject = parseReading({ ...base }, { now: NOW });
    assert.equal(fromBytes.ok && fromBytes.reading.value, 71.5);
    assert.equal(fromObject.ok && fromObject.reading.value, 71.5);
  });

  it("computes the primary value of every sensor type", () => {
    const r = { ...base, temperature_celsius: undefined };
    assert.equal(value(base), 71.5);
    assert.equal(
      value({
        ...r,
        sensor_type: "vibration",
        acceleration_x: 3,
        acceleration_y: 4,
        acceleration_z: 12,
      }),
      13,
    );
    assert.equal(
      value({ ...r, sensor_type: "pressure", pressure_psi: 101.3, flow_rate: 4 }),
      101.3,
    );
    assert.equal(value({ ...r, sensor_type: "power", voltage: 230, current: 2.5 }), 575);
    assert.equal(
      value({ ...r, sensor_type: "power", voltage: 230, current: 2.5, power_watts: 560 }),
      560,
    );
    assert.equal(value({ ...r, sensor_type: "generic", value: -7.25, unit: "rpm" }), -7.25);
  });

  it("accepts ISO-8601 with offsets and epoch milliseconds", () => {
    const at = (timestamp: unknown) => {
      const result = parseReading({ ...base, timestamp }, { now: NOW });
      return result.ok ? result.reading.timestamp : failure(result).code;
    };
    const expected = Date.UTC(2025, 0, 15, 11, 30, 15, 250);
    assert.equal(at("2025-01-15T11:30:15.250Z"), expected);
    assert.equal(at("2025-01-15T12:30:15.250+01:00"), expected);
    assert.equal(at("2025-01-15T06:00:15.250-05:30"), expected);
    assert.equal(at("2025-01-15T11:30:15.250999Z"), expected);
    assert.equal(at("2025-01-15 11:30:15.25z"), expected);
    assert.equal(at(expected), expected);
  });

  it("rejects a timestamp without a zone, unparseable or out of range", () => {
    const noZone = failure(parseReading({ ...base, timestamp: "2025-01-15T11:30:15.250" }));
    assert.equal(noZone.code, "invalid-timestamp");
    assert.equal(noZone.path, "timestamp");
    assert.match(noZone.message, /has no time zone/);
    assert.equal(
      failure(parseReading({ ...base, timestamp: "2025-02-30T00:00:00Z" })).code,
      "invalid-timestamp",
    );
    assert.equal(
      failure(parseReading({ ...base, timestamp: "yesterday" })).code,
      "invalid-timestamp",
    );
    const seconds = failure(parseReading({ ...base, timestamp: 1_736_942_400 }));
    assert.equal(seconds.code, "invalid-timestamp");
    assert.match(seconds.message, /epoch seconds/);
  });

  it("rejects a timestamp too far ahead of the injected now, and only then", () => {
    const future = failure(parseReading({ ...base, timestamp: NOW + 300_001 }, { now: NOW }));
    assert.equal(future.code, "timestamp-in-future");
    assert.equal(parseReading({ ...base, timestamp: NOW + 300_000 }, { now: NOW }).ok, true);
    assert.equal(
      parseReading({ ...base, timestamp: NOW + 60_000 }, { now: NOW, maxFutureMs: 1000 }).ok,
      false,
    );
    assert.equal(
      parseReading({ ...base, timestamp: NOW + 10 * 86_400_000 }).ok,
      true,
      "no now: no check",
    );
  });

  const samples: [ReasonCode, string | object, string, { maxBytes?: number }?][] = [
    [
      "payload-too-large",
      JSON.stringify({ ...base, unit: "x".repeat(200) }),
      "",
      { maxBytes: 128 },
    ],
    ["not-json", "{sensor_id: TEMP-001", ""],
    ["missing-field", { ...base, facility_id: undefined }, "facility_id"],
    ["wrong-type", { ...base, quality_score: "0.9" }, "quality_score"],
    ["invalid-timestamp", { ...base, timestamp: "2025-01-15T11:30:00" }, "timestamp"],
    ["timestamp-in-future", { ...base, timestamp: "2025-01-15T13:00:00Z" }, "timestamp"],
    ["unknown-sensor-type", { ...base, sensor_type: "humidity" }, "sensor_type"],
    [
      "non-finite-number",
      '{"sensor_id":"a","timestamp":1736942400000,"facility_id":"f","sensor_type":"temperature","quality_score":1,"temperature_celsius":1e999}',
      "temperature_celsius",
    ],
    ["quality-out-of-range", { ...base, quality_score: 1.2 }, "quality_score"],
    [
      "missing-measure",
      { ...base, temperature_celsius: undefined, pressure_psi: 3 },
      "temperature_celsius",
    ],
  ];
  for (const [code, raw, path, options] of samples) {
    it(`reports ${code}`, () => {
      const input = typeof raw === "string" ? raw : JSON.stringify(raw);
      const f = failure(parseReading(input, { now: NOW, ...options }));
      assert.equal(f.code, code, f.message);
      assert.equal(f.path, path);
      assert.ok(f.message.length > 10);
    });
  }

  it("has a sample for every reason code", () => {
    assert.deepEqual(new Set(samples.map(([code]) => code)), new Set(REASON_CODES));
  });

  it("names the field of a Python NaN token", () => {
    const f = failure(parseReading('{"sensor_id":"a","humidity": NaN}'));
    assert.deepEqual([f.code, f.path], ["non-finite-number", "humidity"]);
  });

  it("rejects non-objects, empty ids, bad UTF-8 and payloads too large in bytes", () => {
    assert.deepEqual(
      [failure(parseReading("[1,2]")).code, failure(parseReading("null")).code],
      ["wrong-type", "wrong-type"],
    );
    assert.equal(failure(parseReading({ ...base, sensor_id: "" })).code, "wrong-type");
    assert.equal(failure(parseReading(new Uint8Array([0x7b, 0xff, 0x7d]))).code, "not-json");
    const multiByte = JSON.stringify({ ...base, unit: "€".repeat(50) });
    const maxBytes = multiByte.length + 10;
    assert.ok(Buffer.byteLength(multiByte) > maxBytes);
    assert.equal(failure(parseReading(multiByte, { maxBytes })).code, "payload-too-large");
  });

  it("reports a missing vibration axis and power without its measures", () => {
    const vib = failure(
      parseReading({ ...base, sensor_type: "vibration", acceleration_x: 1, acceleration_y: 2 }),
    );
    assert.deepEqual([vib.code, vib.path], ["missing-measure", "acceleration_z"]);
    const power = failure(parseReading({ ...base, sensor_type: "power", voltage: 230 }));
    assert.deepEqual([power.code, power.path], ["missing-measure", "current"]);
  });

  it("treats null optional measures as absent and null required fields as missing", () => {
    const ok = parseReading({ ...base, humidity: null, unit: null });
    assert.equal(ok.ok && ok.reading.humidity, undefined);
    assert.equal(failure(parseReading({ ...base, sensor_id: null })).code, "missing-field");
  });
});

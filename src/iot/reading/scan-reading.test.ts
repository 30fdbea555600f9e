import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECORD_MEMO } from "../../engine/index.js";
import { seededRandom } from "../../engine/testing/index.js";
import {
  DEFAULT_MAX_FUTURE_MS,
  DEFAULT_MIN_TIMESTAMP,
  parseOrFail,
  parsePendingOrFail,
  validateOrFail,
  validatePendingOrFail,
} from "./parse-reading.js";
import { MEASURE_FIELDS, type Reading, SENSOR_TYPES } from "./reading.js";
import { scanReading } from "./scan-reading.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const OPTIONS = { now: NOW, maxFutureMs: DEFAULT_MAX_FUTURE_MS };

function scan(text: string, pending = false): Reading | null {
  return scanReading(text, NOW, DEFAULT_MAX_FUTURE_MS, DEFAULT_MIN_TIMESTAMP, pending);
}

/** What the general path (`JSON.parse`, then the field checks) makes of `text`. */
function general(text: string, pending: boolean): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  return pending ? validatePendingOrFail(parsed, OPTIONS) : validateOrFail(parsed, OPTIONS);
}

/** The fast path must accept only what the general path accepts, and build the same reading. */
function agrees(text: string): boolean {
  const plain = scan(text, false);
  const pending = scan(text, true);
  assert.equal(plain === null, pending === null, text);
  if (plain === null) return false;
  const expected = general(text, false) as Reading;
  assert.equal((expected as { ok?: boolean }).ok, undefined, `accepted, but: ${text}`);
  assert.deepStrictEqual(plain, expected, text);
  assert.deepStrictEqual(Object.keys(plain), Object.keys(expected), text);
  const expectedPending = general(text, true) as Reading;
  assert.deepStrictEqual(pending, expectedPending, text);
  assert.deepStrictEqual(Object.keys(pending ?? {}), Object.keys(expectedPending), text);
  assert.equal((pending as { [RECORD_MEMO]?: unknown })[RECORD_MEMO], null);
  return true;
}

const MEASURES = [...MEASURE_FIELDS, "value"];

function randomNumber(r: () => number): number {
  switch (Math.floor(r() * 8)) {
    case 0:
      return Math.floor(r() * 1000) - 500;
    case 1:
      return (r() - 0.5) * 1e3;
    case 2:
      return r() * 10 ** (Math.floor(r() * 40) - 20);
    case 3:
      return -r() * 1e-7;
    case 4:
      return Math.round(r() * 1e6) / 100;
    case 5:
      return r() < 0.5 ? -0 : 0;
    case 6:
      return 60 + Math.sin(r() * 1000) * 2;
    default:
      return (r() - 0.5) * 2 ** (Math.floor(r() * 120) - 60);
  }
}

function randomReading(r: () => number, i: number): Record<string, unknown> {
  const o: Record<string, unknown> = {
    sensor_id: `S-${Math.floor(r() * 500)}`,
    timestamp:
      r() < 0.5
        ? NOW - Math.floor(r() * 1e9)
        : new Date(NOW - Math.floor(r() * 1e9))
            .toISOString()
            .replace("Z", r() < 0.5 ? "Z" : "+00:00"),
    facility_id: `F${i % 7}`,
    sensor_type: SENSOR_TYPES[Math.floor(r() * SENSOR_TYPES.length)],
    quality_score: r() < 0.1 ? 1 : Math.round(r() * 100) / 100,
  };
  for (const m of MEASURES) {
    const p = r();
    if (p < 0.45) o[m] = randomNumber(r);
    else if (p < 0.5) o[m] = null;
  }
  if (r() < 0.2) o.unit = r() < 0.5 ? "C" : null;
  if (r() < 0.1) o.firmware = "1.2.3";
  if (r() < 0.05) o.calibrated = r() < 0.5;
  if (r() < 0.05) o.serial = 123456;
  return o;
}

/** The same object written the way Python's `json.dumps` does (spaces after `:` and `,`). */
function pythonStyle(o: Record<string, unknown>): string {
  return `{${Object.entries(o)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(", ")}}`;
}

const NOISE = [
  '"',
  "\\",
  ",",
  ":",
  "{",
  "}",
  "[",
  "]",
  " ",
  "\n",
  "0",
  "-",
  ".",
  "e",
  "n",
  "é",
  "\u0001",
  "x",
];

function mutate(text: string, r: () => number): string {
  const at = Math.floor(r() * text.length);
  switch (Math.floor(r() * 3)) {
    case 0:
      return text.slice(0, at) + text.slice(at + 1);
    case 1:
      return text.slice(0, at) + NOISE[Math.floor(r() * NOISE.length)] + text.slice(at);
    default:
      return text.slice(0, at) + NOISE[Math.floor(r() * NOISE.length)] + text.slice(at + 1);
  }
}

describe("scanReading", () => {
  it("accepts the common forms and builds what JSON.parse and validation build", () => {
    const r = seededRandom(1);
    let accepted = 0;
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const o = randomReading(r, i);
      for (const text of [JSON.stringify(o), pythonStyle(o), `  ${JSON.stringify(o, null, 2)}\n`]) {
        const ok = agrees(text);
        if (ok) accepted++;
        const expected = general(text, false) as { ok?: boolean };
        if (expected.ok === undefined) {
          valid++;
          // Valid readings without exponent-form surprises are all taken by the fast path.
          assert.ok(ok, `valid but not scanned: ${text}`);
        }
      }
    }
    assert.ok(valid > 10_000, `only ${valid} valid readings generated`);
    assert.equal(accepted, valid);
  });

  it("never accepts what the general path rejects or reads differently (mutated input)", () => {
    const r = seededRandom(2);
    let accepted = 0;
    for (let i = 0; i < 60_000; i++) {
      let text = JSON.stringify(randomReading(r, i));
      const times = 1 + Math.floor(r() * 3);
      for (let k = 0; k < times; k++) text = mutate(text, r);
      if (agrees(text)) accepted++;
    }
    assert.ok(accepted > 1000, `only ${accepted} mutated readings were still valid`);
  });

  it("reads JSON numbers exactly as JSON.parse does", () => {
    const r = seededRandom(3);
    const texts = [
      "0",
      "-0",
      "0.0",
      "-0.0",
      "1",
      "0.1",
      "0.30000000000000004",
      "1.0000000000000002",
      "9007199254740991",
      "9007199254740992",
      "9007199254740993",
      "123456789012345678901234567890",
      "0.000000000000000000000001",
      "1e-7",
      "1E+21",
      "-2.5e-3",
      "61.236801230318804",
      "12.3456789012345678901234567",
      "5e-324",
      "1.7976931348623157e308",
    ];
    for (let i = 0; i < 20_000; i++) texts.push(JSON.stringify(randomNumber(r)));
    for (const t of texts) {
      const line = `{"sensor_id":"S","timestamp":${NOW},"facility_id":"F","sensor_type":"generic","quality_score":1,"value":${t}}`;
      const got = scan(line);
      assert.ok(got !== null, line);
      assert.ok(Object.is(got.value, JSON.parse(t)), `${t}: ${got.value}`);
    }
  });

  it("refuses JSON the fast path does not take and leaves it to the general path", () => {
    const base = `"timestamp":${NOW},"facility_id":"F","sensor_type":"generic","quality_score":1,"value":1`;
    for (const text of [
      `{"sensor_id":"S\\u0041",${base}}`, // an escape
      `{"sensor_id":"S","sensor_id":"T",${base}}`, // a repeated field
      `{"sensor_id":"S",${base},"extra":{"a":1}}`, // a nested value
      `{"sensor_id":"S",${base},"extra":[1]}`,
      `{"sensor_id":"Sé",${base}}`, // not ASCII
      `{"sensor_id":"S",${base},}`, // not JSON
      `{"sensor_id":"S",${base}} x`,
      `{"sensor_id":"S",${base.replace('"value":1', '"value":01')}}`,
      `{"sensor_id":"S",${base.replace('"value":1', '"value":1.')}}`,
      `{"sensor_id":"S",${base.replace('"value":1', '"value":1e999')}}`,
      `{"sensor_id":"S",${base.replace('"value":1', '"value":"1"')}}`,
      `{"sensor_id":"",${base}}`,
      `{"sensor_id":null,${base}}`,
      `{"sensor_id":"S",${base.replace("generic", "humidity")}}`,
      `{"sensor_id":"S",${base.replace(`${NOW}`, '"2026-01-15T11:00:00"')}}`, // no zone
      `{"sensor_id":"S",${base.replace(`${NOW}`, `${NOW + DEFAULT_MAX_FUTURE_MS + 1}`)}}`,
      `{"sensor_id":"S",${base.replace('"quality_score":1', '"quality_score":1.01')}}`,
      `{"sensor_id":"S",${base.replace('"value":1', '"value":null')}}`,
      "[]",
      "",
      "{}",
    ]) {
      assert.equal(scan(text), null, text);
      assert.equal(scan(text, true), null, text);
    }
  });

  it("gives every id its own characters, also when facility ids collide in the table", () => {
    for (let i = 0; i < 100_000; i++) {
      const id = `sensor-${i.toString(36)}`;
      // Facility ids of up to 12 characters go through the table, longer ones do not.
      const facility = i % 3 === 0 ? `facility-number-${i % 9973}` : `F${i % 9973}`;
      const text = `{"sensor_id":"${id}","timestamp":${NOW},"facility_id":"${facility}","sensor_type":"generic","quality_score":1,"value":${i}}`;
      const got = scan(text);
      assert.equal(got?.sensor_id, id);
      assert.equal(got?.facility_id, facility);
    }
  });
});

describe("parseOrFail with the fast path", () => {
  it("gives the general path's result, reason code and message for every input", () => {
    const r = seededRandom(4);
    for (let i = 0; i < 20_000; i++) {
      let text = JSON.stringify(randomReading(r, i));
      if (i % 2 === 1) text = mutate(text, r);
      let parsed: unknown;
      let notJson = false;
      try {
        parsed = JSON.parse(text);
      } catch {
        notJson = true;
      }
      const got = parseOrFail(text, OPTIONS);
      const gotPending = parsePendingOrFail(text, OPTIONS);
      if (notJson) {
        assert.equal((got as { ok?: boolean }).ok, false, text);
        assert.deepStrictEqual(gotPending, got, text);
        continue;
      }
      assert.deepStrictEqual(got, validateOrFail(parsed, OPTIONS), text);
      assert.deepStrictEqual(gotPending, validatePendingOrFail(parsed, OPTIONS), text);
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { daysFromCivil, parseIsoTimestamp, parseIsoTimestampIn } from "./iso-timestamp.js";

describe("parseIsoTimestamp", () => {
  it("agrees with Date.parse on zoned strings", () => {
    for (const s of [
      "2024-02-29T23:59:59.999Z",
      "2000-01-01T00:00:00Z",
      "2025-03-30T01:00:00+02:00",
      "1999-12-31T23:00:00-01:00",
      "2025-06-01T12:34Z",
      "2031-11-05T07:08:09.1+05:45",
    ]) {
      assert.equal(parseIsoTimestamp(s), Date.parse(s), s);
    }
  });

  it("returns NaN for strings without a zone or malformed", () => {
    for (const s of [
      "2025-01-15T11:30:15",
      "2025-01-15",
      "2025-13-01T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2025-01-15T24:00:00Z",
      "2025-01-15T11:30:60Z",
      "2025-01-15T11:30:15.Z",
      "2025-01-15T11:30:15+0100",
      "2025-01-15T11:30:15+01:00 ",
      "2025-01-15T11:3",
      "Wed, 15 Jan 2025 11:30:15 GMT",
    ]) {
      assert.ok(Number.isNaN(parseIsoTimestamp(s)), s);
    }
  });

  it("counts days from the epoch", () => {
    assert.equal(daysFromCivil(1970, 1, 1), 0);
    assert.equal(daysFromCivil(2000, 3, 1), Date.UTC(2000, 2, 1) / 86_400_000);
    assert.equal(daysFromCivil(1969, 12, 31), -1);
  });

  it("agrees with Date.parse on generated zoned date-times, and refuses impossible dates", () => {
    let seed = 7;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
      return (seed >>> 8) % n;
    };
    const pad = (v: number, w = 2) => String(v).padStart(w, "0");
    let valid = 0;
    let impossible = 0;
    for (let i = 0; i < 50_000; i++) {
      const year = [2000, 2024, 2100, 2023, 1999][next(5)]! + next(80) - (next(2) === 0 ? 0 : 40);
      const month = 1 + next(12);
      const day = 1 + next(31);
      const time = `${pad(next(24))}:${pad(next(60))}`;
      const seconds = next(4) === 0 ? "" : `:${pad(next(60))}`;
      const fraction =
        seconds === "" || next(2) === 0
          ? ""
          : `.${String(next(1_000_000_000))
              .padStart(9, "0")
              .slice(0, 1 + next(3))}`;
      const zone = [
        "Z",
        "z",
        `+${pad(next(15))}:${pad(next(60))}`,
        `-${pad(next(13))}:${pad(next(4) * 15)}`,
      ][next(4)]!;
      const sep = ["T", "t", " "][next(3)]!;
      const s = `${pad(year, 4)}-${pad(month)}-${pad(day)}${sep}${time}${seconds}${fraction}${zone}`;
      const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
      const got = parseIsoTimestamp(s);
      if (day > lastDay) {
        impossible++;
        assert.ok(Number.isNaN(got), `${s} is not a date`);
      } else {
        valid++;
        assert.equal(
          got,
          Date.parse(s.replace(/[tz ]/g, (c) => (c === " " ? "T" : c.toUpperCase()))),
          s,
        );
      }
      // The same characters inside a longer text.
      assert.ok(Object.is(parseIsoTimestampIn(`"${s}","x"`, 1, s.length + 1), got), s);
      // Without its zone it is refused.
      const bare = s.slice(0, s.length - zone.length);
      assert.ok(Number.isNaN(parseIsoTimestamp(bare)), bare);
      assert.ok(Number.isNaN(parseIsoTimestampIn(`${bare}Z`, 0, bare.length)), bare);
    }
    assert.ok(valid > 40_000 && impossible > 500, `${valid} valid, ${impossible} impossible`);
  });

  it("truncates fractions beyond milliseconds and knows leap years", () => {
    assert.equal(
      parseIsoTimestamp("2025-01-01T00:00:00.123456789Z"),
      Date.UTC(2025, 0, 1, 0, 0, 0, 123),
    );
    assert.equal(
      parseIsoTimestamp("2025-01-01T00:00:00.9999+01:00"),
      Date.UTC(2024, 11, 31, 23, 0, 0, 999),
    );
    assert.equal(parseIsoTimestamp("2000-02-29T12:00:00Z"), Date.UTC(2000, 1, 29, 12));
    assert.equal(parseIsoTimestamp("2024-02-29T12:00:00Z"), Date.UTC(2024, 1, 29, 12));
    assert.ok(Number.isNaN(parseIsoTimestamp("2100-02-29T12:00:00Z")));
    assert.ok(Number.isNaN(parseIsoTimestamp("2023-02-29T12:00:00Z")));
    assert.ok(Number.isNaN(parseIsoTimestamp("2023-02-30T12:00:00Z")));
    assert.ok(Number.isNaN(parseIsoTimestamp("2023-04-31T12:00:00Z")));
  });
});

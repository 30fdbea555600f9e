import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { daysFromCivil, parseIsoTimestamp } from "./iso-timestamp.js";

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
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ZoneOffsetCache } from "./zone-offset-cache.js";

const HOUR = 3_600_000;

describe("ZoneOffsetCache", () => {
  it("switches offset exactly at the Berlin and New York DST transitions", () => {
    const berlin = new ZoneOffsetCache("Europe/Berlin");
    const springBerlin = Date.UTC(2025, 2, 30, 1, 0, 0); // 02:00 CET -> 03:00 CEST
    assert.equal(berlin.offsetAt(springBerlin - 1), HOUR);
    assert.equal(berlin.offsetAt(springBerlin), 2 * HOUR);
    const fallBerlin = Date.UTC(2025, 9, 26, 1, 0, 0); // 03:00 CEST -> 02:00 CET
    assert.equal(berlin.offsetAt(fallBerlin - 1), 2 * HOUR);
    assert.equal(berlin.offsetAt(fallBerlin), HOUR);

    const ny = new ZoneOffsetCache("America/New_York");
    const springNy = Date.UTC(2025, 2, 9, 7, 0, 0); // 02:00 EST -> 03:00 EDT
    assert.equal(ny.offsetAt(springNy - 1), -5 * HOUR);
    assert.equal(ny.offsetAt(springNy), -4 * HOUR);
    const fallNy = Date.UTC(2025, 10, 2, 6, 0, 0); // 02:00 EDT -> 01:00 EST
    assert.equal(ny.offsetAt(fallNy - 1), -4 * HOUR);
    assert.equal(ny.offsetAt(fallNy), -5 * HOUR);
  });

  it("agrees with Intl every 7 minutes of a year, half-hour switches included", () => {
    for (const tz of [
      "Europe/Berlin",
      "America/New_York",
      "Australia/Lord_Howe",
      "Asia/Kathmandu",
      "UTC",
    ]) {
      const cached = new ZoneOffsetCache(tz);
      const reference = new ZoneOffsetCache(tz);
      const start = Date.UTC(2025, 0, 1);
      let mismatches = 0;
      for (let t = start; t < start + 366 * 24 * HOUR; t += 7 * 60_000 + 13) {
        if (cached.offsetAt(t) !== reference.exactOffset(t)) mismatches++;
      }
      assert.equal(mismatches, 0, tz);
    }
  });

  it("knows the half-hour and quarter-hour offsets", () => {
    const t = Date.UTC(2025, 6, 1, 12);
    assert.equal(new ZoneOffsetCache("Asia/Kathmandu").offsetAt(t), 5.75 * HOUR);
    assert.equal(new ZoneOffsetCache("Australia/Lord_Howe").offsetAt(t), 10.5 * HOUR);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { progressLine } from "./progress-bar.js";

describe("progressLine", () => {
  it("draws the share done, the count, the rate and the time left", () => {
    assert.equal(
      progressLine(50, 100, 1_000_000, 10, 10),
      "[=====>    ]  50%  1,000,000 readings  100,000/s  ETA 10 s",
    );
  });
  it("is full and says done at the end, and unknown at the start", () => {
    assert.match(
      progressLine(100, 100, 7, 1, 10),
      /^\[==========\] 100% {2}7 readings {2}7\/s {2}done$/,
    );
    assert.match(progressLine(0, 100, 0, 0, 10), /^\[> {9}\] {3}0% .* ETA \?$/);
  });
  it("writes long waits in minutes", () => {
    assert.match(progressLine(1, 100, 10, 60, 10), /ETA 99 min 0 s$/);
  });
});

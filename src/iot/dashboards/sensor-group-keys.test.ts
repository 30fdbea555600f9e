import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECORD_MEMO, type RecordMemo } from "../../engine/state/record-memo.js";
import type { EnrichedReading } from "../reading/reading.js";
import { sensorGroupKeys } from "./sensor-group-keys.js";
import { isGroupKey } from "./window-bounds.js";

const reading = (memo: RecordMemo | undefined) =>
  ({ sensor_id: "S1", ...(memo ? { [RECORD_MEMO]: memo } : {}) }) as unknown as EnrichedReading;

describe("sensorGroupKeys", () => {
  it("returns the key remembered for a sensor while its parts stay the same", () => {
    const keyOf = sensorGroupKeys();
    const memo: RecordMemo = [];
    const first = keyOf(reading(memo), "F1", "E1", "power");
    assert.equal(first, "F1|E1|power");
    assert.equal(keyOf(reading(memo), "F1", "E1", "power"), first);
    assert.equal(memo.length, 2, "one entry in the sensor's memo");
  });

  it("makes a new key when a part changes, and without a memo", () => {
    const keyOf = sensorGroupKeys();
    const other = sensorGroupKeys();
    const memo: RecordMemo = [];
    assert.equal(keyOf(reading(memo), "F1", "L1", "morning"), "F1|L1|morning");
    assert.equal(keyOf(reading(memo), "F1", "L1", "night"), "F1|L1|night");
    assert.equal(other(reading(memo), "F2", "L1", "night"), "F2|L1|night");
    assert.equal(keyOf(reading(memo), "F1", "L1", "night"), "F1|L1|night");
    assert.equal(keyOf(reading(undefined), "F1", "L2", "night"), "F1|L2|night");
    assert.equal(memo.length, 4, "one entry per function");
  });

  it("remembers the key string alone, and knows it by its parts", () => {
    const keyOf = sensorGroupKeys();
    const memo: RecordMemo = [];
    const first = keyOf(reading(memo), "F1", "E1", "power");
    assert.equal(typeof memo[1], "string", "the memo holds the key, not an object");
    assert.equal(keyOf(reading(memo), "F1", "E1", "power"), first);
    assert.equal(keyOf(reading(memo), "F1", "E1", "powe"), "F1|E1|powe");
    assert.equal(keyOf(reading(memo), "F1", "E1", "power2"), "F1|E1|power2");
  });

  it("reads a key as its parts only when it is exactly a|b|c", () => {
    assert.equal(isGroupKey("F1|E1|power", "F1", "E1", "power"), true);
    assert.equal(isGroupKey("F1|E1|power", "F1", "E", "1|power"), false);
    assert.equal(isGroupKey("F1|E1|power", "F1|E1", "", "power"), false);
    assert.equal(
      isGroupKey("x|y|z|w", "x", "y|z", "w"),
      true,
      "the same string, however it splits",
    );
    assert.equal(isGroupKey("x|y|z|w", "x|y", "z", "w"), true);
    assert.equal(isGroupKey("F1|E1|power", "F2", "E1", "power"), false);
    assert.equal(isGroupKey("F1|E1|power", "F1", "E2", "power"), false);
    assert.equal(isGroupKey("F1|E1|power", "F1", "E1", "powes"), false);
    assert.equal(isGroupKey("F1-E1|power", "F1", "E1", "power"), false);
    assert.equal(isGroupKey("||", "", "", ""), true);
    for (const [a, b, c] of [
      ["a", "bb", "ccc"],
      ["", "", "x"],
      ["α", "β|", "γ"],
    ] as const) {
      assert.equal(isGroupKey(`${a}|${b}|${c}`, a, b, c), true);
      assert.equal(isGroupKey(`${a}|${b}|${c}!`, a, b, c), false);
    }
  });
});

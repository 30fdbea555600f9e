import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  at,
  byId,
  reading,
  runDetector,
  runWithRestore,
  series,
  single,
  watermark,
} from "./detector-harness.fixture.js";
import { offlineDetector } from "./offline-detector.js";

const ones = (n: number) => Array.from({ length: n }, () => 1);

describe("offline detector", () => {
  it("reports a silent sensor in event time, once, at last reading + timeout", async () => {
    // a reads for 10 s and falls silent; b reads for 200 s and moves event time on.
    const items = [...series("a", 0, 1000, ones(10)), ...series("b", 10_000, 1000, ones(191))];
    const out = await runDetector(offlineDetector(), items);
    assert.deepEqual(
      out.map((x) => [x.id, x.severity, x.event_time_ms, x.value, x.baseline.last_reading_ms]),
      [["offline|a|69000", "high", 69_000, null, 9_000]],
    );
    assert.equal(out[0]!.event_time, "1970-01-01T00:01:09.000Z");
    assert.equal(out[0]!.equipment_id, "press-1");
    assert.equal(out[0]!.message, "a: no reading for 60 s since 1970-01-01T00:00:09.000Z");
  });

  it("reports each silence once and nothing while readings continue", async () => {
    const items = [
      ...series("a", 0, 50_000, ones(5)), // every 50 s: never 60 s apart
      ...series("a", 400_000, 1000, ones(3)),
      watermark(1_000_000),
    ];
    const out = await runDetector(offlineDetector(), items);
    assert.deepEqual(
      out.map((x) => x.id),
      ["offline|a|260000", "offline|a|462000"],
    );
  });

  it("does not report sensors merely because a finite input ended, unless asked to", async () => {
    const items = series("a", 0, 1000, ones(5));
    assert.deepEqual(await runDetector(offlineDetector(), items), []);
    const out = await runDetector(offlineDetector({ reportAtEndOfInput: true }), items);
    assert.deepEqual(
      out.map((x) => x.id),
      ["offline|a|64000"],
    );
  });

  it("does not report a silence again for a reading that comes after it was judged", async () => {
    const items = [
      at(reading("a", 0, 1)),
      watermark(100_000),
      at(reading("a", 30_000, 1)), // late: its silence was reported already
      watermark(200_000),
    ];
    const out = await runDetector(offlineDetector(), items);
    assert.deepEqual(
      out.map((x) => x.id),
      ["offline|a|60000"],
    );
  });

  it("judges a gap by event time, whatever the batching and order of arrival", async () => {
    // One batch holds 0 s, 100 s and, out of order, 30 s: the silence is 30 s → 100 s.
    const items = [
      at(reading("a", 0, 1)),
      at(reading("a", 100_000, 1)),
      at(reading("a", 30_000, 1)),
    ];
    const out = await runDetector(offlineDetector(), [...items, watermark(150_000)]);
    assert.deepEqual(
      out.map((x) => [x.id, x.baseline.last_reading_ms]),
      [["offline|a|90000", 30_000]],
    );
  });

  it("honours its timeout", async () => {
    const items = [...series("a", 0, 20_000, ones(4)), watermark(500_000)];
    const out = await runDetector(offlineDetector({ timeoutMs: 10_000 }), items);
    assert.deepEqual(
      out.map((x) => x.id),
      ["offline|a|10000", "offline|a|30000", "offline|a|50000", "offline|a|70000"],
    );
  });

  it("gives the same anomalies when its timers are checkpointed and restored mid-stream", async () => {
    const items = [
      ...series("a", 0, 1000, ones(10)),
      ...series("c", 5000, 1000, ones(20)),
      ...series("b", 10_000, 1000, ones(300)),
    ];
    items.sort((x, y) => (x.kind === "record" && y.kind === "record" ? x.time - y.time : 0));
    items.push(watermark(1_000_000));
    const whole = await runDetector(offlineDetector(), items);
    assert.deepEqual(
      whole.map((x) => x.id),
      ["offline|a|69000", "offline|c|84000", "offline|b|369000"],
    );
    const restored = await runWithRestore(() => single(offlineDetector()), items, 120);
    assert.deepEqual(byId(restored), byId(whole));
  });
});

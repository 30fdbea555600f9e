import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { count } from "../aggregate/index.js";
import { deltaRows } from "../checkpoint/checkpoint-codec.js";
import type { StateRow } from "../checkpoint/checkpoint-store.js";
import { SlidingWindowOperator } from "../operators/sliding-window-operator.js";
import { ManualClock } from "../testing/index.js";
import { tumbling } from "../window/window-spec.js";
import { CAPTURED } from "./keyed-operator.js";

const keyOf = (v: unknown) => (v as { k: string }).k;

describe("copy-on-write capture of keyed state", () => {
  it("keeps only the JSON of a key copied before it changes, as of the barrier", () => {
    const op = new SlidingWindowOperator("w", keyOf, tumbling(10), count(), {});
    op.open({ clock: new ManualClock(), partitions: 4 });
    op.receiveBatch({ values: [{ k: "a" }, { k: "b" }], times: [1, 2], channel: 0 }, 0);
    const delta = op.snapshotDelta();
    assert.ok(delta !== undefined);
    assert.equal(delta.keys.length, 0, "nothing is captured at the barrier");
    op.receiveBatch({ values: [{ k: "a" }], times: [3], channel: 0 }, 0);
    assert.equal(delta.keys.length, 1, "a key is captured just before it changes");
    const [a] = delta.keys;
    assert.equal(a!.key, "a");
    assert.equal(a!.state, CAPTURED, "no object copy of the state is kept");
    assert.deepEqual(JSON.parse(a!.json!), { panes: [[0, 1]], firedUpTo: null, emitted: [] });
    assert.equal(delta.complete?.(10), true);
    const rows: StateRow[] = [];
    deltaRows("w", delta.keys, rows);
    assert.deepEqual(
      rows.map((r) => [r.key, JSON.parse(r.state!)]),
      [
        ['"a"', { panes: [[0, 1]], firedUpTo: null, emitted: [] }],
        ['"b"', { panes: [[0, 1]], firedUpTo: null, emitted: [] }],
      ],
    );
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  composite,
  count,
  dataflow,
  distinctCount,
  type KeyedProcessFunction,
  sliding,
  source,
  valueState,
} from "../index.js";
import {
  CollectingSink,
  record,
  type TestingItem,
  TestingSource,
  watermark,
} from "../testing/index.js";
import { memoIndex, memoOf, RECORD_MEMO, type RecordMemo, remember } from "./record-memo.js";

describe("record memos", () => {
  it("are found on objects only, and a null memo is none", () => {
    const memo: RecordMemo = [];
    assert.equal(memoOf({ [RECORD_MEMO]: memo }), memo);
    assert.equal(memoOf({ [RECORD_MEMO]: null }), undefined);
    assert.equal(memoOf({}), undefined);
    assert.equal(memoOf(null), undefined);
    assert.equal(memoOf("text"), undefined);
    assert.equal(memoOf(7), undefined);
  });

  it("keep one value per owner, found with or without a right hint", () => {
    const a = {};
    const b = {};
    const memo: RecordMemo = [];
    assert.equal(memoIndex(memo, a), -1);
    assert.equal(remember(memo, a, "x"), 1);
    assert.equal(remember(memo, b, "y"), 3);
    assert.equal(remember(memo, a, "z", 3), 1);
    assert.deepEqual(memo, [a, "z", b, "y"]);
    assert.equal(memoIndex(memo, b, 3), 3);
    assert.equal(memoIndex(memo, b, 1), 3);
    assert.equal(memoIndex(memo, b, 99), 3);
    assert.equal(JSON.stringify({ v: 1, [RECORD_MEMO]: memo }), '{"v":1}');
  });

  /**
   * Entities `e0`…`e3`, each with one memo shared by its records. A record's key is its
   * entity's group, and changes for some entities midway (their key moves to another
   * group), so remembered entries go stale; a keyed state with a TTL expires, so keys
   * are deleted and made again.
   */
  function records(withMemo: boolean) {
    const memos = new Map<string, RecordMemo>();
    const out: TestingItem<R>[] = [];
    for (let i = 0; i < 400; i++) {
      const e = `e${i % 4}`;
      const group = i < 200 || i % 4 < 2 ? `g${i % 2}` : "g9";
      let memo = memos.get(e);
      if (memo === undefined) {
        memo = [];
        memos.set(e, memo);
      }
      const value = { e, group, v: i % 7 };
      // A gap, announced by a watermark: every window fires (and its keys' entries
      // are deleted), and the TTL state expires.
      if (i === 300) out.push(watermark(9_000));
      const t = i < 300 ? i * 10 : 10_000 + i * 10;
      out.push(record(withMemo ? { ...value, [RECORD_MEMO]: memo } : value, t));
    }
    return out;
  }

  type R = { e: string; group: string; v: number };
  const total = valueState<number>("total", { ttl: 500 });
  const running: KeyedProcessFunction<string, R, string> = {
    processElement(r, ctx) {
      const state = ctx.state(total);
      const sum = (state.get() ?? 0) + r.v;
      state.set(sum);
      ctx.emit(`${ctx.key}:${sum}`);
    },
  };

  async function run(withMemo: boolean) {
    const input = source("in", new TestingSource(records(withMemo), { batchSize: 37 }));
    const windows = new CollectingSink<unknown>();
    const sums = new CollectingSink<string>();
    const keyed = input.keyBy((r: R) => r.group);
    await dataflow("t", [
      keyed
        .window(
          "w",
          sliding({ size: 400, slide: 200 }),
          composite({ n: count<R>(), entities: distinctCount((r: R) => r.e) }),
        )
        .to("windows", windows),
      keyed.process("p", running).to("sums", sums),
    ]).run({ tickInterval: 0 });
    return { windows: windows.records, sums: sums.records };
  }

  it("give keyed steps and distinct counts the same results as without them", async () => {
    const plain = await run(false);
    const memo = await run(true);
    assert.ok(plain.windows.length > 10 && plain.sums.length === 400);
    assert.deepEqual(memo, plain);
  });
});

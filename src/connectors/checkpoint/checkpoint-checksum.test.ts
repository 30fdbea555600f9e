/**
 * The checkpoint checksum and the validation of a checkpoint before it is written.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { CheckpointData } from "../../engine/checkpoint/checkpoint-store.js";
import {
  ChecksumBuilder,
  checkpointChecksum,
  compareStateRows,
  prepareCheckpoint,
} from "./checkpoint-checksum.js";
import { checkpointData, stateRow } from "./checkpoint-store.case.js";
import { InvalidCheckpointError } from "./errors.js";

const base = checkpointData("line-1", 3, [
  stateRow("avg", 1, "b", { v: 2 }),
  stateRow("avg", 0, "z", null),
  stateRow("max", 0, "a", { v: 1 }),
  stateRow("avg", 1, "a", { v: 1 }),
]);

const reversed = (data: CheckpointData): CheckpointData => ({
  ...data,
  rows: data.rows.slice().reverse(),
  shared: data.shared.slice().reverse(),
  positions: data.positions.slice().reverse(),
  sinks: data.sinks.slice().reverse(),
});

describe("checkpointChecksum", () => {
  it("is SHA-256 of the documented canonical text", () => {
    // Changing the canonical text makes every stored checkpoint look corrupt: don't.
    const text = [
      '["millstream-checkpoint",1,"line-1",3,1700000015000]',
      'row 3:avg 0 3:"z" ~',
      'row 3:avg 1 3:"a" 7:{"v":1}',
      'row 3:avg 1 3:"b" 7:{"v":2}',
      'row 3:max 0 3:"a" 7:{"v":1}',
      'shared 15:avg-temperature 18:{"watermark":3000}',
      'shared 6:source 29:{"channels":["a","b"],"id":3}',
      'position 6:source 0 13:{"offset":30}',
      'position 6:source 1 13:{"offset":31}',
      'sink 7:archive 11:{"epoch":3}',
      "",
    ].join("\n");
    const expected = createHash("sha256").update(text, "utf8").digest("hex");
    assert.equal(expected, "137d70f67b9b45b4276d257d6e822d1b4244f1f7573c0c7453fc85f85af199d4");
    assert.equal(checkpointChecksum(base), expected);
  });

  it("does not depend on the order of rows, shared state, positions or sinks", () => {
    assert.equal(checkpointChecksum(reversed(base)), checkpointChecksum(base));
  });

  it("changes when any single value changes", () => {
    const sum = checkpointChecksum(base);
    const variants: [string, CheckpointData][] = [
      ["job", { ...base, job: "line-2" }],
      ["id", { ...base, id: 4 }],
      ["createdAt", { ...base, createdAt: base.createdAt + 1 }],
      ["state", { ...base, rows: [...base.rows.slice(1), stateRow("avg", 1, "b", { v: 3 })] }],
      [
        "state whitespace",
        { ...base, rows: [...base.rows.slice(1), { ...base.rows[0]!, state: '{"v": 2}' }] },
      ],
      [
        "tombstone vs the text null",
        { ...base, rows: base.rows.map((r) => (r.state === null ? { ...r, state: "null" } : r)) },
      ],
      [
        "partition",
        { ...base, rows: base.rows.map((r, i) => (i === 0 ? { ...r, partition: 2 } : r)) },
      ],
      ["key", { ...base, rows: base.rows.map((r, i) => (i === 0 ? { ...r, key: '"c"' } : r)) }],
      ["step", { ...base, rows: base.rows.map((r, i) => (i === 0 ? { ...r, step: "avg2" } : r)) }],
      ["a row less", { ...base, rows: base.rows.slice(1) }],
      ["shared", { ...base, shared: base.shared.slice(1) }],
      [
        "position",
        {
          ...base,
          positions: [{ ...base.positions[0]!, position: "{}" }, ...base.positions.slice(1)],
        },
      ],
      ["sink", { ...base, sinks: [{ step: "archive", progress: '{"epoch":4}' }] }],
    ];
    const sums = new Set([sum]);
    for (const [what, variant] of variants) {
      const other = checkpointChecksum(variant);
      assert.notEqual(other, sum, what);
      sums.add(other);
    }
    assert.equal(sums.size, variants.length + 1);
  });

  it("keeps field boundaries: moving text between key and state changes it", () => {
    const a = { ...base, rows: [{ step: "s", partition: 0, key: "a", state: "b c" }] };
    const b = { ...base, rows: [{ step: "s", partition: 0, key: "a b", state: "c" }] };
    assert.notEqual(checkpointChecksum(a), checkpointChecksum(b));
  });

  it("ChecksumBuilder fed the sorted rows gives the same checksum", () => {
    const prepared = prepareCheckpoint(base);
    const builder = new ChecksumBuilder(base.job, base.id, base.createdAt);
    for (const row of prepared.rows) builder.addRow(row);
    assert.equal(builder.finish(base.shared, base.positions, base.sinks), checkpointChecksum(base));
  });
});

describe("prepareCheckpoint", () => {
  it("sorts copies of every group and leaves the input alone", () => {
    const input = reversed(base);
    const before = structuredClone(input);
    const prepared = prepareCheckpoint(input);
    assert.deepEqual(input, before);
    assert.deepEqual(
      prepared.rows.map((r) => [r.step, r.partition, r.key]),
      [
        ["avg", 0, '"z"'],
        ["avg", 1, '"a"'],
        ["avg", 1, '"b"'],
        ["max", 0, '"a"'],
      ],
    );
    assert.deepEqual(prepared.rows, base.rows.slice().sort(compareStateRows));
    assert.deepEqual(
      prepared.shared.map((r) => r.step),
      ["avg-temperature", "source"],
    );
    assert.deepEqual(
      prepared.positions.map((r) => r.partition),
      [0, 1],
    );
  });

  const rejects = (change: Partial<CheckpointData>, message: string) => {
    assert.throws(
      () => prepareCheckpoint({ ...base, ...change }),
      (error: Error) => {
        assert.ok(error instanceof InvalidCheckpointError, String(error));
        assert.equal(error.message, message);
        return true;
      },
    );
  };

  it("rejects malformed ids, times and jobs", () => {
    rejects({ id: 0 }, 'checkpoint 0 of job "line-1": the id must be an integer >= 1');
    rejects({ id: 1.5 }, 'checkpoint 1.5 of job "line-1": the id must be an integer >= 1');
    rejects(
      { createdAt: Number.NaN },
      'checkpoint 3 of job "line-1": createdAt must be a finite number (epoch ms)',
    );
    rejects({ job: "" }, 'checkpoint 3: job must be a non-empty string, got ""');
  });

  it("rejects partitions that are not integers from 0 to 2,147,483,647", () => {
    rejects(
      { rows: [stateRow("avg", -1, "a", 1)] },
      'checkpoint 3 of job "line-1": state row of step "avg": partition must be an integer >= 0',
    );
    rejects(
      { rows: [stateRow("avg", 0.5, "a", 1)] },
      'checkpoint 3 of job "line-1": state row of step "avg": partition must be an integer >= 0',
    );
    rejects(
      { positions: [{ step: "src", partition: 2 ** 31, position: "0" }] },
      'checkpoint 3 of job "line-1": position of step "src": partition 2147483648 > 2147483647',
    );
  });

  it("rejects values of the wrong type", () => {
    rejects(
      { rows: [{ step: "avg", partition: 0, key: '"a"', state: 5 as unknown as string }] },
      'checkpoint 3 of job "line-1": state row of step "avg": state must be a string or null, got number',
    );
    rejects(
      { sinks: [{ step: "archive", progress: null as unknown as string }] },
      'checkpoint 3 of job "line-1": sink progress of step "archive": progress must be a string, got object',
    );
  });

  it("rejects a key, a shared step, a position or a sink given twice", () => {
    rejects(
      {
        rows: [
          stateRow("avg", 0, "a", 1),
          stateRow("avg", 0, "b", 1),
          stateRow("avg", 0, "a", null),
        ],
      },
      'checkpoint 3 of job "line-1": step "avg" partition 0 key "a" appears twice in rows',
    );
    rejects(
      {
        shared: [
          { step: "avg", state: "1" },
          { step: "avg", state: "2" },
        ],
      },
      'checkpoint 3 of job "line-1": step "avg" appears twice in shared',
    );
    rejects(
      {
        positions: [
          { step: "src", partition: 1, position: "1" },
          { step: "src", partition: 1, position: "2" },
        ],
      },
      'checkpoint 3 of job "line-1": step "src" partition 1 appears twice in positions',
    );
    rejects(
      {
        sinks: [
          { step: "out", progress: "1" },
          { step: "out", progress: "1" },
        ],
      },
      'checkpoint 3 of job "line-1": step "out" appears twice in sinks',
    );
  });
});

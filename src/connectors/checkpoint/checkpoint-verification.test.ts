/**
 * Checking checkpoints read back against their checksum, and choosing the newest
 * intact one with a warning for each one skipped.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StateRow } from "../../engine/checkpoint/checkpoint-store.js";
import { checkpointChecksum } from "./checkpoint-checksum.js";
import { checkpointData, stateRow } from "./checkpoint-store.case.js";
import {
  type CheckpointRecord,
  encodeMetadata,
  newestIntact,
  verifyCheckpoint,
} from "./checkpoint-verification.js";

const delta = [stateRow("avg", 0, "a", { v: 2 }), stateRow("avg", 0, "gone", null)];
const older = stateRow("avg", 1, "b", { v: 1 });
const data = checkpointData("line-1", 2, delta);
const record: CheckpointRecord = {
  id: 2,
  createdAt: data.createdAt,
  ...encodeMetadata(data),
  rowCount: 2,
  checksum: checkpointChecksum(data),
};
const full: StateRow[] = [delta[0]!, older];

describe("verifyCheckpoint", () => {
  it("accepts intact content and assembles the stored checkpoint", () => {
    assert.deepEqual(verifyCheckpoint("line-1", record, { rows: full, delta }), {
      ok: true,
      checkpoint: { ...data, rows: full },
    });
  });

  it("reports a missing delta row by count", () => {
    assert.deepEqual(verifyCheckpoint("line-1", record, { rows: full, delta: delta.slice(1) }), {
      ok: false,
      problem: "it recorded 2 state rows but 1 are stored",
    });
  });

  it("reports a changed value as a checksum mismatch", () => {
    const changed = [{ ...delta[0]!, state: '{"v":3}' }, delta[1]!];
    const result = verifyCheckpoint("line-1", record, { rows: full, delta: changed });
    assert.equal(result.ok, false);
    assert.match(
      (result as { problem: string }).problem,
      new RegExp(
        `^checksum mismatch: recorded ${record.checksum.slice(0, 12)}…, content hashes to [0-9a-f]{12}…$`,
      ),
    );
  });

  it("reports malformed metadata without throwing", () => {
    const broken = { ...record, positions: '[{"step":"source"' };
    const result = verifyCheckpoint("line-1", broken, { rows: full, delta });
    assert.equal(result.ok, false);
    assert.match((result as { problem: string }).problem, /^its metadata is malformed \(/);
    const wrongShape = { ...record, sinks: '[{"step":"archive","progress":3}]' };
    assert.deepEqual(verifyCheckpoint("line-1", wrongShape, { rows: full, delta }), {
      ok: false,
      problem: "its metadata is malformed (an entry's progress is not a string)",
    });
  });
});

describe("newestIntact", () => {
  const bad = { ...record, id: 3, checksum: "0".repeat(64) };

  it("returns the newest intact checkpoint, warning about each one skipped", async () => {
    const warnings: string[] = [];
    const found = await newestIntact(
      "sqlite:/x.db",
      "line-1",
      [bad, record],
      (r) => (r.id === 3 ? { rows: [], delta: [] } : { rows: full, delta }),
      (m) => warnings.push(m),
    );
    assert.equal(found?.id, 2);
    assert.deepEqual(warnings, [
      'sqlite:/x.db: checkpoint 3 of job "line-1" is corrupt, it recorded 2 state rows but 0 are stored; falling back to checkpoint 2',
    ]);
  });

  it("returns null when none is intact, saying the job restarts without a checkpoint", async () => {
    const warnings: string[] = [];
    const found = await newestIntact(
      "m",
      "line-1",
      [bad],
      () => ({ rows: [], delta }),
      (m) => warnings.push(m),
    );
    assert.equal(found, null);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0]!,
      /checkpoint 3 of job "line-1" is corrupt, checksum mismatch: .*; no older checkpoint is kept, so the job restarts without a checkpoint$/,
    );
  });

  it("returns null without a warning when the job has no checkpoint", async () => {
    const warnings: string[] = [];
    assert.equal(
      await newestIntact(
        "m",
        "line-1",
        [],
        () => ({ rows: [], delta: [] }),
        (m) => warnings.push(m),
      ),
      null,
    );
    assert.deepEqual(warnings, []);
  });
});

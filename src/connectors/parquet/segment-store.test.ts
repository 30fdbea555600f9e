/**
 * Tests of the segment store on the event loop (as when its thread cannot start):
 * blocks of two segments appended before the first is written, a dictionary starting
 * over in the middle of a segment, several vectors' worth of rows, and the cells of
 * every kind read back from the Parquet files.
 */
import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ColumnSpec } from "./columns.js";
import { CELL_NULL, CELL_NUMBER, CELL_STRING, RowBlock, type RowBlockData } from "./row-block.js";
import { SegmentStore, storeConfig } from "./segment-store.js";

const COLUMNS: ColumnSpec[] = [
  { name: "n", type: "BIGINT" },
  { name: "name", type: "VARCHAR" },
  { name: "ok", type: "BOOLEAN" },
  { name: "x", type: "DOUBLE" },
];

/** A block of rows `[n, name, ok, x]`; `name` codes are given, with the strings new to it. */
function block(
  rows: readonly [number | { code: number }, number | null, 0 | 1 | null, number | null][],
  added: readonly string[],
  resets: readonly number[] = [],
): RowBlockData {
  const b = new RowBlock(4, rows.length, resets);
  for (const [n, name, ok, x] of rows) {
    const base = b.reserve();
    // A bigint comes as a string cell of its text, its code in column 0's dictionary.
    b.numbers[base] = typeof n === "number" ? n : n.code;
    b.kinds[base] = typeof n === "number" ? CELL_NUMBER : CELL_STRING;
    b.numbers[base + 1] = name ?? 0;
    b.kinds[base + 1] = name === null ? CELL_NULL : CELL_STRING;
    b.numbers[base + 2] = ok ?? 0;
    b.kinds[base + 2] = ok === null ? CELL_NULL : CELL_NUMBER;
    b.numbers[base + 3] = x ?? 0;
    b.kinds[base + 3] = x === null ? CELL_NULL : CELL_NUMBER;
    b.endRow();
  }
  for (const value of added) {
    b.added.push(value);
    b.addedColumns.push(value.startsWith("9") ? 0 : 1);
  }
  return b.data();
}

async function readBack(file: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const connection = await instance.connect();
    const result = await connection.runAndReadAll(
      `SELECT CAST(n AS VARCHAR), name, ok, x FROM read_parquet('${file}') ORDER BY x`,
    );
    return result.getRowsJS() as unknown[][];
  } finally {
    instance.closeSync();
  }
}

describe("SegmentStore", () => {
  it("appends blocks of two segments, then writes each with its own strings", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "millstream-segment-store-"));
    const store = await SegmentStore.open({ columns: COLUMNS, threads: 1 });
    try {
      // Segment 1: names "a" (code 0) and "b" (1); then column 1's dictionary starts
      // over, and code 0 means "c".
      const one = store.append(
        1,
        block(
          [
            [1, 0, 1, 1],
            [2, 1, 0, 2],
          ],
          ["a", "b"],
        ),
      );
      const two = store.append(
        1,
        block(
          [
            [3, 0, null, 3],
            [4, null, 1, 4],
          ],
          ["c"],
          [1],
        ),
      );
      // Segment 2, appended before segment 1 is written: code 1 is new, "d".
      const three = store.append(
        2,
        block(
          [
            [5, 0, 1, 5],
            [6, 1, 1, 6],
          ],
          ["d"],
        ),
      );
      // A bigint beyond 2^53, as text in column 0.
      const four = store.append(2, block([[{ code: 0 }, 1, 0, 7]], ["9007199254740993"]));
      const first = store.copy(1, path.join(root, "one.parquet"), "FORMAT PARQUET");
      const second = store.copy(2, path.join(root, "two.parquet"), "FORMAT PARQUET");
      await Promise.all([one, two, three, four, first, second]);
      assert.deepEqual(await readBack(path.join(root, "one.parquet")), [
        ["1", "a", true, 1],
        ["2", "b", false, 2],
        ["3", "c", null, 3],
        ["4", null, true, 4],
      ]);
      assert.deepEqual(await readBack(path.join(root, "two.parquet")), [
        ["5", "c", true, 5],
        ["6", "d", true, 6],
        ["9007199254740993", "d", false, 7],
      ]);
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("keeps NULLs and values apart across data chunks of one block", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "millstream-segment-store-"));
    const store = await SegmentStore.open({ columns: COLUMNS, threads: 1 });
    try {
      // 5,000 rows: more than two vectors. Every third x is NULL, names alternate.
      const rows: [number, number | null, 0 | 1 | null, number | null][] = [];
      for (let i = 0; i < 5000; i++)
        rows.push([i, i % 2, i % 2 === 0 ? 1 : 0, i % 3 === 0 ? null : i]);
      await store.append(1, block(rows, ["even", "odd"]));
      await store.copy(1, path.join(root, "one.parquet"), "FORMAT PARQUET");
      const instance = await DuckDBInstance.create(":memory:");
      try {
        const connection = await instance.connect();
        const result = await connection.runAndReadAll(
          `SELECT count(*)::INT, count(x)::INT, sum(x)::DOUBLE, count(*) FILTER (name = 'odd')::INT,
             count(*) FILTER ((n % 2 = 1) = (name = 'odd') AND (n % 2 = 0) = ok)::INT
           FROM read_parquet('${root}/one.parquet')`,
        );
        let sum = 0;
        let present = 0;
        for (let i = 0; i < 5000; i++) {
          if (i % 3 !== 0) {
            sum += i;
            present++;
          }
        }
        assert.deepEqual(result.getRowsJS(), [[5000, present, sum, 2500, 5000]]);
      } finally {
        instance.closeSync();
      }
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("limits DuckDB's memory, spills and hands memory back only when given a limit", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "millstream-segment-store-"));
    const settings = async (config: Record<string, string>) => {
      const instance = await DuckDBInstance.create(":memory:", config);
      try {
        const connection = await instance.connect();
        const result = await connection.runAndReadAll(
          `SELECT current_setting('threads')::INT, current_setting('memory_limit'),
             current_setting('temp_directory'), current_setting('allocator_flush_threshold'),
             current_setting('allocator_bulk_deallocation_flush_threshold')`,
        );
        return result.getRowsJS()[0];
      } finally {
        instance.closeSync();
      }
    };
    try {
      const spill = path.join(root, "spill");
      const limited = await settings(
        storeConfig({
          columns: COLUMNS,
          threads: 1,
          memory: { limitMb: 64, spillDirectory: spill },
        }),
      );
      assert.deepEqual(limited, [1, "64.0 MiB", spill, "512.0 KiB", "512.0 KiB"]);
      const unlimited = await settings(storeConfig({ columns: COLUMNS, threads: 2 }));
      assert.equal(unlimited?.[0], 2);
      assert.notEqual(unlimited?.[1], "64.0 MiB");
      assert.deepEqual(unlimited?.slice(3), ["128.0 MiB", "512.0 MiB"], "DuckDB's defaults");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("writes a segment larger than its memory limit by spilling", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "millstream-segment-store-"));
    const store = await SegmentStore.open({
      columns: COLUMNS,
      threads: 1,
      memory: { limitMb: 16, spillDirectory: path.join(root, "spill") },
    });
    try {
      const total = 600_000;
      for (let from = 0; from < total; from += 8192) {
        const rows: [number, number | null, 0 | 1 | null, number | null][] = [];
        for (let i = from; i < Math.min(total, from + 8192); i++) rows.push([i, i % 2, 1, i / 2]);
        await store.append(1, block(rows, from === 0 ? ["even", "odd"] : []));
      }
      // 600,000 staged rows of 32 bytes do not fit in 16 MiB: DuckDB spilled.
      const spilled = await readdir(path.join(root, "spill"));
      assert.ok(
        spilled.some((f) => f.startsWith("duckdb_temp_storage")),
        `spill folder: ${spilled}`,
      );
      await store.copy(1, path.join(root, "big.parquet"), "FORMAT PARQUET");
      const instance = await DuckDBInstance.create(":memory:");
      try {
        const connection = await instance.connect();
        const result = await connection.runAndReadAll(
          `SELECT count(*)::INT, sum(n)::DOUBLE, count(*) FILTER (name = 'odd')::INT
           FROM read_parquet('${root}/big.parquet')`,
        );
        assert.deepEqual(result.getRowsJS(), [[total, (total * (total - 1)) / 2, total / 2]]);
      } finally {
        instance.closeSync();
      }
    } finally {
      await store.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});

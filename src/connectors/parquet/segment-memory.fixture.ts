/**
 * Run as a child process by `segment-memory.test.ts`: opens a segment writer (its
 * DuckDB on its own thread, as an archive runs), writes a small segment to load
 * everything, then segments of 262,144 rows (the archive's default size), and prints as
 * JSON the process's resident memory before and after them and DuckDB's allocator
 * setting. A fresh process, because jemalloc reads its setting once per process.
 *
 * Usage: node --import tsx segment-memory.fixture.ts <directory> [limit|none]
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { ColumnSpec } from "./columns.js";
import { DUCKDB_ALLOCATOR_ENV } from "./duckdb-allocator.js";
import { CELL_NUMBER, CELL_STRING, RowBlock } from "./row-block.js";
import { SegmentWriter } from "./segment-writer.js";

const [directory, mode = "limit"] = process.argv.slice(2);
if (directory === undefined) throw new Error("usage: segment-memory.fixture.ts <directory>");

const COLUMNS: ColumnSpec[] = [
  { name: "site", type: "VARCHAR" },
  { name: "kind", type: "VARCHAR" },
  { name: "sensor", type: "VARCHAR" },
  { name: "at", type: "TIMESTAMP_MS" },
  ...Array.from({ length: 10 }, (_, k): ColumnSpec => ({ name: `m${k}`, type: "DOUBLE" })),
];
const SENSORS = 50_000;
const BLOCK_ROWS = 8_192;
const SEGMENT_ROWS = 262_144;

const writer = await SegmentWriter.open({
  columns: COLUMNS,
  threads: 1,
  ...(mode === "limit" ? { memory: { limitMb: 256, spillDirectory: `${directory}/spill` } } : {}),
});

let first = true;
/** A block of `rows` rows from row `start`; the first block defines every string. */
function block(start: number, rows: number) {
  const b = new RowBlock(COLUMNS.length, rows, []);
  if (first) {
    const define = (column: number, names: string[]) => {
      b.added.push(...names);
      b.addedColumns.push(...names.map(() => column));
    };
    define(
      0,
      Array.from({ length: 5 }, (_, s) => `site-${s}`),
    );
    define(
      1,
      Array.from({ length: 5 }, (_, k) => `kind-${k}`),
    );
    define(
      2,
      Array.from({ length: SENSORS }, (_, s) => `sensor-${s}`),
    );
    first = false;
  }
  for (let i = start; i < start + rows; i++) {
    const base = b.reserve();
    const codes = [i % 5, Math.floor(i / 5) % 5, i % SENSORS];
    codes.forEach((code, c) => {
      b.numbers[base + c] = code;
      b.kinds[base + c] = CELL_STRING;
    });
    b.numbers[base + 3] = 1_764_000_000_000 + i;
    b.kinds[base + 3] = CELL_NUMBER;
    for (let m = 0; m < 10; m++) {
      // Readings have two or three measures of ten; the others are NULL.
      if ((i + m) % 4 === 0) continue;
      b.numbers[base + 4 + m] = Math.sin(i + m) * 100;
      b.kinds[base + 4 + m] = CELL_NUMBER;
    }
    b.endRow();
  }
  return b.data();
}

const options = "FORMAT PARQUET, PARTITION_BY (site, kind), COMPRESSION zstd";
async function writeSegment(segment: number, rows: number): Promise<void> {
  const appends: Promise<void>[] = [];
  for (let start = 0; start < rows; start += BLOCK_ROWS) {
    appends.push(writer.append(segment, block(start, Math.min(BLOCK_ROWS, rows - start))));
  }
  await Promise.all(appends);
  await writer.copy(segment, `${directory}/segment-${segment}`, options);
}

const settle = async (): Promise<number> => {
  await sleep(300);
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss;
};

await writeSegment(0, BLOCK_ROWS);
const before = await settle();
const after: number[] = [];
for (let segment = 1; segment <= 3; segment++) {
  await writeSegment(segment, SEGMENT_ROWS);
  after.push(await settle());
}
await writer.close();
const MiB = 1024 * 1024;
process.stdout.write(
  `${JSON.stringify({
    setting: process.env[DUCKDB_ALLOCATOR_ENV] ?? null,
    beforeMiB: Math.round(before / MiB),
    afterMiB: after.map((rss) => Math.round(rss / MiB)),
  })}\n`,
);

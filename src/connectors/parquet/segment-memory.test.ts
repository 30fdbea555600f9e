/**
 * DuckDB's freed memory goes back to the system: a writer's process, after three
 * segments of 262,144 rows, is not much larger than before them. Each case runs in a
 * fresh child process (`segment-memory.fixture.ts`), since DuckDB's allocator reads its
 * setting once per process.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DUCKDB_ALLOCATOR_ENV, PROMPT_RELEASE } from "./duckdb-allocator.js";

const FIXTURE = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "segment-memory.fixture.ts",
);

interface Measured {
  readonly setting: string | null;
  readonly beforeMiB: number;
  readonly afterMiB: readonly number[];
}

/** Runs the fixture with `setting` in the environment (`undefined`: none). */
async function measure(mode: "limit" | "none", setting?: string): Promise<Measured> {
  const directory = await mkdtemp(path.join(tmpdir(), "millstream-segment-memory-"));
  const env = { ...process.env };
  delete env[DUCKDB_ALLOCATOR_ENV];
  if (setting !== undefined) env[DUCKDB_ALLOCATOR_ENV] = setting;
  try {
    const child = spawn(
      process.execPath,
      ["--expose-gc", "--import", "tsx", FIXTURE, directory, mode],
      { env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, `the fixture failed: ${err}`);
    return JSON.parse(out) as Measured;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * How much larger the process stayed after the segments, in MiB: the least of its
 * sizes after each (what DuckDB keeps shows in every one; the test's own garbage, left
 * to the collector, only in some).
 */
const growth = (m: Measured): number => Math.min(...m.afterMiB) - m.beforeMiB;

describe("DuckDB's freed memory", () => {
  it("goes back to the system after each segment, with a memory limit or without", async () => {
    for (const mode of ["limit", "none"] as const) {
      const measured = await measure(mode);
      assert.equal(measured.setting, PROMPT_RELEASE);
      // Measured: 13–15 MiB; with a long decay, 58–85 MiB (next test).
      assert.ok(growth(measured) < 35, `${mode}: grew ${JSON.stringify(measured)}`);
    }
  });

  it("follows the operator's own setting instead, when the environment has one", async () => {
    const own = "dirty_decay_ms:60000,muzzy_decay_ms:60000";
    const measured = await measure("limit", own);
    assert.equal(measured.setting, own);
    // Freed pages wait out the decay: the process keeps what the segments freed.
    assert.ok(growth(measured) >= 35, `grew only ${JSON.stringify(measured)}`);
  });
});

/**
 * The resumable simulator source the demo runs on: a run interrupted at any poll and
 * resumed from its positions hands out exactly the lines of the uninterrupted run
 * (replayed), or — past the replay budget — every (sensor, time) reading of it once,
 * none twice, none missing, keeping the duration, the warm-up and unique label ids.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SourceReader } from "../../engine/index.js";
import { parseReading } from "../../iot/reading/index.js";
import { createPlant, type FaultLabel } from "../../iot/simulator/index.js";
import {
  type ResumableSimulatorOptions,
  resumableSimulatorSource,
} from "./resumable-simulator-source.js";

const START = Date.UTC(2026, 0, 5, 8, 0, 0);
const plant = createPlant({ facilities: 3, sensors: 60, seed: 11 });

/**
 * `partition|sensor|timestamp` of every line, in order; at most `polls` polls. With
 * `malformedToo` (runs with faults), lines that do not parse are left out.
 */
async function drain(
  reader: SourceReader<string>,
  polls = Number.POSITIVE_INFINITY,
  malformedToo = false,
) {
  const keys: string[] = [];
  for (let i = 0; i < polls; i++) {
    const poll = await reader.poll();
    if (poll.kind === "end") break;
    if (poll.kind !== "batch") continue;
    for (const line of poll.values) {
      const parsed = parseReading(line);
      if (!parsed.ok && malformedToo) continue;
      assert.ok(parsed.ok, line);
      keys.push(`${poll.partition}|${parsed.reading.sensor_id}|${parsed.reading.timestamp}`);
    }
  }
  return keys;
}

const options: ResumableSimulatorOptions = {
  maxReplayLines: 0, // a new run at the position, unless a test says otherwise
  startMs: START,
  durationMs: 90_000,
  intervalMs: 1000,
  sliceMs: 500,
  jitter: 0,
  faults: false,
  batchSize: 7, // batches end inside a partition's slice
};

/** Every line with its partition, in order; at most `polls` polls. */
async function rawLines(reader: SourceReader<string>, polls = Number.POSITIVE_INFINITY) {
  const lines: string[] = [];
  for (let i = 0; i < polls; i++) {
    const poll = await reader.poll();
    if (poll.kind === "end") break;
    if (poll.kind === "batch") for (const v of poll.values) lines.push(`${poll.partition} ${v}`);
  }
  return lines;
}

describe("resumable simulator source", () => {
  it("replays a short history exactly: the same lines and labels as without a stop", async () => {
    const exact: ResumableSimulatorOptions = {
      ...options,
      maxReplayLines: 1_000_000,
      durationMs: 420_000,
      jitter: 0.05,
      faults: { warmupMs: 30_000, ratePerSensorHour: 60, cooldownMs: 60_000, tailMs: 30_000 },
    };
    const allLabels: FaultLabel[] = [];
    const all = await rawLines(
      await resumableSimulatorSource(plant, {
        ...exact,
        onLabels: (l) => allLabels.push(...l),
      }).open({ step: "in" }),
    );
    assert.ok(allLabels.length > 10);
    const byPartition = (lines: string[], p: number) => lines.filter((l) => l.startsWith(`${p} `));
    for (const [batchSize, stopAfter] of [
      [7, 3],
      [7, 250],
      [7, 1201],
      [50, 40],
    ] as const) {
      const labels: FaultLabel[] = [];
      const resumes: [number, boolean][] = [];
      const source = resumableSimulatorSource(plant, {
        ...exact,
        batchSize,
        onLabels: (l) => labels.push(...l),
        onResume: (at, isExact) => resumes.push([at, isExact]),
      });
      const first = await source.open({ step: "in" });
      const before = await rawLines(first, stopAfter);
      const positions = first.positions!();
      await first.close();
      const planned = labels.splice(0);
      const after = await rawLines(await source.open({ step: "in", resumeFrom: positions }));
      assert.equal(resumes.length, 1);
      const [resumedAt, replayed] = resumes[0]!;
      assert.equal(replayed, true);
      for (let p = 0; p < 3; p++) {
        assert.deepEqual(
          [...byPartition(before, p), ...byPartition(after, p)],
          byPartition(all, p),
          `partition ${p}, batches of ${batchSize}, stop after ${stopAfter} polls`,
        );
      }
      // What the demo keeps (labels starting before the resume point) and what comes
      // after it are together the labels of the uninterrupted run, once each.
      const kept = [...planned.filter((l) => l.start_ms < resumedAt), ...labels];
      assert.deepEqual(kept.map((l) => l.id).sort(), allLabels.map((l) => l.id).sort());
    }
  });

  it("resumes from its positions without repeating or skipping a reading", async () => {
    const all = await drain(await resumableSimulatorSource(plant, options).open({ step: "in" }));
    assert.equal(all.length, 60 * 90);
    assert.equal(new Set(all).size, all.length);
    // Batches of 7 end inside slices; batches of 50 also span several slices.
    for (const batchSize of [7, 50]) {
      for (const stopAfter of [1, 5, 23, 100]) {
        const source = resumableSimulatorSource(plant, { ...options, batchSize });
        const first = await source.open({ step: "in" });
        const before = await drain(first, stopAfter);
        const positions = first.positions!();
        await first.close();
        assert.equal(positions.size, 3);
        const second = await source.open({ step: "in", resumeFrom: positions });
        const after = await drain(second);
        const together = [...before, ...after];
        const at = `batches of ${batchSize}, stop after ${stopAfter} polls`;
        assert.equal(new Set(together).size, together.length, `no reading twice (${at})`);
        assert.deepEqual(new Set(together), new Set(all), `no reading missing (${at})`);
      }
    }
  });

  it("reports positions on slice boundaries and lines into a slice", async () => {
    const reader = await resumableSimulatorSource(plant, options).open({ step: "in" });
    await drain(reader, 2);
    const positions = [...reader.positions!().values()] as {
      origin: number;
      time: number;
      lines: number;
    }[];
    for (const p of positions) {
      assert.equal(p.origin, START);
      assert.equal((p.time - START) % 500, 0);
      assert.ok(p.lines >= 0);
    }
    assert.ok(positions.some((p) => p.lines > 0 || p.time > START));
  });

  it("keeps the first run's duration and warm-up, and gives a resumed run's labels new ids", async () => {
    const labels: FaultLabel[] = [];
    const starts: number[] = [];
    const faulty: ResumableSimulatorOptions = {
      ...options,
      durationMs: 1_200_000,
      sliceMs: 1000,
      batchSize: 100,
      faults: { warmupMs: 300_000, ratePerSensorHour: 30 },
      onLabels: (l) => labels.push(...l),
      onStart: (run) => starts.push(run.startMs),
    };
    const source = resumableSimulatorSource(plant, faulty);
    const first = await source.open({ step: "in" });
    await drain(first, 60, true); // about 100 s of simulated time
    const positions = first.positions!();
    await first.close();
    const firstIds = new Set(labels.map((l) => l.id));
    labels.length = 0;
    const second = await source.open({ step: "in", resumeFrom: positions });
    const after = await drain(second, Number.POSITIVE_INFINITY, true);
    assert.equal(starts[0], START);
    const resumedAt = starts[1]!;
    assert.ok(resumedAt > START && resumedAt <= START + 200_000, `resumed at ${resumedAt - START}`);
    assert.ok(labels.length > 0);
    for (const l of labels) {
      assert.match(l.id, new RegExp(`^F\\d{6}(-down|-up)?@${resumedAt}$`));
      assert.ok(!firstIds.has(l.id));
      assert.ok(l.start_ms >= START + 300_000, "no fault inside the first run's warm-up");
    }
    const lastTime = after.reduce((m, k) => Math.max(m, Number(k.split("|")[2])), 0);
    assert.ok(lastTime < START + 1_200_000 && lastTime >= START + 1_200_000 - 1000);
  });

  it("refuses a position it did not write, naming the partition", async () => {
    const source = resumableSimulatorSource(plant, options);
    await assert.rejects(
      source.open({ step: "in", resumeFrom: new Map([[0, { offset: 12 }]]) }),
      /cannot resume from partition 0's position \{"offset":12\}: expected \{ origin, start, time, lines \}/,
    );
    assert.throws(
      () => resumableSimulatorSource(plant, { ...options, intervalMs: 1000 / 3 }),
      /intervalMs and sliceMs must be positive integers/,
    );
  });
});

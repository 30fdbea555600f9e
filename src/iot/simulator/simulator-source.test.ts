import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { SourcePoll } from "../../engine/index.js";
import { CollectingSink } from "../../engine/testing/index.js";
import { MetadataCatalog } from "../metadata/index.js";
import { plantPipeline, type ReadingDeadLetter } from "../plant-pipeline.js";
import type { Anomaly } from "../reading/reading.js";
import type { FaultLabel } from "./fault-types.js";
import { jsonlTarget, MemoryTarget } from "./output-target.js";
import { plantMetadataSet } from "./plant-metadata.js";
import { createPlant } from "./plant-model.js";
import { runSimulation, simulate } from "./simulate.js";
import { simulatorSource } from "./simulator-source.js";

const MINUTE = 60_000;

describe("simulatorSource", () => {
  it("feeds the plant pipeline, one partition per facility, and reports its labels", async () => {
    const plant = createPlant({ facilities: 2, sensors: 40, seed: 6 });
    const labels: FaultLabel[] = [];
    const input = simulatorSource(plant, {
      durationMs: 25 * MINUTE,
      faults: { mix: { offline: 1, stuck: 1 }, ratePerSensorHour: 3, warmupMs: 5 * MINUTE },
      onLabels: (l) => labels.push(...l),
    });
    const reader = await input.open({ step: "input" });
    assert.equal(reader.partitions, 2);
    await reader.close();
    const anomalies = new CollectingSink<Anomaly>();
    const deadLetters = new CollectingSink<ReadingDeadLetter>();
    const { dataflow } = plantPipeline("sim", {
      input,
      catalog: new MetadataCatalog(plantMetadataSet(plant)),
      config: { advanceWhenQuiet: false },
      sinks: { anomalies, deadLetters, late: new CollectingSink() },
    });
    await dataflow.run();
    assert.ok(labels.length >= 4, `${labels.length} labels`);
    assert.equal(deadLetters.values.length, 0);
    const found = new Set(anomalies.values.map((a) => `${a.detector}|${a.sensor_id}`));
    for (const l of labels) {
      const detector = l.fault === "offline" ? "offline" : "stuck-sensor";
      assert.ok(found.has(`${detector}|${l.sensor_id}`), `${l.id} ${l.fault} found`);
    }
  });

  it("in real time, returns idle until a slice is due, then its lines", async () => {
    const plant = createPlant({ facilities: 1, sensors: 5, seed: 1 });
    const reader = await simulatorSource(plant, {
      realtime: true,
      intervalMs: 400,
      sliceMs: 400,
      faults: false,
      partitioning: "single",
    }).open({ step: "input" });
    const started = Date.now();
    const polls: SourcePoll<string>[] = [];
    while (Date.now() - started < 700) polls.push(await reader.poll());
    await reader.close();
    assert.equal(polls[0]!.kind, "idle", "nothing is due at once");
    const batches = polls.filter((p) => p.kind === "batch");
    assert.ok(batches.length >= 1, "a slice arrived after 400 ms");
    assert.equal(batches[0]!.kind === "batch" && batches[0]!.values.length, 5);
    assert.equal((await reader.poll()).kind, "end", "closed");
  });
});

describe("simulate and runSimulation", () => {
  it("write the lines and labels to targets, and stop on abort", async () => {
    const plant = createPlant({ sensors: 20, seed: 2 });
    const dir = await mkdtemp(path.join(tmpdir(), "millstream-sim-out-"));
    try {
      const readings = jsonlTarget(path.join(dir, "sub", "readings.jsonl"));
      const labels = new MemoryTarget();
      const summary = await runSimulation(
        plant,
        { durationMs: 40 * MINUTE, faults: { ratePerSensorHour: 2, warmupMs: MINUTE } },
        { readings, labels },
      );
      const text = await readFile(path.join(dir, "sub", "readings.jsonl"), "utf8");
      assert.equal(text.split("\n").length - 1, summary.lines);
      assert.equal(labels.lines.length, summary.labels);
      assert.ok(labels.closed, "labels target closed");
      assert.equal(JSON.parse(labels.lines[0]!).id, "F000001");
      assert.equal(summary.toMs - summary.fromMs, 40 * MINUTE);

      const controller = new AbortController();
      let slices = 0;
      for await (const slice of simulate(plant, { signal: controller.signal, faults: false })) {
        assert.ok(slice.lines.length > 0, "slice has lines");
        if (++slices === 3) controller.abort();
      }
      assert.equal(slices, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The `pipeline.alarms` configuration: the examples of docs/alarms.md load (the
 * article's priority rule gives the article's numbers), and mistakes are refused
 * with the file, the field and what was expected.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { alarmPipeline } from "../../alerts/alarm-pipeline.js";
import type { AlarmSignal } from "../../alerts/alarm-signal.js";
import { articlePriority, type PriorityConfig, priorityFunction } from "../../alerts/priority.js";
import { source } from "../../engine/index.js";
import { TestingSource } from "../../engine/testing/index.js";
import { ConfigError, loadReplayConfig } from "./plant-config.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const dir = mkdtempSync(path.join(tmpdir(), "millstream-alerts-config-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The first ```yaml block of docs/alarms.md after `marker`. */
function docsYaml(marker: string): string {
  const doc = readFileSync(path.join(ROOT, "docs", "alarms.md"), "utf8");
  const from = doc.indexOf(marker);
  assert.ok(from >= 0, `docs/alarms.md has ${marker}`);
  const start = doc.indexOf("```yaml\n", from) + "```yaml\n".length;
  return doc.slice(start, doc.indexOf("```", start));
}

let n = 0;
function load(yaml: string) {
  const file = path.join(dir, `config-${++n}.yaml`);
  writeFileSync(file, yaml);
  return { file, config: () => loadReplayConfig(file) };
}

function sig(score: number, labels: Record<string, string>): AlarmSignal {
  return {
    type: "z-score",
    source: { kind: "sensor", id: "S" },
    severity: "critical",
    score,
    value: null,
    baseline: {},
    time: 0,
    labels,
    message: "",
  };
}

describe("pipeline.alarms configuration", () => {
  test("the article's priority rule, as documented, gives the article's priorities", () => {
    const { config } = load(docsYaml("<!-- article-priority -->"));
    const priority = config().pipeline.alarms!.priority as PriorityConfig;
    const fromConfig = priorityFunction(priority);
    const inCode = priorityFunction(articlePriority);
    const cases: [number, Record<string, string>, number][] = [
      [6.2, { facility: "plant-main", criticality: "critical", equipment_class: "reactor" }, 100],
      [3.5, { facility: "plant-a", criticality: "high", equipment_class: "pump" }, 35],
      [3.5, { facility: "plant-a", criticality: "high", equipment_class: "turbine" }, 85],
      [4.0, { facility: "main-west", criticality: "low" }, 65],
      [1.27, { facility: "x" }, 12],
    ];
    for (const [score, labels, expected] of cases) {
      assert.equal(fromConfig(sig(score, labels)), expected, JSON.stringify(labels));
      assert.equal(inCode(sig(score, labels)), expected, JSON.stringify(labels));
    }
  });

  test("the documented full configuration loads and builds", () => {
    const { config } = load(docsYaml("## Configuration"));
    const alarms = config().pipeline.alarms!;
    assert.equal(alarms.lifecycle?.clearAfterMs, 60_000);
    assert.deepEqual(Object.keys(alarms.channels ?? {}), ["ops-slack"]);
    const { monitor } = alarms as { monitor?: { intervalMs?: number; maxRssBytes?: unknown } };
    assert.equal(monitor?.intervalMs, 10_000);
    assert.equal(monitor?.maxRssBytes, null);
    const input = source("signals", new TestingSource<AlarmSignal>([]));
    assert.doesNotThrow(() => alarmPipeline(input, { config: alarms }));
  });

  test("mistakes name the file, the field and what was expected", () => {
    const cases: [string, RegExp][] = [
      [
        "pipeline:\n  alarms:\n    routes:\n      - { name: ops, channels: [pager] }\n",
        /: pipeline\.alarms\.routes\.0\.channels\.0: expected one of the configured channels \(slack, email, sms, webhook\)/,
      ],
      [
        "pipeline:\n  alarms:\n    routes: [{ name: a }, { name: a }]\n",
        /pipeline\.alarms\.routes\.1\.name: duplicate route name "a"/,
      ],
      [
        "pipeline:\n  alarms:\n    rateLimits: { pager: { max: 1, perMs: 1000 } }\n",
        /pipeline\.alarms\.rateLimits\.pager: expected one of the configured channels/,
      ],
      [
        "pipeline:\n  alarms:\n    priority: { rules: [{ match: { facility: { regex: '(' } }, add: 1 }] }\n",
        /pipeline\.alarms\.priority\.rules\.0\.match\.facility\.regex: expected a valid JavaScript regular expression/,
      ],
      [
        "pipeline:\n  alarms:\n    priority: { rules: [{ match: {} }] }\n",
        /pipeline\.alarms\.priority\.rules\.0: expected at least one of set, multiply, add/,
      ],
      [
        "pipeline:\n  alarms:\n    lifecycle: { clearAfter: 5 }\n",
        /pipeline\.alarms\.lifecycle: .*clearAfter/,
      ],
      [
        "pipeline:\n  alarms:\n    monitor: { maxBusyShare: 1.5 }\n",
        /pipeline\.alarms\.monitor\.maxBusyShare: /,
      ],
      [
        "pipeline:\n  alarms:\n    grouping: { groupIntervalMs: 0 }\n",
        /pipeline\.alarms\.grouping\.groupIntervalMs: .*\(got 0\)/,
      ],
      [
        "pipeline:\n  alarms:\n    routes: [{ name: a, channelTypes: [telegram] }]\n",
        /pipeline\.alarms\.routes\.0\.channelTypes\.0: /,
      ],
    ];
    for (const [yaml, expected] of cases) {
      const { file, config } = load(yaml);
      assert.throws(
        config,
        (e: unknown) =>
          e instanceof ConfigError && e.message.startsWith(file) && expected.test(e.message),
        yaml,
      );
    }
  });
});

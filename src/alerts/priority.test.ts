/**
 * Priority rules and matchers: the defaults, the reference article's rule written as
 * configuration, and each kind of condition.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AlarmSignal } from "./alarm-signal.js";
import { compileMatcher, MatcherError } from "./matcher.js";
import { articlePriority, priorityFunction } from "./priority.js";

function sig(
  score: number,
  labels: Record<string, string>,
  severity: AlarmSignal["severity"] = "critical",
): AlarmSignal {
  return {
    type: "z-score",
    source: { kind: "sensor", id: labels.sensor ?? "S1" },
    severity,
    score,
    value: 1,
    baseline: {},
    time: 0,
    labels,
    message: "",
  };
}

describe("priority", () => {
  test("default: by severity alone", () => {
    const p = priorityFunction();
    assert.deepEqual(
      (["low", "medium", "high", "critical"] as const).map((s) => p(sig(9, {}, s))),
      [20, 50, 75, 95],
    );
  });

  test("the article's rule: score × 10, +50 critical equipment, +25 main facility, capped at 100", () => {
    const p = priorityFunction(articlePriority);
    assert.equal(p(sig(3.5, { facility: "plant-a", criticality: "high" })), 35);
    assert.equal(p(sig(3.5, { facility: "plant-a", criticality: "critical" })), 85);
    assert.equal(
      p(sig(3.5, { facility: "plant-a", criticality: "high", equipment_class: "reactor" })),
      85,
    );
    assert.equal(p(sig(4.0, { facility: "main-west", criticality: "low" })), 65);
    assert.equal(p(sig(6.2, { facility: "plant-main", criticality: "critical" })), 100);
    assert.equal(
      p(sig(3.79, { facility: "x", criticality: "low" })),
      37,
      "rounded down like the article's int()",
    );
  });

  test("rules apply in order: set, multiply, add; a rule's minPriority sees the points so far", () => {
    const p = priorityFunction({
      scoreFactor: 0,
      severityPoints: { high: 60 },
      rules: [
        { match: { type: "z-score" }, multiply: 0.5 },
        { match: { minPriority: 30 }, add: 5 },
        { match: { labels: { line: "L9" } }, set: 10 },
      ],
      max: 100,
    });
    assert.equal(p(sig(0, {}, "high")), 35);
    assert.equal(p(sig(0, { line: "L9" }, "high")), 10);
    assert.equal(p(sig(0, {}, "low")), 0, "never below 0");
  });
});

describe("matchers", () => {
  const subject = {
    alarmId: "z-score|sensor:T1",
    type: "z-score",
    source: { kind: "sensor" as const, id: "T1" },
    severity: "high" as const,
    priority: 80,
    labels: { facility: "plant-main", equipment: "OVEN-1", line: "L1" },
  };

  test("every kind of condition", () => {
    const yes = (m: Parameters<typeof compileMatcher>[0]) =>
      assert.equal(compileMatcher(m)(subject), true, JSON.stringify(m));
    const no = (m: Parameters<typeof compileMatcher>[0]) =>
      assert.equal(compileMatcher(m)(subject), false, JSON.stringify(m));
    yes({});
    yes({ type: "z-score", sourceKind: "sensor", source: "T1", equipment: "OVEN-1" });
    yes({ facility: { regex: "main" }, labels: { line: ["L1", "L2"] } });
    yes({
      minSeverity: "medium",
      severity: ["high", "critical"],
      minPriority: 80,
      maxPriority: 80,
    });
    yes({ labels: { missing: { not: "x" }, line: { not: ["L2"] } } });
    no({ facility: { regex: "^main" } });
    no({ labels: { missing: "x" } });
    no({ minSeverity: "critical" });
    no({ minPriority: 81 });
    no({ minScore: 1 });
    no({ alarmId: ["other"] });
  });

  test("a bad regular expression names its field", () => {
    assert.throws(
      () => compileMatcher({ labels: { line: { regex: "(" } } }, "routes.ops.match"),
      (e: unknown) => e instanceof MatcherError && e.path === "routes.ops.match.labels.line.regex",
    );
  });
});

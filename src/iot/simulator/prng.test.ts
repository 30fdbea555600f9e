import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Prng } from "./prng.js";

const draws = (rng: Prng, n: number) => Array.from({ length: n }, () => rng.next());

describe("Prng", () => {
  it("gives the same sequence for the same seed, another for another seed", () => {
    assert.deepEqual(draws(new Prng(42), 20), draws(new Prng(42), 20));
    assert.deepEqual(draws(new Prng("plant-a"), 5), draws(new Prng("plant-a"), 5));
    assert.notDeepEqual(draws(new Prng(42), 5), draws(new Prng(43), 5));
    assert.notDeepEqual(draws(new Prng(1), 5), draws(new Prng("1"), 5));
  });

  it("forks independent streams from the seed alone, whenever it is called", () => {
    const a = new Prng(7);
    const early = a.fork("faults");
    draws(a, 100);
    const late = a.fork("faults");
    assert.deepEqual(draws(early, 10), draws(late, 10));
    assert.notDeepEqual(
      draws(new Prng(7).fork("faults"), 10),
      draws(new Prng(7).fork("jitter"), 10),
    );
  });

  it("draws uniform, normal, Poisson and integer values with the right moments", () => {
    const rng = new Prng(3);
    const n = 50_000;
    const u = draws(rng, n);
    assert.ok(
      u.every((x) => x >= 0 && x < 1),
      "u.every((x) => x >= 0 && x < 1)",
    );
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    assert.ok(Math.abs(mean(u) - 0.5) < 0.01, "Math.abs(mean(u) - 0.5) < 0.01");
    const z = Array.from({ length: n }, () => rng.normal());
    const m = mean(z);
    const sd = Math.sqrt(mean(z.map((x) => (x - m) ** 2)));
    assert.ok(Math.abs(m) < 0.02 && Math.abs(sd - 1) < 0.02, `normal ${m} ${sd}`);
    const p = Array.from({ length: 5_000 }, () => rng.poisson(4));
    assert.ok(Math.abs(mean(p) - 4) < 0.15, "Math.abs(mean(p) - 4) < 0.15");
    assert.ok(
      Math.abs(mean(Array.from({ length: 2_000 }, () => rng.poisson(200))) - 200) < 2,
      "Math.abs(mean(Array.from({ length: 2_000 }, () => rng.poisson(200))...",
    );
    const ints = Array.from({ length: 1_000 }, () => rng.int(6));
    assert.deepEqual([...new Set(ints)].sort(), [0, 1, 2, 3, 4, 5]);
    assert.equal(rng.poisson(0), 0);
  });
});

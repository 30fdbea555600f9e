/**
 * The checkpoint store contract suite (`CheckpointStore` in
 * src/engine/checkpoint/checkpoint-store.ts), written once and run by every
 * implementation's test file: `describeCheckpointStore(name, factory)`.
 *
 * The factory makes a fresh, isolated store for each test and may add hooks that only
 * the implementation can provide (reopening the same storage, tampering with a stored
 * checkpoint, making a write fail half-way); the tests that need a missing hook are
 * skipped with a note saying which.
 */
import assert from "node:assert/strict";
import { describe, it, type TestContext } from "node:test";
import {
  beginCheckpoint,
  type CheckpointData,
  type CheckpointStore,
  type PositionRow,
  type SharedRow,
  type SinkProgressRow,
  type StateRow,
  type StoredCheckpoint,
} from "../../engine/checkpoint/checkpoint-store.js";
import { seededRandom as random } from "../../engine/testing/index.js";

/** A fresh store made for one test, with the hooks its implementation can provide. */
export interface CheckpointStoreFixture {
  /** The store under test; the suite closes it. */
  readonly store: CheckpointStore;
  /** Opens the same storage again (after `store` was closed), as a restarted process would. */
  reopen?(): Promise<CheckpointStore>;
  /**
   * Changes one stored value of checkpoint `id` of `job` behind the store's back (one
   * of its state rows, or its metadata if it wrote no row), as disk damage or a stray
   * `UPDATE` would.
   */
  corrupt?(job: string, id: number): Promise<void>;
  /**
   * Makes every later attempt to write the state row whose key is `key` fail inside
   * the store's transaction, so a commit fails half-way through its rows.
   */
  failOnKey?(key: string): Promise<void>;
  /** Removes what the fixture created (files, schemas). Runs after the store is closed. */
  dispose?(): Promise<void>;
}

/** What the suite passes to the factory. */
export interface CheckpointStoreFactoryOptions {
  /** The store's warning callback: the suite checks what it reports. */
  readonly onWarning: (message: string) => void;
}

/** Makes a fresh, isolated store for one test. */
export type CheckpointStoreFactory = (
  options: CheckpointStoreFactoryOptions,
) => Promise<CheckpointStoreFixture>;

/** Options of {@link describeCheckpointStore}. */
export interface CheckpointStoreSuiteOptions {
  /** Skip the whole suite, with this reason (e.g. the database is unreachable). */
  readonly skip?: string | false;
}

/** A state row with its key and state JSON-encoded, as the engine writes them. */
export function stateRow(step: string, partition: number, key: unknown, state: unknown): StateRow {
  return {
    step,
    partition,
    key: JSON.stringify(key),
    state: state === null ? null : JSON.stringify(state),
  };
}

/** A checkpoint of `job` with these delta rows, and shared state, positions and sink progress derived from `id`. */
export function checkpointData(
  job: string,
  id: number,
  rows: readonly StateRow[],
  extra: Partial<Pick<CheckpointData, "shared" | "positions" | "sinks" | "createdAt">> = {},
): CheckpointData {
  return {
    job,
    id,
    createdAt: extra.createdAt ?? 1_700_000_000_000 + id * 5000,
    rows,
    shared: extra.shared ?? [
      { step: "avg-temperature", state: JSON.stringify({ watermark: id * 1000 }) },
      { step: "source", state: JSON.stringify({ channels: ["a", "b"], id }) },
    ],
    positions: extra.positions ?? [
      { step: "source", partition: 0, position: JSON.stringify({ offset: id * 10 }) },
      { step: "source", partition: 1, position: JSON.stringify({ offset: id * 10 + 1 }) },
    ],
    sinks: extra.sinks ?? [{ step: "archive", progress: JSON.stringify({ epoch: id }) }],
  };
}

const rowKey = (r: { step: string; partition: number; key: string }): string =>
  `${r.step}\u0000${r.partition}\u0000${r.key}`;

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A stored checkpoint with every group in a fixed order, for `deepEqual`. */
export function canonical(c: StoredCheckpoint | null): StoredCheckpoint | null {
  if (c === null) return null;
  return {
    job: c.job,
    id: c.id,
    createdAt: c.createdAt,
    rows: c.rows
      .map(({ step, partition, key, state }) => ({ step, partition, key, state }))
      .sort((a, b) => byText(rowKey(a), rowKey(b))),
    shared: c.shared
      .map(({ step, state }): SharedRow => ({ step, state }))
      .sort((a, b) => byText(a.step, b.step)),
    positions: c.positions
      .map(({ step, partition, position }): PositionRow => ({ step, partition, position }))
      .sort((a, b) => byText(a.step, b.step) || a.partition - b.partition),
    sinks: c.sinks
      .map(({ step, progress }): SinkProgressRow => ({ step, progress }))
      .sort((a, b) => byText(a.step, b.step)),
  };
}

/**
 * Applies checkpoints to a model of the full keyed state, the way a store must:
 * upserts replace, tombstones delete. `expected()` is what `latest` must return.
 */
export class StateModel {
  readonly #state = new Map<string, StateRow>();
  #last: CheckpointData | undefined;

  apply(data: CheckpointData): this {
    for (const row of data.rows) {
      if (row.state === null) this.#state.delete(rowKey(row));
      else this.#state.set(rowKey(row), { ...row });
    }
    this.#last = data;
    return this;
  }

  /** The stored checkpoint the model's last checkpoint stands for, canonical. */
  expected(): StoredCheckpoint {
    const last = this.#last;
    assert.ok(last, "StateModel: no checkpoint applied");
    return canonical({ ...last, rows: [...this.#state.values()] })!;
  }
}

/**
 * `count` checkpoints of `job` over `keys` keys in two steps, each writing a random
 * subset: new states, rewritten states and tombstones (some for keys never stored).
 */
export function randomCheckpoints(job: string, count: number, keys: number, seed: number) {
  const next = random(seed);
  const list: CheckpointData[] = [];
  for (let id = 1; id <= count; id++) {
    const rows: StateRow[] = [];
    for (let k = 0; k < keys; k++) {
      const r = next();
      if (r > 0.3) continue;
      const step = k % 2 === 0 ? "avg-temperature" : "stuck-sensor";
      const key = `sensor-${k}`;
      rows.push(stateRow(step, k % 8, key, r < 0.05 ? null : { sum: id * k, n: id, key }));
    }
    list.push(checkpointData(job, id, rows));
  }
  return list;
}

/** A row whose fields throw when read: a commit reaching it fails part-way through its rows. */
function explodingRow(): StateRow {
  return {
    step: "avg-temperature",
    partition: 0,
    get key(): string {
      throw new Error("injected failure while reading a row");
    },
    state: "{}",
  };
}

/** 100,000 rows over two steps with state of a few hundred bytes each. */
export function bigRows(count: number, version: number): StateRow[] {
  const rows: StateRow[] = [];
  for (let i = 0; i < count; i++) {
    rows.push(
      stateRow(
        i % 2 === 0 ? "avg-temperature" : "stuck-sensor",
        i % 64,
        `plant-1/line-${i % 40}/sensor-${i}`,
        {
          window: { start: 1_700_000_000_000 + i, end: 1_700_000_060_000 + i },
          count: (i % 97) + version,
          mean: 12.345678 + i / 7,
          m2: 1234.5678 * i,
          min: -i / 3,
          max: i / 3,
          last: { t: 1_700_000_000_123 + version, value: 42.4242 },
          panes: [
            [1, 2.5, 3.125],
            [4, 5.5, 6.25],
          ],
        },
      ),
    );
  }
  return rows;
}

/** Resolves with `promise`, or fails naming `what` when it has not settled after 10 s. */
async function settlesWithin(promise: Promise<void>, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within 10 s`)), 10_000);
  });
  try {
    await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Declares the contract tests for one implementation. `factory` is called once per
 * test; the store it returns is closed and `dispose` called after the test.
 */
export function describeCheckpointStore(
  name: string,
  factory: CheckpointStoreFactory,
  options: CheckpointStoreSuiteOptions = {},
): void {
  interface Env {
    fx: CheckpointStoreFixture;
    store: CheckpointStore;
    warnings: string[];
  }

  /** Runs `body` with a fresh store, closing and disposing it afterwards. */
  const withStore = async (body: (env: Env) => Promise<void>): Promise<void> => {
    const warnings: string[] = [];
    const fx = await factory({ onWarning: (message) => warnings.push(message) });
    const env: Env = { fx, store: fx.store, warnings };
    try {
      await body(env);
    } finally {
      await env.store.close().catch(() => undefined);
      await fx.dispose?.();
    }
  };

  /** Commits `list` in order, checking each against the model; returns the model per id. */
  const commitAll = async (store: CheckpointStore, list: readonly CheckpointData[]) => {
    const models = new Map<number, StoredCheckpoint>();
    const model = new StateModel();
    for (const data of list) {
      await store.commit(data);
      models.set(data.id, model.apply(data).expected());
    }
    return models;
  };

  const skipWithout = (
    t: TestContext,
    fx: CheckpointStoreFixture,
    hook: keyof CheckpointStoreFixture,
  ): boolean => {
    if (fx[hook] !== undefined) return false;
    t.skip(`the ${name} fixture has no ${hook}() hook`);
    return true;
  };

  describe(`CheckpointStore contract: ${name}`, { skip: options.skip ?? false }, () => {
    it("latest() of a job without checkpoints is null", async () => {
      await withStore(async ({ store }) => {
        assert.equal(await store.latest("line-1"), null);
        assert.equal(typeof store.description, "string");
        assert.ok(store.description.length > 0, "description is empty");
      });
    });

    it("a checkpoint reads back in full: state, shared state, positions, sink progress", async () => {
      await withStore(async ({ store }) => {
        const rows = [
          stateRow("avg-temperature", 0, "sensor-1", { sum: 21.5, n: 2 }),
          stateRow("avg-temperature", 3, 1, { sum: 1, n: 1 }),
          stateRow("avg-temperature", 3, "1", { sum: 2, n: 1 }),
          stateRow("stuck-sensor", 2_147_483_647, ["press", 7], { since: 1_700_000_000_000 }),
          stateRow("stuck-sensor", 5, "Ofen-Ü/温度/🔥", {
            note: 'quote " backslash \\ newline \n',
          }),
          stateRow("stuck-sensor", 5, "", { empty: "" }),
          stateRow("big", 1, "wide", { blob: "x".repeat(200_000) }),
        ];
        const data = checkpointData("line-1", 1, rows, { createdAt: 1_700_000_123_456 });
        await store.commit(data);
        const stored = await store.latest("line-1");
        assert.deepEqual(canonical(stored), new StateModel().apply(data).expected());
        assert.equal(stored?.rows.length, 7);
      });
    });

    it("a checkpoint without state rows, shared state, positions or sinks reads back empty", async () => {
      await withStore(async ({ store }) => {
        await store.commit(
          checkpointData("line-1", 1, [], { shared: [], positions: [], sinks: [] }),
        );
        assert.deepEqual(await store.latest("line-1"), {
          job: "line-1",
          id: 1,
          createdAt: 1_700_000_005_000,
          rows: [],
          shared: [],
          positions: [],
          sinks: [],
        });
      });
    });

    it("an incremental checkpoint merges with the state before it", async () => {
      await withStore(async ({ store }) => {
        await store.commit(
          checkpointData("line-1", 1, [
            stateRow("avg", 0, "a", { v: 1 }),
            stateRow("avg", 0, "b", { v: 1 }),
            stateRow("avg", 1, "c", { v: 1 }),
            stateRow("max", 0, "a", { v: 10 }),
          ]),
        );
        await store.commit(
          checkpointData("line-1", 2, [
            stateRow("avg", 0, "b", { v: 2 }),
            stateRow("avg", 1, "c", null),
            stateRow("avg", 1, "d", { v: 2 }),
          ]),
        );
        const stored = canonical(await store.latest("line-1"));
        assert.equal(stored?.id, 2);
        assert.deepEqual(stored?.rows, [
          stateRow("avg", 0, "a", { v: 1 }),
          stateRow("avg", 0, "b", { v: 2 }),
          stateRow("avg", 1, "d", { v: 2 }),
          stateRow("max", 0, "a", { v: 10 }),
        ]);
        assert.deepEqual(
          stored?.positions,
          canonical({ ...checkpointData("line-1", 2, []) })?.positions,
        );
        assert.deepEqual(stored?.sinks, [{ step: "archive", progress: '{"epoch":2}' }]);
      });
    });

    it("tombstones: a deleted key stays deleted, comes back when written again, and a tombstone for an unknown key leaves nothing", async () => {
      await withStore(async ({ store }) => {
        const list = [
          checkpointData("line-1", 1, [
            stateRow("avg", 0, "a", { v: 1 }),
            stateRow("avg", 0, "b", { v: 1 }),
          ]),
          checkpointData("line-1", 2, [
            stateRow("avg", 0, "a", null),
            stateRow("avg", 0, "never", null),
          ]),
          checkpointData("line-1", 3, [stateRow("avg", 0, "b", { v: 3 })]),
          checkpointData("line-1", 4, [stateRow("avg", 0, "c", { v: 4 })]),
          checkpointData("line-1", 5, [stateRow("avg", 0, "a", { v: 5 })]),
          checkpointData("line-1", 6, [
            stateRow("avg", 0, "a", null),
            stateRow("avg", 0, "b", null),
          ]),
          checkpointData("line-1", 7, []),
          checkpointData("line-1", 8, []),
        ];
        const models = new Map<number, StoredCheckpoint>();
        const model = new StateModel();
        for (const data of list) {
          await store.commit(data);
          models.set(data.id, model.apply(data).expected());
          assert.deepEqual(
            canonical(await store.latest("line-1")),
            models.get(data.id),
            `after checkpoint ${data.id}`,
          );
        }
        assert.deepEqual(
          (await store.latest("line-1"))?.rows.map((r) => r.key),
          ['"c"'],
        );
      });
    });

    it("40 incremental checkpoints over 300 keys each restore exactly the state they describe", async () => {
      await withStore(async ({ store }) => {
        const list = randomCheckpoints("line-1", 40, 300, 7);
        const model = new StateModel();
        for (const data of list) {
          await store.commit(data);
          model.apply(data);
          if (data.id % 5 === 0) {
            assert.deepEqual(
              canonical(await store.latest("line-1")),
              model.expected(),
              `after ${data.id}`,
            );
          }
        }
      });
    });

    it("after many checkpoints and compaction, the previous one is still restorable when the latest is corrupt", async (t) => {
      await withStore(async ({ fx, store, warnings }) => {
        if (skipWithout(t, fx, "corrupt")) return;
        const models = await commitAll(store, randomCheckpoints("line-1", 30, 300, 11));
        assert.deepEqual(canonical(await store.latest("line-1")), models.get(30));
        assert.deepEqual(warnings, []);
        await fx.corrupt!("line-1", 30);
        assert.deepEqual(canonical(await store.latest("line-1")), models.get(29));
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, /checkpoint 30\b/);
        assert.match(warnings[0]!, /line-1/);
      });
    });

    it("ids start at 1 and go up by one; any other id is rejected and changes nothing", async () => {
      await withStore(async ({ store }) => {
        const rejects = async (id: number) => {
          await assert.rejects(
            store.commit(checkpointData("line-1", id, [stateRow("avg", 0, "x", { id })])),
            (error: Error) => {
              assert.ok(error instanceof Error);
              assert.match(error.message, new RegExp(`\\b${id}\\b`));
              assert.match(error.message, /line-1/);
              return true;
            },
          );
        };
        await rejects(2);
        assert.equal(await store.latest("line-1"), null);
        const first = checkpointData("line-1", 1, [stateRow("avg", 0, "a", { v: 1 })]);
        await store.commit(first);
        await rejects(1);
        await rejects(3);
        await rejects(0);
        assert.deepEqual(
          canonical(await store.latest("line-1")),
          new StateModel().apply(first).expected(),
        );
        await store.commit(checkpointData("line-1", 2, [stateRow("avg", 0, "b", { v: 2 })]));
        assert.equal((await store.latest("line-1"))?.id, 2);
      });
    });

    it("jobs are isolated: their own ids, state and positions", async () => {
      await withStore(async ({ store }) => {
        const a = new StateModel();
        const b = new StateModel();
        const c = new StateModel();
        for (const data of [
          checkpointData("line-1", 1, [
            stateRow("avg", 0, "k", { job: 1 }),
            stateRow("avg", 0, "only-1", { v: 1 }),
          ]),
          checkpointData("line-1/a", 1, [stateRow("avg", 0, "k", { job: "1/a" })]),
          checkpointData("line-1", 2, [stateRow("avg", 0, "k", null)]),
          checkpointData("line-2", 1, [stateRow("avg", 0, "k", { job: 2 })], { positions: [] }),
          checkpointData("line-1", 3, [stateRow("avg", 0, "k", { job: 1, again: true })]),
        ]) {
          await store.commit(data);
          (data.job === "line-1" ? a : data.job === "line-1/a" ? b : c).apply(data);
        }
        assert.deepEqual(canonical(await store.latest("line-1")), a.expected());
        assert.deepEqual(canonical(await store.latest("line-1/a")), b.expected());
        assert.deepEqual(canonical(await store.latest("line-2")), c.expected());
        assert.equal(await store.latest("line-3"), null);
        await assert.rejects(store.commit(checkpointData("line-2", 3, [])));
        await store.commit(checkpointData("line-2", 2, []));
        assert.equal((await store.latest("line-2"))?.id, 2);
        assert.equal((await store.latest("line-1"))?.id, 3);
      });
    });

    it("commits of different jobs may run concurrently", async () => {
      await withStore(async ({ store }) => {
        const jobs = ["line-1", "line-2", "line-3", "line-4"];
        const lists = jobs.map((job, i) => randomCheckpoints(job, 4, 200, 100 + i));
        const models = jobs.map(() => new StateModel());
        for (let id = 1; id <= 4; id++) {
          await Promise.all(lists.map((list) => store.commit(list[id - 1]!)));
          for (const [i, list] of lists.entries()) models[i]!.apply(list[id - 1]!);
        }
        const stored = await Promise.all(jobs.map((job) => store.latest(job)));
        for (const [i, s] of stored.entries())
          assert.deepEqual(canonical(s), models[i]!.expected());
      });
    });

    it("begin: rows added in pieces commit as one checkpoint; an aborted one keeps nothing", async () => {
      await withStore(async ({ store }) => {
        const [first, second, third] = randomCheckpoints("line-1", 3, 400, 41);
        await store.commit(first!);
        const { rows, ...header } = second!;
        const aborted = beginCheckpoint(store, header);
        aborted.add(rows.slice(0, 100));
        aborted.abort();
        const writer = beginCheckpoint(store, header);
        for (let from = 0; from < rows.length; from += 150) {
          writer.add(rows.slice(from, from + 150));
          await new Promise((resolve) => setImmediate(resolve));
        }
        await writer.finish();
        await store.commit(third!);
        const model = new StateModel().apply(first!).apply(second!).apply(third!);
        assert.deepEqual(canonical(await store.latest("line-1")), model.expected());
      });
    });

    it("begin: the sinks' progress given to finish replaces the header's (sinks preparing in the background)", async () => {
      await withStore(async ({ store }) => {
        const [first, second] = randomCheckpoints("line-1", 2, 200, 47);
        await store.commit(first!);
        const { rows, ...header } = second!;
        const writer = beginCheckpoint(store, { ...header, sinks: [] });
        writer.add(rows);
        const sinks = [
          { step: "archive", progress: JSON.stringify({ epoch: header.id, late: true }) },
        ];
        await writer.finish(sinks);
        const latest = await store.latest("line-1");
        assert.deepEqual(latest?.sinks, sinks);
        const model = new StateModel().apply(first!).apply({ ...second!, sinks });
        assert.deepEqual(canonical(latest), model.expected());
      });
    });

    it("begin: a caller that waits for ready() before each piece commits the same checkpoint", async () => {
      await withStore(async ({ store }) => {
        const [first, second] = randomCheckpoints("line-1", 2, 600, 43);
        await store.commit(first!);
        const { rows, ...header } = second!;
        const writer = beginCheckpoint(store, header);
        for (let from = 0; from < rows.length; from += 50) {
          // Without ready() (a store without begin, or a writer that holds every row
          // until finish anyway) the caller goes on at once.
          await writer.ready?.();
          writer.add(rows.slice(from, from + 50));
        }
        await writer.ready?.();
        await writer.finish();
        const model = new StateModel().apply(first!).apply(second!);
        assert.deepEqual(canonical(await store.latest("line-1")), model.expected());
      });
    });

    it("begin: ready() resolves after abort, and after a commit that failed", async (t) => {
      await withStore(async ({ store }) => {
        const probe = beginCheckpoint(store, checkpointData("line-1", 1, []));
        probe.abort();
        if (probe.ready === undefined) {
          t.skip("the store's writer has no ready(): it takes every row at once");
          return;
        }
        const rows = bigRows(3_000, 1);
        const aborted = beginCheckpoint(store, checkpointData("line-1", 1, []));
        aborted.add(rows);
        const waiting = aborted.ready!();
        aborted.abort();
        await settlesWithin(waiting, "ready() pending when the writer was aborted");
        await settlesWithin(aborted.ready!(), "ready() after abort");
        const writer = beginCheckpoint(store, checkpointData("line-1", 1, []));
        writer.add(rows);
        writer.add([rows[0]!]);
        await settlesWithin(writer.ready!(), "ready() of a writer whose rows are written");
        await assert.rejects(writer.finish(), /appears twice/);
        await settlesWithin(writer.ready!(), "ready() after a failed finish");
        assert.equal(await store.latest("line-1"), null);
      });
    });

    it("begin: a key added twice across pieces is refused at finish and keeps nothing", async (t) => {
      await withStore(async ({ store }) => {
        if (!store.begin) {
          t.skip("the store has no begin(): the engine collects the rows and calls commit()");
          return;
        }
        const first = checkpointData("line-1", 1, [stateRow("avg", 0, "a", { v: 1 })]);
        await store.commit(first);
        const writer = beginCheckpoint(store, checkpointData("line-1", 2, []));
        writer.add([stateRow("avg", 0, "b", { v: 2 })]);
        writer.add([stateRow("avg", 0, "b", { v: 3 })]);
        await assert.rejects(writer.finish(), /appears twice/);
        assert.deepEqual(
          canonical(await store.latest("line-1")),
          new StateModel().apply(first).expected(),
        );
        await store.commit(checkpointData("line-1", 2, [stateRow("avg", 0, "c", { v: 4 })]));
        assert.equal((await store.latest("line-1"))?.rows.length, 2);
      });
    });

    it("changing the data after commit() resolved does not change the stored checkpoint", async () => {
      await withStore(async ({ store }) => {
        const rows = [stateRow("avg", 0, "a", { v: 1 })];
        const positions = [{ step: "source", partition: 0, position: "1" }];
        const data = checkpointData("line-1", 1, rows, { positions });
        const expected = new StateModel().apply(data).expected();
        await store.commit(data);
        rows.push(stateRow("avg", 0, "b", { v: 2 }));
        positions[0] = { step: "source", partition: 0, position: "99" };
        assert.deepEqual(canonical(await store.latest("line-1")), expected);
      });
    });

    it("a checkpoint of 100,000 rows commits and restores in full", async (t) => {
      await withStore(async ({ store }) => {
        const first = checkpointData("plant", 1, bigRows(100_000, 1));
        let started = performance.now();
        await store.commit(first);
        const commitMs = performance.now() - started;
        const second = checkpointData(
          "plant",
          2,
          bigRows(100_000, 2).filter((_, i) => i % 10 === 0),
        );
        await store.commit(second);
        started = performance.now();
        const stored = await store.latest("plant");
        const latestMs = performance.now() - started;
        t.diagnostic(
          `100,000-row commit ${commitMs.toFixed(0)} ms; restore ${latestMs.toFixed(0)} ms`,
        );
        assert.equal(stored?.rows.length, 100_000);
        assert.deepEqual(canonical(stored), new StateModel().apply(first).apply(second).expected());
      });
    });

    it("a commit that fails while reading its rows leaves the store as before", async () => {
      await withStore(async ({ store }) => {
        const models = await commitAll(store, randomCheckpoints("line-1", 2, 300, 3));
        const rows = bigRows(20_000, 3);
        rows.splice(10_000, 0, explodingRow());
        await assert.rejects(store.commit(checkpointData("line-1", 3, rows)));
        assert.deepEqual(canonical(await store.latest("line-1")), models.get(2));
        const retry = checkpointData("line-1", 3, bigRows(100, 3));
        await store.commit(retry);
        assert.equal((await store.latest("line-1"))?.id, 3);
      });
    });

    it("a commit that fails half-way through writing its rows leaves the store as before", async (t) => {
      await withStore(async ({ fx, store }) => {
        if (skipWithout(t, fx, "failOnKey")) return;
        const list = randomCheckpoints("line-1", 2, 300, 5);
        const models = await commitAll(store, list);
        const rows = bigRows(60_000, 3);
        await fx.failOnKey!(rows[30_000]!.key);
        await assert.rejects(store.commit(checkpointData("line-1", 3, rows, { positions: [] })));
        assert.deepEqual(canonical(await store.latest("line-1")), models.get(2));
        // The id is still free: the same checkpoint without the poisoned row commits.
        const retry = checkpointData(
          "line-1",
          3,
          rows.filter((_, i) => i !== 30_000),
        );
        await store.commit(retry);
        const model = new StateModel().apply(list[0]!).apply(list[1]!).apply(retry);
        assert.deepEqual(canonical(await store.latest("line-1")), model.expected());
      });
    });

    it("a corrupted latest checkpoint is skipped with a warning naming it; the previous one is returned", async (t) => {
      await withStore(async ({ fx, store, warnings }) => {
        if (skipWithout(t, fx, "corrupt")) return;
        const models = await commitAll(store, randomCheckpoints("line-1", 3, 300, 9));
        await commitAll(store, randomCheckpoints("line-2", 3, 300, 10));
        await fx.corrupt!("line-1", 3);
        assert.deepEqual(canonical(await store.latest("line-1")), models.get(2));
        assert.equal(warnings.length, 1);
        assert.match(warnings[0]!, /checkpoint 3 of job "line-1"/);
        assert.equal((await store.latest("line-2"))?.id, 3, "another job is not affected");
        assert.equal(warnings.length, 1);
      });
    });

    it("a corrupted checkpoint without state rows is detected too", async (t) => {
      await withStore(async ({ fx, store, warnings }) => {
        if (skipWithout(t, fx, "corrupt")) return;
        const models = await commitAll(store, [
          checkpointData("line-1", 1, [stateRow("avg", 0, "a", { v: 1 })]),
          checkpointData("line-1", 2, []),
        ]);
        await fx.corrupt!("line-1", 2);
        assert.deepEqual(canonical(await store.latest("line-1")), models.get(1));
        assert.match(warnings[0] ?? "", /checkpoint 2 of job "line-1"/);
      });
    });

    it("with the two newest checkpoints corrupted, latest() is null and warns about each", async (t) => {
      await withStore(async ({ fx, store, warnings }) => {
        if (skipWithout(t, fx, "corrupt")) return;
        await commitAll(store, randomCheckpoints("line-1", 4, 100, 13));
        await fx.corrupt!("line-1", 4);
        await fx.corrupt!("line-1", 3);
        assert.equal(await store.latest("line-1"), null);
        assert.equal(warnings.length, 2);
        assert.match(warnings[0]!, /checkpoint 4 of job "line-1"/);
        assert.match(warnings[1]!, /checkpoint 3 of job "line-1"/);
        // The job starts over: its first checkpoint replaces the corrupt ones.
        const fresh = checkpointData("line-1", 1, [stateRow("avg", 0, "new", { v: 1 })]);
        await store.commit(fresh);
        assert.deepEqual(
          canonical(await store.latest("line-1")),
          new StateModel().apply(fresh).expected(),
        );
      });
    });

    it("after latest() fell back past a corrupt checkpoint, the job continues from the one it returned", async (t) => {
      await withStore(async ({ fx, store }) => {
        if (skipWithout(t, fx, "corrupt")) return;
        const list = randomCheckpoints("line-1", 5, 300, 17);
        await commitAll(store, list);
        await fx.corrupt!("line-1", 5);
        assert.equal((await store.latest("line-1"))?.id, 4);
        const model = new StateModel();
        for (const data of list.slice(0, 4)) model.apply(data);
        const redo = checkpointData("line-1", 5, [
          stateRow("avg-temperature", 0, "sensor-0", { redo: true }),
        ]);
        await store.commit(redo);
        assert.deepEqual(canonical(await store.latest("line-1")), model.apply(redo).expected());
        const next = checkpointData("line-1", 6, [
          stateRow("avg-temperature", 0, "sensor-2", null),
        ]);
        await store.commit(next);
        assert.deepEqual(canonical(await store.latest("line-1")), model.apply(next).expected());
        // An intact checkpoint is never replaced.
        await assert.rejects(store.commit(checkpointData("line-1", 6, [])));
      });
    });

    it("close() resolves; a reopened store returns the same checkpoint", async (t) => {
      await withStore(async (env) => {
        const models = await commitAll(env.store, randomCheckpoints("line-1", 3, 300, 19));
        await env.store.close();
        await assert.rejects(env.store.latest("line-1"));
        await assert.rejects(env.store.commit(checkpointData("line-1", 4, [])));
        if (skipWithout(t, env.fx, "reopen")) return;
        env.store = await env.fx.reopen!();
        assert.deepEqual(canonical(await env.store.latest("line-1")), models.get(3));
        await env.store.commit(checkpointData("line-1", 4, []));
        assert.equal((await env.store.latest("line-1"))?.id, 4);
      });
    });
  });
}

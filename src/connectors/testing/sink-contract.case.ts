/**
 * The contract suite of exactly-once sinks (those implementing `prepareCommit` and
 * `commit`), written once and run against every implementation (JSONL and Parquet
 * files, PostgreSQL, Redis, …) from its own test file. It plays the checkpoint
 * coordinator by hand, crashes included:
 *
 * - records written, prepared and committed are published exactly;
 * - records written after the last `prepareCommit` are not published, not even by
 *   `close`; a transactional sink also publishes nothing before `commit`;
 * - `commit` is idempotent, also when run again on restore;
 * - a crash between `prepareCommit` and `commit` followed by a restore from that
 *   checkpoint publishes the epoch exactly once;
 * - a restore from an earlier checkpoint discards later writes (prepared or not),
 *   and replaying them gives no duplicate and no gap;
 * - `write` copies what it keeps; `flush` clears `needsFlush`; `close` is clean.
 *
 * A "crash" here is a writer closed without a further checkpoint (a real crash
 * leaves at least as much on disk as a close, and the next process restores).
 */
import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import type { Batch, Sink, SinkContext, SinkWriter } from "../../engine/index.js";

/** What {@link describeSink} needs from an implementation. */
export interface SinkFixture<T> {
  /**
   * A new sink over the fixture's destination (one per test), as a restarted
   * process would build it. Every call must write to the same destination.
   */
  sink(): Sink<T>;
  /** Record number `i`; distinct for distinct `i`. */
  record(i: number): T;
  /** The number `i` of a published record. */
  idOf(value: T): number;
  /** Everything published at the destination so far. */
  published(): Promise<T[]>;
  /**
   * `true` when the sink publishes only at `commit` (files, transactions); `false`
   * for sinks that upsert by record id as they write, whose records may be visible
   * before the commit (but never twice).
   */
  readonly transactional: boolean;
  /** `true` when `published()` lists records in write order; otherwise ids are compared sorted. */
  readonly ordered: boolean;
  /** Releases everything the fixture made (temporary folders, tables, …). */
  cleanup(): Promise<void>;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/**
 * Runs the exactly-once sink contract against the sinks `factory` builds. Each test
 * gets a fresh fixture (an empty destination) and cleans it up.
 */
export function describeSink<T>(name: string, factory: () => Promise<SinkFixture<T>>): void {
  describe(`${name} (sink contract)`, () => {
    let fixture: SinkFixture<T>;
    const open: SinkWriter<T>[] = [];
    // Node 20 skips afterEach after a test that called t.skip(): clean those up in after.
    const live = new Set<SinkFixture<T>>();

    async function release(f: SinkFixture<T>): Promise<void> {
      live.delete(f);
      for (const writer of open.splice(0)) await writer.close();
      await f.cleanup();
    }

    beforeEach(async () => {
      for (const left of live) await release(left);
      fixture = await factory();
      live.add(fixture);
    });
    afterEach(() => release(fixture));
    after(async () => {
      for (const left of live) await release(left);
    });

    async function start(restored?: SinkContext["restored"]): Promise<SinkWriter<T>> {
      const context: SinkContext = restored ? { step: "out", restored } : { step: "out" };
      const writer = await fixture.sink().open(context);
      assert.equal(typeof writer.prepareCommit, "function", "implements prepareCommit");
      assert.equal(typeof writer.commit, "function", "implements commit");
      open.push(writer);
      return writer;
    }

    /** Simulates the process dying: the writer is dropped without a further checkpoint. */
    async function crash(writer: SinkWriter<T>): Promise<void> {
      open.splice(open.indexOf(writer), 1);
      await writer.close();
    }

    function write(writer: SinkWriter<T>, ids: readonly number[]): void {
      const values = ids.map((i) => fixture.record(i));
      writer.write({ values, times: values.map(() => 0), channel: 0 });
    }

    /** `prepareCommit`, the progress through JSON (as the checkpoint store keeps it). */
    async function prepare(writer: SinkWriter<T>, id: number): Promise<unknown> {
      const progress = await writer.prepareCommit!(id);
      const stored: unknown = JSON.parse(JSON.stringify(progress ?? null));
      assert.deepEqual(stored, progress ?? null, "progress survives JSON unchanged");
      return stored;
    }

    async function checkpoint(writer: SinkWriter<T>, id: number): Promise<unknown> {
      const progress = await prepare(writer, id);
      await writer.commit!(id, progress);
      return progress;
    }

    async function publishedIds(): Promise<number[]> {
      const ids = (await fixture.published()).map((v) => fixture.idOf(v));
      return fixture.ordered ? ids : ids.sort((a, b) => a - b);
    }

    it("publishes exactly the records of a committed checkpoint", async () => {
      const writer = await start();
      write(writer, range(0, 3));
      write(writer, range(3, 7));
      write(writer, range(7, 10));
      await checkpoint(writer, 1);
      assert.deepEqual(await publishedIds(), range(0, 10));
    });

    it("publishes several checkpoints in order, empty ones included", async () => {
      const writer = await start();
      write(writer, range(0, 3));
      await checkpoint(writer, 1);
      await checkpoint(writer, 2);
      write(writer, range(3, 6));
      await writer.flush();
      write(writer, range(6, 8));
      await checkpoint(writer, 3);
      assert.deepEqual(await publishedIds(), range(0, 8));
    });

    it("never publishes records written after the last prepareCommit, even on close", async () => {
      const writer = await start();
      write(writer, range(0, 4));
      await checkpoint(writer, 1);
      write(writer, range(4, 8));
      await writer.flush();
      if (fixture.transactional) assert.deepEqual(await publishedIds(), range(0, 4));
      await crash(writer);
      const ids = await publishedIds();
      if (fixture.transactional) assert.deepEqual(ids, range(0, 4));
      else {
        assert.deepEqual(ids.slice(0, 4), range(0, 4), "no gap");
        assert.equal(new Set(ids).size, ids.length, "no duplicate");
      }
    });

    it("publishes prepared records only at commit (transactional sinks)", async (t) => {
      if (!fixture.transactional) {
        t.skip("the sink upserts as it writes");
        return;
      }
      const writer = await start();
      write(writer, range(0, 5));
      const progress = await prepare(writer, 1);
      assert.deepEqual(await publishedIds(), []);
      await writer.commit!(1, progress);
      assert.deepEqual(await publishedIds(), range(0, 5));
    });

    it("commits idempotently, also when the restore commits again", async () => {
      const writer = await start();
      write(writer, range(0, 5));
      const progress = await checkpoint(writer, 1);
      await writer.commit!(1, progress);
      assert.deepEqual(await publishedIds(), range(0, 5));
      await crash(writer);
      const restored = await start({ checkpointId: 1, progress });
      assert.deepEqual(await publishedIds(), range(0, 5));
      await restored.commit!(1, progress);
      assert.deepEqual(await publishedIds(), range(0, 5));
    });

    it("publishes an epoch exactly once after a crash between prepareCommit and commit", async () => {
      const writer = await start();
      write(writer, range(0, 5));
      await checkpoint(writer, 1);
      write(writer, range(5, 10));
      const progress = await prepare(writer, 2);
      await crash(writer);
      const restored = await start({ checkpointId: 2, progress });
      assert.deepEqual(await publishedIds(), range(0, 10));
      write(restored, range(10, 12));
      await checkpoint(restored, 3);
      assert.deepEqual(await publishedIds(), range(0, 12));
    });

    it("discards writes after the restored checkpoint and replays them once", async () => {
      const writer = await start();
      write(writer, range(0, 5));
      const progress1 = await checkpoint(writer, 1);
      write(writer, range(5, 10));
      await prepare(writer, 2); // checkpoint 2 never committed by the coordinator
      write(writer, range(10, 13));
      await writer.flush();
      await crash(writer);

      const restored = await start({ checkpointId: 1, progress: progress1 });
      if (fixture.transactional) assert.deepEqual(await publishedIds(), range(0, 5));
      // The replay reaches checkpoint 2 before the records: epochs fall differently.
      await checkpoint(restored, 2);
      write(restored, range(5, 9));
      write(restored, range(9, 13));
      const progress3 = await checkpoint(restored, 3);
      assert.deepEqual(await publishedIds(), range(0, 13));
      await crash(restored);
      await start({ checkpointId: 3, progress: progress3 });
      assert.deepEqual(await publishedIds(), range(0, 13));
    });

    it("a fresh start after a crash before the first checkpoint publishes the replay once", async () => {
      const writer = await start();
      write(writer, range(0, 5));
      await writer.flush();
      await crash(writer);
      const again = await start();
      write(again, range(0, 5));
      await checkpoint(again, 1);
      assert.deepEqual(await publishedIds(), range(0, 5));
    });

    it("copies what it keeps: the batch may be reused after write", async () => {
      const writer = await start();
      const values = range(0, 4).map((i) => fixture.record(i));
      const times = values.map(() => 0);
      const batch: Batch<T> = { values, times, channel: 0 };
      writer.write(batch);
      for (const [i, fill] of range(100, 104).entries()) values[i] = fixture.record(fill);
      writer.write(batch);
      await checkpoint(writer, 1);
      const expected = [...range(0, 4), ...range(100, 104)];
      const sorted = [...expected].sort((a, b) => a - b);
      assert.deepEqual(await publishedIds(), fixture.ordered ? expected : sorted);
    });

    it("clears needsFlush on flush, and loses nothing", async (t) => {
      const writer = await start();
      let n = 0;
      while (writer.needsFlush !== true && n < 200_000) {
        write(writer, range(n, n + 100));
        n += 100;
      }
      if (writer.needsFlush !== true) {
        t.skip("the sink never asks for a flush");
        return;
      }
      await writer.flush();
      assert.equal(writer.needsFlush, false);
      write(writer, [n]);
      await checkpoint(writer, 1);
      assert.deepEqual(await publishedIds(), range(0, n + 1));
    });

    it("closes cleanly and reopens from its checkpoint", async () => {
      const writer = await start();
      write(writer, range(0, 3));
      const progress = await checkpoint(writer, 1);
      open.splice(open.indexOf(writer), 1);
      await writer.close();
      const again = await start({ checkpointId: 1, progress });
      write(again, range(3, 6));
      await checkpoint(again, 2);
      assert.deepEqual(await publishedIds(), range(0, 6));
      open.splice(open.indexOf(again), 1);
      await again.close();
    });
  });
}

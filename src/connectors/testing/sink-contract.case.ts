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
 * - `write` copies what it keeps; `flush` clears `needsFlush`;
 * - `prepareCommit` flushes on its own: an upserting sink's records are at the
 *   destination when it resolves, before `commit`;
 * - `close` is clean: it may be called twice, and the writer fails later calls
 *   instead of hanging or writing;
 * - with the fixture's fault hooks: a transient fault (a dropped connection) is
 *   retried and loses nothing; a permanent one (the destination gone) rejects with
 *   an error naming the destination, the writer stays failed, and closes cleanly.
 *
 * Sinks that deliver at least once (broker publishers without server-side dedup)
 * declare it: records replayed after a crash may then arrive twice, and the suite
 * compares the distinct ids there (consumers dedup by the record id they carry);
 * without a crash they must arrive once.
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
  /**
   * `"at-least-once"` for a sink whose replay after a crash may publish a record
   * again (consumers dedup by its id). Default `"exactly-once"`.
   */
  readonly delivery?: "exactly-once" | "at-least-once";
  /**
   * A transient fault: breaks the sink's connection(s) to the destination (as a
   * network blip or a server restart would) and returns once broken. The sink must
   * recover by itself. Omit when the destination has no connection to break.
   */
  interrupt?(): Promise<void>;
  /**
   * A permanent fault: makes the destination refuse every further write (drops the
   * table, makes the key the wrong type, …). Omit when it cannot be done.
   */
  breakDestination?(): Promise<void>;
  /** A text the error of a permanent fault names (the table, the key, the folder). */
  readonly destinationName?: string;
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

    /**
     * The ids published, sorted unless the sink is ordered. `afterCrash`: a replay
     * happened, so an at-least-once sink may have published some ids twice; they are
     * compared distinct (in order of first arrival).
     */
    async function publishedIds(afterCrash = false): Promise<number[]> {
      let ids = (await fixture.published()).map((v) => fixture.idOf(v));
      if (afterCrash && fixture.delivery === "at-least-once") ids = [...new Set(ids)];
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
      const ids = await publishedIds(true);
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
      assert.deepEqual(await publishedIds(true), range(0, 10));
      write(restored, range(10, 12));
      await checkpoint(restored, 3);
      assert.deepEqual(await publishedIds(true), range(0, 12));
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
      assert.deepEqual(await publishedIds(true), range(0, 13));
      await crash(restored);
      await start({ checkpointId: 3, progress: progress3 });
      assert.deepEqual(await publishedIds(true), range(0, 13));
    });

    it("a fresh start after a crash before the first checkpoint publishes the replay once", async () => {
      const writer = await start();
      write(writer, range(0, 5));
      await writer.flush();
      await crash(writer);
      const again = await start();
      write(again, range(0, 5));
      await checkpoint(again, 1);
      assert.deepEqual(await publishedIds(true), range(0, 5));
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

    it("flushes on prepareCommit: an upserting sink's records are there before commit", async () => {
      const writer = await start();
      write(writer, range(0, 6));
      const progress = await prepare(writer, 1);
      if (!fixture.transactional) assert.deepEqual(await publishedIds(), range(0, 6));
      await writer.commit!(1, progress);
      assert.deepEqual(await publishedIds(), range(0, 6));
    });

    it("closes cleanly: twice is fine, and later calls fail instead of hanging", async () => {
      const writer = await start();
      write(writer, range(0, 3));
      const flushing = writer.flush();
      open.splice(open.indexOf(writer), 1);
      await Promise.all([writer.close(), flushing]);
      await writer.close();
      assert.throws(() => write(writer, [3]), Error);
      await assert.rejects(writer.flush(), Error);
      await assert.rejects(writer.prepareCommit!(1), Error);
    });

    it("retries a transient fault and loses nothing", async (t) => {
      if (!fixture.interrupt) {
        t.skip("the fixture has no connection to break");
        return;
      }
      const writer = await start();
      write(writer, range(0, 5));
      await writer.flush();
      await fixture.interrupt();
      write(writer, range(5, 10));
      await writer.flush();
      await fixture.interrupt();
      write(writer, range(10, 15));
      await checkpoint(writer, 1);
      // A publish cut off mid-flight is sent again: an at-least-once sink may repeat it.
      assert.deepEqual(await publishedIds(true), range(0, 15));
    });

    it("fails a permanent fault with an error naming the destination, and stays failed", async (t) => {
      if (!fixture.breakDestination) {
        t.skip("the fixture cannot break its destination");
        return;
      }
      const writer = await start();
      write(writer, range(0, 3));
      await checkpoint(writer, 1);
      await fixture.breakDestination();
      write(writer, range(3, 6));
      // An upserting sink fails at prepareCommit; a transactional one may only at commit.
      const failure = await checkpoint(writer, 2).then(
        () => assert.fail("the checkpoint should fail"),
        (error: unknown) => error,
      );
      assert.ok(failure instanceof Error, "rejects with an Error");
      if (fixture.destinationName !== undefined) {
        assert.match(failure.message, new RegExp(escapeRegExp(fixture.destinationName)));
      }
      assert.throws(() => write(writer, [6]), Error, "the writer stays failed");
      await assert.rejects(writer.flush(), Error);
      open.splice(open.indexOf(writer), 1);
      await writer.close();
    });
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

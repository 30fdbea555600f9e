/**
 * The contract suite of replayable sources, written once and run against every
 * implementation (file, NATS JetStream, Kafka, …) from its own test file:
 *
 * - every record of every partition is delivered, in order, in batches of at most
 *   the batch size, and a finite input ends with `end`;
 * - `positions()` is JSON-serialisable, and a fresh `open` with `resumeFrom` set to
 *   the positions taken after any poll continues exactly after the last record
 *   returned: no duplicate, no gap, at every cut point;
 * - a partition without a position starts from its beginning;
 * - `acknowledge`, when implemented, does not change what is read;
 * - `status()`, when implemented, reports a known state and a lag that is `null` or a
 *   count (an integer >= 0);
 * - `close` resolves after a partial and after a full read;
 * - missing input fails `open` (or the first poll) with an error naming it.
 */
import assert from "node:assert/strict";
import { after, afterEach, beforeEach, describe, it } from "node:test";
import type { Source, SourceReader } from "../../engine/index.js";

/** What {@link describeReplayableSource} needs from an implementation. */
export interface ReplayableSourceFixture<T> {
  /**
   * A source whose partition `p` delivers the records `input[p]` in order (the
   * implementation stores them as it stores records: lines of a file, messages of
   * a partition, …), in batches of at most `batchSize`. Called several times per
   * test with the same input: each call must give a source over the same data.
   */
  create(input: readonly (readonly string[])[], batchSize: number): Promise<Source<T>>;
  /** The text of a delivered record, as it was given to `create`. */
  text(value: T): string;
  /**
   * A source whose input does not exist; `open` or the first `poll` must reject
   * with an `Error` whose message contains `mention` (the missing file, topic, …).
   */
  missing(): Promise<{ source: Source<T>; mention: string }>;
  /**
   * `true` when the source ends (`{ kind: "end" }`) once its input is read (files);
   * `false` for live sources, which idle instead and are read until the expected
   * records have arrived.
   */
  readonly ends: boolean;
  /** Releases everything the fixture made (temporary folders, topics, …). */
  cleanup(): Promise<void>;
}

/** Polls in a row allowed to come back `idle` before a read is declared stuck. */
const MAX_IDLE_POLLS = 300;
const MAX_POLLS = 100_000;

const INPUT: readonly (readonly string[])[] = [records(0, 5), [], records(2, 8), records(3, 1)];
const BATCH_SIZE = 2;

function records(partition: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({ p: partition, i, text: i % 2 === 0 ? "Grüße 🌡" : "ok" }),
  );
}

interface Poll {
  readonly partition: number;
  readonly texts: readonly string[];
  /** `positions()` right after this poll, through JSON and back. */
  readonly positions: Map<number, unknown>;
}

/** A `resumeFrom` value as it comes back from a checkpoint store: through JSON. */
function throughJson(positions: ReadonlyMap<number, unknown>): Map<number, unknown> {
  return new Map(JSON.parse(JSON.stringify([...positions])) as [number, unknown][]);
}

/** Options of {@link describeReplayableSource}. */
export interface ReplayableSourceSuiteOptions {
  /** Skip the whole suite, with this reason (e.g. the broker is unreachable). */
  readonly skip?: string | false;
}

/**
 * Runs the replayable-source contract against the source `factory` builds, once per
 * test (each test creates its own fixture and cleans it up).
 */
export function describeReplayableSource<T>(
  name: string,
  factory: () => Promise<ReplayableSourceFixture<T>>,
  options: ReplayableSourceSuiteOptions = {},
): void {
  describe(`${name} (replayable source contract)`, { skip: options.skip ?? false }, () => {
    let fixture: ReplayableSourceFixture<T>;
    // Node 20 skips afterEach after a test that called t.skip(): clean those up in after.
    const live = new Set<ReplayableSourceFixture<T>>();

    beforeEach(async () => {
      for (const left of live) {
        live.delete(left);
        await left.cleanup();
      }
      fixture = await factory();
      live.add(fixture);
    });
    afterEach(async () => {
      live.delete(fixture);
      await fixture.cleanup();
    });
    after(async () => {
      for (const left of live) await left.cleanup();
    });

    /** Reads until `end`, or (live sources) until `expected` records arrived and polls idle. */
    async function readAll(
      reader: SourceReader<T>,
      expected: number,
      options: { acknowledge?: boolean } = {},
    ): Promise<Poll[]> {
      const polls: Poll[] = [];
      let received = 0;
      let idle = 0;
      for (let n = 0; n < MAX_POLLS; n++) {
        const poll = await reader.poll();
        if (poll.kind === "end") {
          assert.ok(fixture.ends, "a live source ended");
          return polls;
        }
        if (poll.kind === "idle") {
          if (!fixture.ends && received >= expected) return polls;
          idle++;
          assert.ok(idle < MAX_IDLE_POLLS, `no record for ${idle} polls (${received} read)`);
          continue;
        }
        if (poll.kind === "watermark") continue;
        idle = 0;
        assert.ok(
          Number.isInteger(poll.partition) &&
            poll.partition >= 0 &&
            poll.partition < reader.partitions,
          `batch of partition ${poll.partition} outside [0, ${reader.partitions})`,
        );
        assert.ok(poll.values.length > 0, "an empty batch");
        assert.ok(poll.values.length <= BATCH_SIZE, `a batch of ${poll.values.length} records`);
        if (poll.times !== undefined) assert.equal(poll.times.length, poll.values.length);
        assert.ok(reader.positions, "a replayable source implements positions()");
        const positions = reader.positions();
        for (const partition of positions.keys()) {
          assert.ok(partition >= 0 && partition < reader.partitions, `position of ${partition}`);
        }
        const restored = throughJson(positions);
        assert.deepEqual(restored, positions, "positions survive JSON unchanged");
        if (options.acknowledge && reader.acknowledge) await reader.acknowledge(restored);
        received += poll.values.length;
        polls.push({
          partition: poll.partition,
          texts: poll.values.map((v) => fixture.text(v)),
          positions: restored,
        });
      }
      assert.fail(`no end after ${MAX_POLLS} polls`);
    }

    /** What the polls delivered, per partition. */
    function byPartition(polls: readonly Poll[], partitions: number): string[][] {
      const out = Array.from({ length: partitions }, () => [] as string[]);
      for (const poll of polls) out[poll.partition]!.push(...poll.texts);
      return out;
    }

    const total = INPUT.reduce((n, p) => n + p.length, 0);

    it("delivers every record of every partition in order, then ends", async () => {
      const source = await fixture.create(INPUT, BATCH_SIZE);
      assert.equal(typeof source.description, "string");
      assert.notEqual(source.description, "");
      const reader = await source.open({ step: "in" });
      try {
        assert.equal(reader.partitions, INPUT.length);
        const polls = await readAll(reader, total);
        assert.deepEqual(byPartition(polls, reader.partitions), INPUT);
        if (reader.status) {
          const status = reader.status();
          assert.ok(
            ["connected", "reconnecting", "error", "closed"].includes(status.state),
            `status state ${status.state}`,
          );
          assert.ok(
            status.lag === null || (Number.isSafeInteger(status.lag) && status.lag >= 0),
            `status lag ${status.lag}`,
          );
        }
      } finally {
        await reader.close();
      }
    });

    it("resumes exactly after the last record returned, at every cut point", async () => {
      const source = await fixture.create(INPUT, BATCH_SIZE);
      const first = await source.open({ step: "in" });
      let polls: Poll[];
      let initial: Map<number, unknown>;
      try {
        initial = throughJson(first.positions!());
        polls = await readAll(first, total);
      } finally {
        await first.close();
      }
      assert.ok(polls.length >= 4, `only ${polls.length} polls: the input is too small`);
      const cuts = [initial, ...polls.map((p) => p.positions)];
      for (const [cut, positions] of cuts.entries()) {
        const before = byPartition(polls.slice(0, cut), INPUT.length);
        const remaining = total - before.reduce((n, p) => n + p.length, 0);
        const again = await (await fixture.create(INPUT, BATCH_SIZE)).open({
          step: "in",
          resumeFrom: positions,
        });
        try {
          const after = byPartition(await readAll(again, remaining), INPUT.length);
          const joined = before.map((records, p) => [...records, ...(after[p] ?? [])]);
          assert.deepEqual(joined, INPUT, `resumed after poll ${cut}`);
        } finally {
          await again.close();
        }
      }
    });

    it("reads nothing more when resumed from the positions after the last record", async () => {
      const source = await fixture.create(INPUT, BATCH_SIZE);
      const first = await source.open({ step: "in" });
      let last: Map<number, unknown>;
      try {
        const polls = await readAll(first, total);
        last = polls.at(-1)!.positions;
      } finally {
        await first.close();
      }
      const again = await source.open({ step: "in", resumeFrom: last });
      try {
        assert.deepEqual(
          byPartition(await readAll(again, 0), INPUT.length),
          INPUT.map(() => []),
        );
      } finally {
        await again.close();
      }
    });

    it("starts a partition without a position from its beginning", async () => {
      const source = await fixture.create(INPUT, BATCH_SIZE);
      const first = await source.open({ step: "in" });
      let last: Map<number, unknown>;
      try {
        last = (await readAll(first, total)).at(-1)!.positions;
      } finally {
        await first.close();
      }
      const only0 = new Map([[0, last.get(0)]]);
      const again = await source.open({ step: "in", resumeFrom: only0 });
      try {
        const expected = INPUT.map((records, p) => (p === 0 ? [] : [...records]));
        const rest = total - INPUT[0]!.length;
        assert.deepEqual(byPartition(await readAll(again, rest), INPUT.length), expected);
      } finally {
        await again.close();
      }
    });

    it("reads the same records when every poll is acknowledged", async (t) => {
      const source = await fixture.create(INPUT, BATCH_SIZE);
      const reader = await source.open({ step: "in" });
      try {
        if (!reader.acknowledge) {
          t.skip("the source does not implement acknowledge");
          return;
        }
        const polls = await readAll(reader, total, { acknowledge: true });
        assert.deepEqual(byPartition(polls, INPUT.length), INPUT);
      } finally {
        await reader.close();
      }
    });

    it("closes cleanly before, during and after reading", async () => {
      const source = await fixture.create(INPUT, BATCH_SIZE);
      const unread = await source.open({ step: "in" });
      await unread.close();

      const partial = await source.open({ step: "in" });
      const poll = await partial.poll();
      assert.equal(poll.kind === "batch" || poll.kind === "idle", true);
      await partial.close();

      const full = await source.open({ step: "in" });
      const polls = await readAll(full, total);
      await full.close();
      assert.deepEqual(byPartition(polls, INPUT.length), INPUT, "still readable after closes");
    });

    it("fails with an error naming missing input", async () => {
      const { source, mention } = await fixture.missing();
      await assert.rejects(
        async () => {
          const reader = await source.open({ step: "in" });
          try {
            await reader.poll();
          } finally {
            await reader.close();
          }
        },
        (error: unknown) => {
          assert.ok(error instanceof Error, "rejects with an Error");
          assert.ok(
            error.message.includes(mention),
            `message ${JSON.stringify(error.message)} should name ${mention}`,
          );
          return true;
        },
      );
    });
  });
}

/** What {@link describeLiveSource} needs from a source that cannot replay (MQTT, HTTP, …). */
export interface LiveSourceFixture<T> {
  /**
   * A source delivering what `send` sends after it was opened, in batches of at most
   * `batchSize`; `send` returns once the transport accepted the records. When the
   * transport can carry bytes that are not UTF-8, `sendInvalidUtf8` sends one such
   * message.
   */
  create(batchSize: number): Promise<{
    readonly source: Source<T>;
    send(records: readonly string[]): Promise<void>;
    sendInvalidUtf8?(): Promise<void>;
  }>;
  /** The text of a delivered record. */
  text(value: T): string;
  /** Releases everything the fixture made. */
  cleanup(): Promise<void>;
}

/** Longest an idle poll may take before the runtime would notice (it asks for about 100 ms). */
const MAX_IDLE_POLL_MS = 500;

/**
 * The contract of live sources, which hand over what arrives and cannot replay:
 *
 * - records sent after `open` are delivered, each once, in the order one sender sent
 *   them, in batches of at most the batch size, from partitions in range;
 * - with nothing to deliver, `poll` answers `idle` within about 100 ms (500 allowed);
 * - a message that is not valid UTF-8 is delivered as a record (for the pipeline
 *   to dead-letter) and the records after it still are;
 * - `status()`, when implemented, is `connected` while open and `closed` after close;
 * - `close` resolves, also while a poll is waiting.
 */
export function describeLiveSource<T>(
  name: string,
  factory: () => Promise<LiveSourceFixture<T>>,
  options: ReplayableSourceSuiteOptions = {},
): void {
  describe(`${name} (live source contract)`, { skip: options.skip ?? false }, () => {
    let fixture: LiveSourceFixture<T>;
    beforeEach(async () => {
      fixture = await factory();
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    /** Polls until `count` records arrived; checks every batch on the way. */
    async function receive(reader: SourceReader<T>, count: number, batchSize: number) {
      const texts: string[] = [];
      let idle = 0;
      while (texts.length < count) {
        const started = performance.now();
        const poll = await reader.poll();
        const took = performance.now() - started;
        if (poll.kind === "idle") {
          assert.ok(took < MAX_IDLE_POLL_MS, `an idle poll took ${took.toFixed(0)} ms`);
          assert.ok(++idle < MAX_IDLE_POLLS, `only ${texts.length} of ${count} records arrived`);
          continue;
        }
        assert.notEqual(poll.kind, "end", "a live source ended");
        if (poll.kind !== "batch") continue;
        idle = 0;
        assert.ok(poll.partition >= 0 && poll.partition < reader.partitions);
        assert.ok(poll.values.length > 0 && poll.values.length <= batchSize);
        texts.push(...poll.values.map((v) => fixture.text(v)));
      }
      return texts;
    }

    it("delivers what is sent after open, in order, then idles promptly", async () => {
      const { source, send } = await fixture.create(3);
      assert.ok(source.description.length > 0);
      const reader = await source.open({ step: "in" });
      try {
        assert.ok(reader.partitions >= 1);
        const sent = records(0, 10);
        await send(sent);
        assert.deepEqual(await receive(reader, sent.length, 3), sent);
        const started = performance.now();
        const poll = await reader.poll();
        assert.equal(poll.kind, "idle");
        assert.ok(performance.now() - started < MAX_IDLE_POLL_MS);
        if (reader.status) assert.equal(reader.status().state, "connected");
      } finally {
        await reader.close();
      }
      if (reader.status) assert.equal(reader.status().state, "closed");
    });

    it("delivers a message that is not UTF-8 as a record and goes on", async (t) => {
      const created = await fixture.create(10);
      if (!created.sendInvalidUtf8) {
        t.skip("the transport carries only text");
        return;
      }
      const reader = await created.source.open({ step: "in" });
      try {
        await created.sendInvalidUtf8();
        await created.send(['{"after":1}']);
        const texts = await receive(reader, 2, 10);
        assert.equal(texts.length, 2);
        assert.notEqual(texts[0], "");
        assert.equal(texts[1], '{"after":1}');
      } finally {
        await reader.close();
      }
    });

    it("closes while a poll is waiting", async () => {
      const { source } = await fixture.create(10);
      const reader = await source.open({ step: "in" });
      const waiting = reader.poll();
      await reader.close();
      const poll = await waiting;
      assert.ok(poll.kind === "idle" || poll.kind === "end", `got ${poll.kind}`);
    });
  });
}
